"""Fixtures for the widget and terminal tests, loaded as a plugin (`pytest_plugins`) so both
modules share one real bot: the `bot_server` of tests/e2e/conftest.py, registered once here."""
from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import socketio
from aiohttp import web as aiohttp_web
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bot import web
from bot.settings import ROOT
from tests.e2e.conftest import bot_processes, bot_server, free_port  # noqa: F401  (fixtures)

SCREENSHOTS = ROOT / "results" / "screenshots"
WAIT_SECONDS = 45
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def _find(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError(f"{names[0]} is not installed: run `make browser` (apt-get install -y "
                       "chromium chromium-driver)")


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium with a profile of its own, driven by Debian's chromedriver
    (never Selenium Manager, which would download one)."""
    profile = tempfile.mkdtemp(prefix="widget-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = _find("chromium", "chromium-browser")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(_find("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def serve_page(bot_port: int) -> web.WebServer:
    """bot/web.py's server on a free port. Each test gets its own port, hence its own origin and
    localStorage, so no conversation leaks from one test into the next."""
    return web.serve(free_port(), bot_port, host="127.0.0.1")


@pytest.fixture
def page(bot_server):
    server = serve_page(urlparse(bot_server).port)
    yield f"http://127.0.0.1:{server.port}/"
    server.stop()


def wait(driver, condition, seconds: float = WAIT_SECONDS, message: str = ""):
    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(
        lambda _: condition(), message)


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


class Widget:
    """The widget on a loaded page, reached through its (open) shadow root."""

    def __init__(self, driver):
        self.driver = driver

    @property
    def root(self):
        return wait(self.driver, lambda: self.driver.find_element(By.ID, "pca-widget").shadow_root,
                    message="the widget did not mount")

    def one(self, css: str):
        return self.root.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str):
        return self.root.find_elements(By.CSS_SELECTOR, css)

    def open(self) -> None:
        if self.one(".pca-panel").get_attribute("hidden") is not None:
            self.one(".pca-launcher").click()
        wait(self.driver, lambda: self.one(".pca-panel").is_displayed())

    def status(self) -> str:
        return self.one(".pca-status").text

    def wait_connected(self) -> None:
        wait(self.driver, lambda: self.one(".pca-status").get_attribute("data-state") == "online",
             message=f"the widget did not connect (status: {self.status()!r})")

    def bot_messages(self):
        return self.all(".pca-msg.pca-bot")

    def user_texts(self) -> list[str]:
        return [m.text for m in self.all(".pca-msg.pca-user .pca-text")]

    def ask(self, text: str):
        """Types the question and presses Enter; returns the first new answer."""
        before = len(self.bot_messages())
        box = self.one("#pca-input")
        box.send_keys(text)
        box.send_keys("\n")
        return self.wait_answer(before)

    def wait_answer(self, before: int):
        wait(self.driver, lambda: len(self.bot_messages()) > before,
             message="no answer arrived")
        return self.bot_messages()[before]

    def chips(self) -> dict:
        return {chip.text: chip for chip in self.all(".pca-chip")}

    def active_class(self) -> str:
        """The class of the focused element inside the widget ('' when focus is elsewhere)."""
        return self.driver.execute_script(
            "const a = document.getElementById('pca-widget').shadowRoot.activeElement;"
            "return a ? a.className : '';")


class StandInRasa:
    """A socket.io server speaking Rasa's widget protocol (session_request -> session_confirm,
    user_uttered -> bot_uttered), started on demand on a chosen port: lets a test watch the widget
    find a server that was down when the page loaded."""

    def __init__(self, port: int):
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._runner: aiohttp_web.AppRunner | None = None
        self._sio: socketio.AsyncServer | None = None

    def start(self) -> "StandInRasa":
        sio = self._sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")

        @sio.on("session_request")
        async def session_request(sid, data):
            await sio.emit("session_confirm", (data or {}).get("session_id") or "stand-in", to=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid, data):
            await sio.emit("bot_uttered", {"text": f"Stand-in heard: {data.get('message')}",
                                           "quick_replies": []}, to=sid)

        app = aiohttp_web.Application()
        sio.attach(app)
        started = threading.Event()

        async def run():
            self._runner = aiohttp_web.AppRunner(app, shutdown_timeout=1)
            await self._runner.setup()
            await aiohttp_web.TCPSite(self._runner, "127.0.0.1", self.port).start()
            started.set()

        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(run(), self._loop)
        assert started.wait(10), "the stand-in socket.io server did not start"
        return self

    def stop(self) -> None:
        async def close():
            await self._sio.shutdown()          # else open sockets hold the shutdown up
            await self._runner.cleanup()
            for task in asyncio.all_tasks():    # engineio's ping loops outlive their sockets
                if task is not asyncio.current_task():
                    task.cancel()

        if self._runner:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(15)
        self._loop.call_soon_threadsafe(self._loop.stop)
