"""Local stand-ins for the Slack Web API and the Telegram Bot API: real HTTP servers on loopback
that record every call and reply the way the real APIs do, for a bot that cannot reach either."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Callable
from urllib.parse import parse_qsl


@dataclass
class Call:
    method: str
    params: dict
    headers: dict
    path: str


class _Handler(BaseHTTPRequestHandler):
    server: "StandIn"

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(raw or b"{}")
        else:
            params = dict(parse_qsl(raw.decode()))
        method = self.path.rstrip("/").rsplit("/", 1)[-1]
        call = Call(method, params, dict(self.headers), self.path)
        self.server.record(call)
        body = json.dumps(self.server.reply(call)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._ids = count(1)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "StandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def reply(self, call: Call) -> dict:
        return {"ok": True}

    def calls_to(self, method: str, where: Callable[[Call], bool] = lambda c: True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and where(c)]

    def wait_for(self, method: str, where: Callable[[Call], bool] = lambda c: True,
                 count: int = 1, timeout: float = 60) -> list[Call]:
        """The bot answers after the webhook request returns, so tests poll for its calls."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method, where)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{method} was called {len(self.calls_to(method, where))} times, "
                             f"not {count}, within {timeout} s; all calls: "
                             f"{[(c.method, c.params) for c in self.calls]}")


class SlackApi(StandIn):
    """POST {url}/api/{method}, JSON or form-encoded, with the bot token as a Bearer header."""

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def reply(self, call: Call) -> dict:
        if call.method == "chat.postMessage":
            ts = f"{time.time():.6f}"
            return {"ok": True, "channel": call.params.get("channel"), "ts": ts,
                    "message": {"text": call.params.get("text"), "ts": ts, "type": "message"}}
        return {"ok": True}


class TelegramApi(StandIn):
    """POST {url}/bot{token}/{method} with a JSON body."""

    def token(self, call: Call) -> str:
        return call.path.split("/")[1].removeprefix("bot")

    def reply(self, call: Call) -> dict:
        if call.method == "sendMessage":
            return {"ok": True, "result": {"message_id": next(self._ids), "date": int(time.time()),
                                           "chat": {"id": call.params.get("chat_id")},
                                           "text": call.params.get("text")}}
        return {"ok": True, "result": True}


class AnsweredInOrder:
    """For the people the channel tests play. The bot answers one person's messages in order, so
    once a greeting sent now has been answered, every earlier message has been answered too, or
    never will be: a barrier that proves "no reply" without sleeping."""
    GREETING: str

    def replies_so_far(self, containing: str = "") -> list[dict]:
        self.say(self.GREETING)
        self.wait_for_reply("Hello")
        return self.replies(containing)
