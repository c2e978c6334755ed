"""The socket.io channel the web widget talks to: Rasa's own, with four fixes.

1. Rasa 3.6 calls `sio.enter_room(...)` without `await` in its session_request handler, and
   python-socketio 5.10+ made that a coroutine, so with `session_persistence: true` the socket never
   joins its session's room and no reply ever reaches the browser (RasaHQ/rasa#13027).
2. Rasa builds its socket.io server with `cors_allowed_origins=[]`, which turns the origin check
   off: `--cors` (WEB_ORIGINS) guards only the HTTP long-polling requests, and a WebSocket from any
   site would be accepted. Connections whose Origin is not in WEB_ORIGINS are refused here.
3. Rasa's message handler crashes, silently for the sender, on an event that is not an object or
   whose message is not a string, and answers a message for a session the socket never joined
   into a room it is not in. Here every such event is answered on the socket with what was wrong,
   and every message passes the guard (bot/channels/guard.py) first. Frames over 64 KiB close
   the socket (engine.io and Sanic's limits, set in bot/server.py); the widget reconnects.

4. Rasa takes the session id the page sends as the conversation id, so any page could continue
   any conversation whose id it knew or guessed. The server issues the ids here, signed
   (bot/channels/widget_sessions.py); a page resumes only an id it was issued, and any other
   gets a new session, which the widget keeps as it keeps every confirmed id.

credentials.yml names this class instead of `socketio:`; its settings are the same.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from bot import feedback, settings
from bot.channels.guard import MAX_REQUEST_BYTES, default_guard
from bot.channels.owned_ids import owned
from bot.channels.rated_output import RatedSocketIOOutput
from bot.channels.widget_sessions import session_ids

logger = logging.getLogger(__name__)

NOT_AN_OBJECT = (
    'I couldn\'t read that message: it should be an object such as '
    '{"message": "What band is a PSO?", "session_id": "..."}.'
)
NO_TEXT = 'I couldn\'t read that message: its "message" should be the text you typed.'
FEEDBACK_EVT, FEEDBACK_RESULT_EVT = "feedback", "feedback_result"
NOT_RATED = (
    "This chat has not started its session yet, so I can't keep that rating. "
    "Please reload the page and rate the answer again."
)
NO_SESSION = (
    "This chat has not started its session yet, so I can't answer it. "
    "Please reload the page and ask again."
)


def allowed_origins(setting: str | None = None) -> set[str] | None:
    """WEB_ORIGINS as a set of origins; None when every origin is allowed ("*" or unset)."""
    raw = settings.web_origins() if setting is None else setting
    origins = {o.rstrip("/") for o in re.split(r"[\s,]+", raw) if o}
    return None if not origins or "*" in origins else origins


def origin_allowed(origin: str | None, allowed: set[str] | None) -> bool:
    # Clients that are not browsers send no Origin; CORS is a browser protection anyway.
    return allowed is None or not origin or origin.rstrip("/") in allowed


def _one(args: tuple) -> Any:
    """An event's data. Handlers take any number of arguments: python-socketio calls a handler with
    as many as the client sent, none or several, and a handler that cannot take them crashes
    before it can answer."""
    return args[0] if len(args) == 1 else None


class WebChatInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio, namespace = self.sio, self.namespace or "/"
        sio.eio.max_http_buffer_size = MAX_REQUEST_BYTES
        rasa_connect = sio.handlers[namespace]["connect"]
        allowed = allowed_origins()
        guard = default_guard()
        guarded = guard.wrap(self.name(), on_new_message)
        sessions = session_ids()

        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            if not origin_allowed(environ.get("HTTP_ORIGIN"), allowed):
                return False
            # engine.io's environ names no peer address; the request it came on does
            request = environ.get("sanic.request")
            await sio.save_session(
                sid,
                {
                    "address": guard.address(
                        request.ip if request is not None else None,
                        environ.get("HTTP_X_FORWARDED_FOR"),
                    )
                },
                namespace=namespace,
            )
            return await rasa_connect(sid, environ, auth)

        async def session_request(sid: str, *args: Any) -> None:
            data = _one(args)
            data = data if isinstance(data, dict) else {}
            if not sessions.issued(data.get("session_id")):
                data["session_id"] = sessions.issue()  # made up, altered, or none: a new one
            # replies go to the room named by the conversation id (without persistence, the socket's)
            conversation = data["session_id"] if self.session_persistence else sid
            await sio.enter_room(sid, owned(self.name(), conversation), namespace=namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=namespace)

        async def tell(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace)

        async def handle_message(sid: str, *args: Any) -> None:
            data = _one(args)
            if not isinstance(data, dict):
                return await tell(sid, NOT_AN_OBJECT)
            given = data.get("session_id") if self.session_persistence else sid
            sender = owned(self.name(), given) if isinstance(given, str) else None
            # Only the sockets in a session's room see its replies (rooms are named by the
            # conversation id); answering a session this socket never joined would talk to
            # someone else, or to no one.
            if self.session_persistence and (
                sender is None or sender not in sio.rooms(sid, namespace=namespace)
            ):
                return await tell(sid, NO_SESSION)
            if not isinstance(data.get("message"), str):
                return await tell(sid, NO_TEXT)
            # the turn id goes out with the answer, for the widget to rate it by
            turn = uuid.uuid4().hex
            message = UserMessage(
                data["message"],
                RatedSocketIOOutput(sio, self.bot_message_evt, turn),
                sender,
                input_channel=self.name(),
                message_id=turn,
                metadata=self._metadata(data.get(self.metadata_key)),
            )
            await guarded(message, (await sio.get_session(sid, namespace=namespace)).get("address"))

        async def rate(sid: str, *args: Any) -> None:
            # A rating of an answer (bot/feedback.py), only for a session this socket joined.
            data = _one(args)
            given = (
                (data.get("session_id") if isinstance(data, dict) else None)
                if self.session_persistence
                else sid
            )
            session = owned(self.name(), given) if isinstance(given, str) else None
            try:
                if not (session and session in sio.rooms(sid, namespace=namespace)):
                    raise feedback.FeedbackRefused(NOT_RATED)
                rating = feedback.read_rating(data, sender=session)
                stored = await feedback.record_soon(rating)
                result = {
                    "stored": True,
                    "turn": stored["turn"],
                    "message": feedback.thanks(rating.rating),
                }
            except feedback.FeedbackRefused as refused:
                result = {
                    "stored": False,
                    "error": str(refused),
                    "turn": data.get("turn") if isinstance(data, dict) else None,
                }
            await sio.emit(FEEDBACK_RESULT_EVT, result, room=sid, namespace=namespace)

        # Registering again under the same event replaces Rasa's handler.
        sio.on("connect", connect, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        sio.on(FEEDBACK_EVT, rate, namespace=namespace)
        return webhook

    @staticmethod
    def _metadata(given: Any) -> dict | None:
        """Metadata is the page's business, not the person's: one that cannot be read is dropped
        and the message still answered."""
        if isinstance(given, str):
            try:
                given = json.loads(given)
            except (ValueError, RecursionError):
                given = None
        if given is not None and not isinstance(given, dict):
            logger.warning("dropped socket.io metadata that is not an object")
            return None
        return given
