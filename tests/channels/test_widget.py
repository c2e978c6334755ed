"""The web chat widget in headless Chromium against the real bot: answers with their source line
and suggestion chips, a conversation that survives a reload, markup shown as text, a phone-sized
layout, keyboard use, and what it says while the server cannot be reached. Screenshots go to
results/screenshots/."""
from __future__ import annotations

import json
import urllib.request

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot.channels.webchat import allowed_origins, origin_allowed
from tests.channels.widget_fixtures import (StandInRasa, Widget, free_port, screenshot,
                                            serve_page, wait)

pytest_plugins = ["tests.channels.widget_fixtures"]

PSO_BAND = "what band is a PSO?"
SKIP_PSO = "can I skip the PSO stage with a criminology degree?"
MARKUP = "<script>alert(1)</script> and <img src=x onerror=alert(1)>"


def stored(driver) -> dict:
    """The widget's saved state for this page's origin."""
    return driver.execute_script(
        "for (let i = 0; i < localStorage.length; i++) {"
        "  const k = localStorage.key(i);"
        "  if (k.startsWith('probation-careers-chat:')) return JSON.parse(localStorage.getItem(k));"
        "} return null;")


def parts(message) -> tuple[str, str]:
    sources = message.find_elements(By.CSS_SELECTOR, ".pca-source")
    return (message.find_element(By.CSS_SELECTOR, ".pca-text").text,
            sources[0].text if sources else "")


def test_page_is_served_with_the_bot_server_address():
    server = serve_page(4321)
    try:
        html = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/").read().decode()
        script = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/widget.js")
        assert '<script src="/widget.js" data-server="http://127.0.0.1:4321"' in html
        assert "__BOT_SERVER__" not in html
        assert "javascript" in script.headers["Content-Type"]
    finally:
        server.stop()


def test_answers_sources_chips_and_a_conversation_that_survives_reload(browser, page):
    browser.set_window_size(1280, 900)
    browser.get(page)
    widget = Widget(browser)
    widget.open()
    widget.wait_connected()

    text, source = parts(widget.ask(PSO_BAND))
    assert "Band 3" in text and source.startswith("Source: ")
    assert "Source" not in text                       # the source line is shown apart
    assert "How much does a PSO earn?" in widget.chips()

    text, source = parts(widget.ask(SKIP_PSO))
    assert "don't have to work as a PSO first" in text
    assert source.startswith("Sources: ")
    chips = widget.chips()
    assert "How much do trainees earn?" in chips, chips.keys()

    before = len(widget.bot_messages())
    chips["How much do trainees earn?"].click()
    text, _ = parts(widget.wait_answer(before))
    assert "trainee" in text and "£" in text
    assert widget.user_texts()[-1] == "How much do trainees earn?"   # the title, not the payload
    assert widget.active_class() == "pca-input"                      # focus back in the box
    screenshot(browser, "widget-conversation")

    session = stored(browser)["sessionId"]
    shown = [m.text for m in widget.bot_messages()]
    browser.refresh()
    widget = Widget(browser)
    wait(browser, lambda: len(widget.bot_messages()) == len(shown), message="history not shown")
    assert [m.text for m in widget.bot_messages()] == shown
    assert widget.user_texts() == [PSO_BAND, SKIP_PSO, "How much do trainees earn?"]
    assert widget.chips(), "the last answer's suggestions are offered again"
    widget.wait_connected()
    assert stored(browser)["sessionId"] == session

    # Rasa resumed the same conversation: "that" still means the trainee role asked about.
    text, _ = parts(widget.ask("what band is that?"))
    assert "trainee probation officer" in text
    screenshot(browser, "widget-after-reload")


def test_markup_in_messages_is_shown_as_text_and_urls_become_safe_links(browser, page):
    browser.get(page)
    widget = Widget(browser)
    widget.open()
    widget.wait_connected()
    widget.ask(MARKUP)
    assert widget.user_texts()[-1] == MARKUP
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})",
                           widget.all(".pca-msg.pca-user")[-1])
    screenshot(browser, "widget-markup-as-text")
    counts = browser.execute_script(
        "const root = document.getElementById('pca-widget').shadowRoot;"
        "return [root.querySelectorAll('script, img').length,"
        "        document.querySelectorAll('img').length,"
        "        document.querySelectorAll('script').length];")
    assert counts == [0, 0, 1], "only the page's own script tag; no element from the message"
    try:
        alert = browser.switch_to.alert.text
    except NoAlertPresentException:
        alert = None
    assert alert is None

    widget.ask("see https://www.gov.uk/guidance/probation. and javascript:alert(1)")
    links = widget.all(".pca-msg.pca-user a")
    assert [a.get_attribute("href") for a in links] == ["https://www.gov.uk/guidance/probation"]
    assert "noopener" in links[0].get_attribute("rel").split()
    assert widget.user_texts()[-1].endswith("probation. and javascript:alert(1)")


def test_a_message_over_the_limit_stays_in_the_box_with_a_note_until_shortened(browser, page):
    browser.get(page)
    widget = Widget(browser)
    widget.open()
    widget.wait_connected()
    box = widget.one("#pca-input")
    # 2,002 characters as the server counts them, the emoji as one (as UTF-16 units, 2,003)
    long_question = "what band is a PSO? " + "a" * 1979 + "\U0001F600 b"
    browser.execute_script("arguments[0].value = arguments[1];", box, long_question)
    box.send_keys("\n")
    note = widget.one(".pca-too-long")
    wait(browser, note.is_displayed, message="no note about the length")
    assert note.text.startswith("Your message is 2,002 characters; please shorten it to 2,000")
    assert box.get_attribute("aria-invalid") == "true"
    assert box.get_property("value") == long_question                # nothing was lost
    assert widget.user_texts() == [] and stored(browser).get("messages", []) == []
    screenshot(browser, "widget-too-long")

    box.send_keys(Keys.BACKSPACE, Keys.BACKSPACE)                    # 2,000: now it goes
    assert not note.is_displayed() and box.get_attribute("aria-invalid") == "false"
    before = len(widget.bot_messages())
    box.send_keys("\n")
    widget.wait_answer(before)
    assert widget.user_texts()[-1].startswith("what band is a PSO? aaa")
    assert box.get_property("value") == ""


def test_phone_sized_screen_shows_the_whole_panel_and_input(browser, page):
    browser.set_window_size(375, 740)
    try:
        browser.get(page)
        widget = Widget(browser)
        widget.open()
        widget.wait_connected()
        width = browser.execute_script("return window.innerWidth")
        box = widget.one("#pca-input")
        assert box.is_displayed()
        rect = box.rect
        assert rect["x"] >= 0 and rect["x"] + rect["width"] <= width
        assert rect["y"] + rect["height"] <= browser.execute_script("return window.innerHeight")
        assert widget.one(".pca-panel").rect["width"] >= width - 1     # fills the screen
        text, _ = parts(widget.ask(PSO_BAND))
        assert "Band 3" in text
        screenshot(browser, "widget-phone")
    finally:
        browser.set_window_size(1280, 900)


def test_keyboard_and_screen_reader_affordances(browser, page):
    browser.get(page)
    widget = Widget(browser)
    launcher = widget.one(".pca-launcher")
    assert launcher.get_attribute("aria-expanded") == "false"
    launcher.send_keys(Keys.ENTER)                                  # a real button: Enter opens
    wait(browser, lambda: widget.one(".pca-panel").is_displayed())
    assert launcher.get_attribute("aria-expanded") == "true"
    assert widget.active_class() == "pca-input"                     # focus moves into the chat

    log = widget.one(".pca-log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert widget.one(".pca-status").get_attribute("role") == "status"
    assert widget.one("label[for='pca-input']").get_attribute("textContent") == "Your question"
    assert widget.one(".pca-send").text == "Send"
    assert widget.one(".pca-close").get_attribute("aria-label") == "Close chat"
    outline = browser.execute_script(
        "const root = document.getElementById('pca-widget').shadowRoot;"
        "const input = root.getElementById('pca-input'); input.focus();"
        "return getComputedStyle(input).outlineStyle;")
    assert outline == "solid"                                        # focus is visible

    widget.one("#pca-input").send_keys(Keys.TAB)
    assert widget.active_class() == "pca-send"
    widget.one(".pca-send").send_keys(Keys.ESCAPE)                  # Escape closes, focus returns
    wait(browser, lambda: not widget.one(".pca-panel").is_displayed())
    assert widget.active_class() == "pca-launcher"


def test_says_when_the_server_cannot_be_reached_and_reconnects(browser):
    port = free_port()
    server = serve_page(port)
    stand_in = None
    try:
        browser.get(f"http://127.0.0.1:{server.port}/")
        widget = Widget(browser)
        widget.open()
        wait(browser, lambda: "can't reach the server" in widget.status().lower(),
             message=f"status was {widget.status()!r}")
        assert widget.one(".pca-status").get_attribute("data-state") == "unreachable"
        screenshot(browser, "widget-unreachable")

        # A question asked while offline waits, and goes once the server is there.
        widget.one("#pca-input").send_keys("are you there?\n")
        assert widget.user_texts() == ["are you there?"]
        assert "will be sent once connected" in widget.status()
        stand_in = StandInRasa(port).start()
        widget.wait_connected()
        wait(browser, lambda: widget.bot_messages(), message="the queued question got no answer")
        assert parts(widget.bot_messages()[0])[0] == "Stand-in heard: are you there?"
        assert widget.status() == "Connected"
        screenshot(browser, "widget-reconnected")
    finally:
        if stand_in:
            stand_in.stop()
        server.stop()


def test_socket_origins_follow_web_origins():
    """The channel refuses a browser connection from an origin WEB_ORIGINS does not list; Rasa's
    own channel would accept any origin over WebSocket."""
    assert allowed_origins("*") is None and origin_allowed("https://evil.example", None)
    allowed = allowed_origins("https://careers.example.org, http://localhost:8080/")
    assert allowed == {"https://careers.example.org", "http://localhost:8080"}
    assert origin_allowed("https://careers.example.org", allowed)
    assert origin_allowed(None, allowed)                     # not a browser: no Origin header
    assert not origin_allowed("https://evil.example", allowed)


def test_widget_bundle_is_built_from_the_pinned_sources():
    """The committed bundle holds the pinned socket.io-client: `make run` needs no npm."""
    from bot.web import STATIC
    package = json.loads((STATIC.parent / "widget" / "package.json").read_text())
    lock = json.loads((STATIC.parent / "widget" / "package-lock.json").read_text())
    version = package["dependencies"]["socket.io-client"]
    assert lock["packages"]["node_modules/socket.io-client"]["version"] == version
    bundle = (STATIC / "widget.js").read_text()
    assert "session_request" in bundle and "innerHTML" not in bundle
