"""The per-address rate limit, behind a trusted proxy (this machine, as nginx would be): a client
that rotates its sender ids (REST) or its sessions (the widget) is still limited by its address,
told so in words, while another address is answered; and an address a client writes into
X-Forwarded-For itself does not get it round the limit."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.channels.conftest import running_bot
from tests.hardening.people import SocketPerson

PER_MINUTE = 60
BURST = PER_MINUTE // 3


@pytest.fixture(scope="module")
def proxied_bot(tmp_path_factory):
    env = {"RATE_LIMIT_PER_ADDRESS_PER_MINUTE": str(PER_MINUTE), "TRUSTED_PROXIES": "127.0.0.1, ::1"}
    with running_bot(tmp_path_factory.mktemp("proxied"), env) as running:
        yield running


def post(bot, forwarded_for: str) -> requests.Response:
    """One message from a new sender id, from the client the proxy names."""
    return requests.post(f"{bot.url}/webhooks/rest/webhook", timeout=30,
                         headers={"X-Forwarded-For": forwarded_for},
                         json={"sender": f"rotating-{uuid.uuid4().hex}", "message": "hello"})


def test_rotating_sender_ids_from_one_address_are_limited(proxied_bot):
    statuses = [post(proxied_bot, "203.0.113.7").status_code for _ in range(BURST + 10)]
    assert statuses[:BURST] == [200] * BURST
    assert statuses[BURST:] == [429] * 10
    reply = post(proxied_bot, "203.0.113.7")
    assert "from your network address" in reply.json()["error"]
    assert f"{PER_MINUTE} a minute" in reply.json()["error"]
    assert 1 <= int(reply.headers["Retry-After"]) <= 2
    # what the client itself puts in front of the proxy's entry is not believed
    assert post(proxied_bot, "198.51.100.99, 203.0.113.7").status_code == 429
    # another client behind the same proxy is not held up
    assert post(proxied_bot, "203.0.113.8").status_code == 200


def test_rotating_widget_sessions_from_one_address_are_limited(proxied_bot):
    person = SocketPerson(proxied_bot.url, headers={"X-Forwarded-For": "203.0.113.20"})
    try:
        answers = [person.say("hello", session=person.request_session({})) for _ in range(BURST)]
        assert all(any("Hello" in text for text in answer) for answer in answers)
        refused = person.say("hello", session=person.request_session({}))
        assert any("from your network address" in text for text in refused), refused
        assert not any("Hello" in text for text in refused)
    finally:
        person.close()
    other = SocketPerson(proxied_bot.url, headers={"X-Forwarded-For": "203.0.113.21"})
    try:
        assert any("Hello" in text for text in other.say("hello"))
    finally:
        other.close()
