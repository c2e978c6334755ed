"""What the balancer promises each channel: one conversation reaches one Rasa server, whether it
comes as REST, a Telegram update, a Slack event, or the widget's socket.io session."""
from __future__ import annotations

import json
import threading
import uuid

import requests
import socketio


def served_by(cluster, path: str, body: dict) -> str:
    response = requests.post(f"{cluster.url}{path}", data=json.dumps(body),
                             headers={"Content-Type": "application/json"}, timeout=30)
    return response.headers["X-Served-By"]


def telegram_update(chat: int, text: str) -> dict:
    return {"update_id": uuid.uuid4().int % 10**9,
            "message": {"message_id": 1, "chat": {"id": chat, "type": "private"},
                        "from": {"id": chat, "is_bot": False}, "text": text}}


def slack_event(user: str, text: str) -> dict:
    return {"type": "event_callback", "event_id": uuid.uuid4().hex,
            "event": {"type": "message", "user": user, "text": text, "channel": "D1"}}


def test_each_channels_conversation_key_keeps_it_on_one_server(cluster):
    shapes = {
        "/webhooks/rest/webhook": lambda key, text: {"sender": f"s{key}", "message": text},
        "/webhooks/telegram/webhook": lambda key, text: telegram_update(1000 + key, text),
        "/webhooks/slack/webhook": lambda key, text: slack_event(f"U{key:05d}", text),
    }
    for path, shape in shapes.items():
        servers_used = set()
        for key in range(16):
            answered_by = {served_by(cluster, path, shape(key, text))
                           for text in ("hi", "what band is a PSO?", "thanks")}
            assert len(answered_by) == 1, (path, key, answered_by)
            servers_used |= answered_by
        # ...and different conversations are spread over the servers.
        assert servers_used == {m.address for m in cluster.members}, (path, servers_used)


def test_the_widgets_socketio_session_works_through_the_balancer(cluster):
    replies: list[dict] = []
    confirmed: list[str] = []
    answered, issued = threading.Event(), threading.Event()
    client = socketio.Client(reconnection=False)

    @client.on("bot_uttered")
    def on_bot_uttered(data):
        replies.append(data)
        answered.set()

    @client.on("session_confirm")
    def on_session_confirm(session_id):
        confirmed.append(session_id)
        issued.set()

    # Long-polling first, as browsers do: its handshake and polls must reach one server.
    client.connect(cluster.url, transports=["polling"], socketio_path="socket.io", wait_timeout=10)
    try:
        # the server issues the session (bot/channels/widget_sessions.py); the widget keeps it
        client.emit("session_request", {"session_id": None})
        assert issued.wait(20), "no session confirmed through the balancer"
        client.emit("user_uttered", {"message": "what band is a PSO?", "session_id": confirmed[0]})
        assert answered.wait(20), "no answer over socket.io through the balancer"
        assert "Band 3" in replies[0]["text"]
    finally:
        client.disconnect()
