"""Serves the chat widget (bot/web/static) and its demo page on WEB_PORT.

The demo page's script tag carries the Rasa server's address. The server writes it in per request,
from the host name the browser used and BOT_PORT, so the page works whether it is opened as
localhost, 127.0.0.1 or the machine's name.

    python -m bot.web     serve until Ctrl-C (the Rasa server is started separately)
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot import settings

STATIC = Path(__file__).resolve().parent / "web" / "static"
PLACEHOLDER = b"__BOT_SERVER__"
# A host name, IPv4 or bracketed IPv6 address, then an optional port: anything else in a Host
# header is not written into the page.
_HOST = re.compile(r"(?P<name>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?")


def web_port() -> int:
    return settings.web_port()


class _Handler(SimpleHTTPRequestHandler):
    bot_port: int

    def end_headers(self) -> None:
        # Always revalidate, so a rebuilt widget.js is picked up on the next reload.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        page = STATIC / ("index.html" if path == "/" else path.lstrip("/"))
        if page.suffix == ".html" and page.parent == STATIC and page.is_file():
            self._send_page(page)
        else:
            super().do_GET()

    def _send_page(self, page: Path) -> None:
        match = _HOST.fullmatch(self.headers.get("Host") or "")
        hostname = match["name"] if match else "localhost"
        body = page.read_bytes().replace(PLACEHOLDER, f"http://{hostname}:{self.bot_port}".encode())
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass  # the Rasa server's log is the one worth reading


class WebServer:
    """The static server in a daemon thread of the calling process; stop() frees the port."""

    def __init__(self, port: int, bot_port: int, host: str = "0.0.0.0"):
        handler = type("Handler", (_Handler,), {"bot_port": bot_port})
        self._httpd = ThreadingHTTPServer(
            (host, port), functools.partial(handler, directory=str(STATIC))
        )
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="web", daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> "WebServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def serve(port: int, bot_port: int, host: str = "0.0.0.0") -> WebServer:
    return WebServer(port, bot_port, host).start()


def start_beside_bot(cfg: settings.Settings) -> WebServer | None:
    """For `make run`. The page is a convenience beside the bot, so a taken port is reported and
    the bot runs on without it."""
    port = web_port()
    try:
        server = serve(port, cfg.bot_port, cfg.host)
    except OSError as error:
        print(
            f"The chat widget's page is off: port {port} is unavailable ({error.strerror}); "
            f"set WEB_PORT to a free port.",
            file=sys.stderr,
            flush=True,
        )
        return None
    print(f"The chat widget's demo page: http://localhost:{server.port}/", flush=True)
    return server


def main() -> int:
    cfg = settings.load()
    try:
        server = serve(web_port(), cfg.bot_port, cfg.host)
    except OSError as error:
        raise SystemExit(
            f"port {web_port()} is unavailable ({error.strerror}); set WEB_PORT"
        ) from None
    print(
        f"The chat widget's demo page: http://localhost:{server.port}/ (Ctrl-C stops it)",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
