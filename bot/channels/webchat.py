"""The socket.io channel the web widget talks to: Rasa's own, with two fixes.

1. Rasa 3.6 calls `sio.enter_room(...)` without `await` in its session_request handler, and
   python-socketio 5.10+ made that a coroutine, so with `session_persistence: true` the socket never
   joins its session's room and no reply ever reaches the browser (RasaHQ/rasa#13027).
2. Rasa builds its socket.io server with `cors_allowed_origins=[]`, which turns the origin check
   off: `--cors` (WEB_ORIGINS) guards only the HTTP long-polling requests, and a WebSocket from any
   site would be accepted. Connections whose Origin is not in WEB_ORIGINS are refused here.

credentials.yml names this class instead of `socketio:`; its settings are the same.
"""
from __future__ import annotations

import os
import re
import uuid
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint


def allowed_origins(setting: str | None = None) -> set[str] | None:
    """WEB_ORIGINS as a set of origins; None when every origin is allowed ("*" or unset)."""
    raw = os.environ.get("WEB_ORIGINS", "*") if setting is None else setting
    origins = {o.rstrip("/") for o in re.split(r"[\s,]+", raw) if o}
    return None if not origins or "*" in origins else origins


def origin_allowed(origin: str | None, allowed: set[str] | None) -> bool:
    # Clients that are not browsers send no Origin; CORS is a browser protection anyway.
    return allowed is None or not origin or origin.rstrip("/") in allowed


class WebChatInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio, namespace = self.sio, self.namespace or "/"
        rasa_connect = sio.handlers[namespace]["connect"]
        allowed = allowed_origins()

        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            if not origin_allowed(environ.get("HTTP_ORIGIN"), allowed):
                return False
            return await rasa_connect(sid, environ, auth)

        async def session_request(sid: str, data: dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            if not isinstance(data.get("session_id"), str) or not data["session_id"]:
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, data["session_id"], namespace=namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=namespace)

        # Registering again under the same event replaces Rasa's handler.
        sio.on("connect", connect, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        return webhook
