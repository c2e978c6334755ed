"""The widget's session ids are the server's to issue, seen from a python-socketio client: a page
that asks for an id of its own choosing, someone else's id altered, or an id another server
signed, gets a new conversation; a page that comes back with the id it was issued (a reload)
carries on its conversation."""
from __future__ import annotations

import uuid

import pytest
import requests

from bot.channels.widget_sessions import SessionIds
from tests.e2e.conftest import bot_processes, bot_server  # noqa: F401  (fixtures)
from tests.hardening.people import SocketPerson

FOLLOW_UP = "and how much do they earn?"


@pytest.fixture
def victim(bot_server):
    """Someone whose conversation is about the PSO, in a session whose id their page asked for."""
    person = SocketPerson(bot_server)
    person.chosen = f"victim-{uuid.uuid4().hex[:12]}"
    person.session = person.request_session({"session_id": person.chosen})
    assert "Band 3" in "\n".join(person.say("what band is a PSO?"))
    yield person
    person.close()


def forgeries(victim) -> list[str]:
    """The id the victim's page asked for, ids made up, and the victim's own id altered."""
    found = [victim.chosen, "my-own-session-id", victim.session + "x",
             SessionIds(b"another deployment's secret").issue()]
    if victim.session.count(".") == 1:
        nonce, mac = victim.session.split(".")
        found += [f"{nonce}.{'0' * len(mac)}", f"{nonce[:-1]}A.{mac}", nonce]
    return found


def test_a_session_of_the_clients_choosing_is_not_granted(bot_server, victim):
    for forged in forgeries(victim):
        intruder = SocketPerson(bot_server)
        try:
            confirmed = intruder.request_session({"session_id": forged})
            assert isinstance(confirmed, str) and confirmed not in (forged, victim.session)
            answer = "\n".join(intruder.say(FOLLOW_UP, session=confirmed))
            assert "£" in answer and "PSO" not in answer, forged      # a fresh conversation
            # and the session it asked for was not joined: a message there is refused
            refused = "\n".join(intruder.say(FOLLOW_UP, session=forged))
            assert "reload the page" in refused and "£" not in refused
        finally:
            intruder.close()


def test_the_issued_session_is_resumed_after_a_reload(bot_server, victim):
    assert victim.session != victim.chosen and victim.session.count(".") == 1
    victim.close()
    reloaded = SocketPerson(bot_server)
    try:
        assert reloaded.request_session({"session_id": victim.session}) == victim.session
        answer = "\n".join(reloaded.say(FOLLOW_UP, session=victim.session))
        assert "PSO" in answer and "£" in answer                 # the same conversation
    finally:
        reloaded.close()


def test_rest_cannot_reach_a_widget_conversation(bot_server, victim):
    reply = requests.post(f"{bot_server}/webhooks/rest/webhook", timeout=60,
                          json={"sender": victim.session, "message": FOLLOW_UP})
    assert "PSO" not in " ".join(m.get("text") or "" for m in reply.json())
