"""The widget's session ids, issued by the server.

Rasa's socket.io channel makes the conversation id whatever the page sends in `session_request`,
so a client that sends someone else's id (or guesses one) continues that conversation and sees
its answers. Here a session id is issued by the server: a random nonce and an HMAC of it under
a secret, so it cannot be guessed or made up, and any worker or replica with the same secret can
check it without a shared table. A page may resume only an id that checks out; anything else
(made up, altered, from another deployment) is answered with a new session.

The secret is WIDGET_SESSION_SECRET, or else one generated once and kept in var/ (readable by
this user only), so that sessions survive a restart. Replicas that share conversations must
share the secret too, so the deployments set it."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from functools import lru_cache
from pathlib import Path

from bot import settings

SECRET_FILE = settings.ROOT / "var" / "widget-session.key"
_MAC_CHARS = 32  # 128 bits of the HMAC, in hex


class SessionIds:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()[:_MAC_CHARS]

    def issue(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._mac(nonce)}"

    def issued(self, given: object) -> bool:
        if not isinstance(given, str) or given.count(".") != 1:
            return False
        nonce, mac = given.split(".")
        return bool(nonce) and hmac.compare_digest(mac, self._mac(nonce))


def stored_secret(path: Path = SECRET_FILE) -> bytes:
    """The secret kept in `path`, made on first use. Worker processes start together, so it is
    created exclusively: whichever writes first wins and the others read what it wrote."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
    for _ in range(100):  # another worker may be writing it this moment
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty; delete it and start again")


@lru_cache(maxsize=1)
def session_ids() -> SessionIds:
    given = settings.load().widget_session_secret
    return SessionIds(given.encode() if given else stored_secret())
