"""The widget beyond the answers, in headless Chromium against the real bot: starter questions on
an empty conversation, the helpful / not helpful control (by keyboard, with a comment, stored
with the turn it rates), the route plan drawn as an accessible timeline, and the privacy line.
Screenshots go to results/screenshots/."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.channels.test_feedback import ratings_of
from tests.channels.test_widget import stored
from tests.channels.widget_fixtures import Widget, screenshot, wait

pytest_plugins = ["tests.channels.widget_fixtures"]


def opened(browser, page) -> Widget:
    browser.set_window_size(1280, 900)
    browser.get(page)
    widget = Widget(browser)
    widget.open()
    widget.wait_connected()
    return widget


def test_an_empty_conversation_offers_starter_questions_that_ask_themselves(browser, page):
    widget = opened(browser, page)
    starters = widget.all(".pca-starters .pca-chip")
    assert [s.text for s in starters] == [
        "What band is a PSO?", "How do I become a probation officer?",
        "Can I skip the PSO stage with a criminology degree?", "How much do trainees earn?"]
    assert widget.one(".pca-starters").get_attribute("aria-label") == "Questions to start with"
    assert "kept for 90 days" in widget.one(".pca-privacy").text
    screenshot(browser, "widget-starters")
    before = len(widget.bot_messages())
    starters[0].click()
    answer = widget.wait_answer(before)
    assert "Band 3" in answer.text
    assert widget.user_texts() == ["What band is a PSO?"]
    assert widget.all(".pca-starters") == []            # gone once the conversation started


def test_a_site_sets_its_own_starters_and_retention_on_the_script_tag(browser, page, bot_server):
    browser.get(page)
    Widget(browser).root                                 # the page's own widget, then replaced
    browser.execute_script(
        "document.getElementById('pca-widget').remove();"
        "const s = document.createElement('script');"
        "s.src = '/widget.js'; s.dataset.server = arguments[0];"
        "s.dataset.starters = 'Is PQiP paid? | How do I apply?'; s.dataset.retentionDays = '30';"
        "document.body.append(s);", bot_server)
    widget = Widget(browser)
    widget.open()
    assert [s.text for s in widget.all(".pca-starters .pca-chip")] == ["Is PQiP paid?", "How do I apply?"]
    assert "kept for 30 days" in widget.one(".pca-privacy").text


def test_not_helpful_with_a_comment_by_keyboard_is_stored_with_the_answer_it_rates(browser, page):
    widget = opened(browser, page)
    answer = widget.ask("what band is a PSO?")
    control = answer.find_element(By.CSS_SELECTOR, ".pca-rate")
    assert control.get_attribute("aria-label") == "Was this answer helpful?"
    down = control.find_element(By.CSS_SELECTOR, ".pca-rate-down")
    assert down.text == "Not helpful"
    down.send_keys(Keys.ENTER)                       # a keyboard press, not a mouse click
    comment = control.find_element(By.CSS_SELECTOR, ".pca-rate-comment")
    wait(browser, comment.is_displayed, message="no comment box after 'not helpful'")
    assert widget.active_class() == "pca-rate-comment"
    comment.send_keys("I wanted the salary too\n")
    note = control.find_element(By.CSS_SELECTOR, ".pca-rate-note")
    wait(browser, lambda: "will see it" in note.text, message=f"no thanks shown: {note.text!r}")
    assert down.get_attribute("aria-pressed") == "true"
    assert control.find_element(By.CSS_SELECTOR, ".pca-rate-up").get_attribute("aria-pressed") == "false"
    screenshot(browser, "widget-feedback")
    [row] = ratings_of("socketio", stored(browser)["sessionId"])
    assert (row["question"], row["unit"], row["rating"], row["comment"]) == (
        "what band is a PSO?", "role-band", "not_helpful", "I wanted the salary too")

    browser.refresh()                                # the rating is still shown after a reload
    widget = Widget(browser)
    wait(browser, lambda: widget.all(".pca-rate-down"), message="history not shown")
    assert widget.one(".pca-rate-down").get_attribute("aria-pressed") == "true"
    # restored scrolled to the newest message
    log = widget.one(".pca-log")
    wait(browser, lambda: browser.execute_script(
        "const l = arguments[0]; return l.scrollHeight > l.clientHeight && "
        "l.scrollTop + l.clientHeight >= l.scrollHeight - 2", log),
        message="the log was not scrolled to the newest message after the reload")


def test_the_dots_show_while_the_answer_comes_and_its_sources_open_safely_in_a_new_tab(browser, page):
    widget = opened(browser, page)
    browser.execute_script(
        "const typing = document.getElementById('pca-widget').shadowRoot.querySelector('.pca-typing');"
        "window.typingShown = false;"
        "new MutationObserver(() => { if (!typing.hidden) window.typingShown = true; })"
        "  .observe(typing, {attributes: true});")
    answer = widget.ask("what band is a PSO?")
    assert browser.execute_script("return window.typingShown"), "no typing indicator while answering"
    assert not widget.one(".pca-typing").is_displayed()
    [link] = answer.find_elements(By.CSS_SELECTOR, ".pca-links a")
    assert link.get_attribute("href").startswith("https://") and link.get_attribute("target") == "_blank"
    assert {"noopener", "noreferrer"} <= set(link.get_attribute("rel").split())
    assert answer.find_element(By.CSS_SELECTOR, ".pca-links").text.startswith("Read the source: ")


def test_a_planned_route_is_drawn_as_a_timeline_with_a_text_alternative(browser, page):
    widget = opened(browser, page)
    widget.ask("can you plan my route into probation?")
    plan = widget.ask("I have A levels")
    assert "27" in plan.find_element(By.CSS_SELECTOR, ".pca-text").text
    figure = plan.find_element(By.CSS_SELECTOR, ".pca-timeline")
    picture = figure.find_element(By.CSS_SELECTOR, "svg")
    assert picture.get_attribute("role") == "img"
    said = browser.execute_script(
        "return arguments[0].querySelector('desc').textContent", picture)
    assert said.startswith("Route: PQiP 27-month route (27 months, Band 3), then PO (Band 4)"), said
    assert len(picture.find_elements(By.CSS_SELECTOR, "circle")) == 2
    assert figure.find_element(By.CSS_SELECTOR, "figcaption").text == "Total: 27 months"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", figure)
    screenshot(browser, "widget-route-timeline")
    figure.find_element(By.CSS_SELECTOR, "summary").click()
    reasons = [li.text for li in figure.find_elements(By.CSS_SELECTOR, "li")]
    assert len(reasons) == 2 and all(": " in r for r in reasons)
