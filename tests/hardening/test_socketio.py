"""The bad-input corpus through the widget's socket.io channel, from a python-socketio client:
every message and every wrongly shaped event is answered on the socket, frames over the cap close
the socket without harming the server, and the session the bad input was mixed into keeps its
context."""
from __future__ import annotations

from bot.channels.owned_ids import owned
from tests.hardening.corpus import (FOLLOW_UP, PSO_BAND, follow_up_problem, for_sender,
                                    messages, problem, requests_for, tracker_problems, tried)
from tests.hardening.people import SocketPerson


def test_every_bad_message_is_answered_on_the_socket_and_the_session_keeps_its_context(hardened_bot):
    person, failures, accepted = SocketPerson(hardened_bot.url), [], 0
    other = person.request_session({"session_id": f"{person.session}-buttons"})
    try:
        assert "Band 3" in "\n".join(person.say(PSO_BAND))
        for item in messages("socketio"):
            tried("socketio", item.category)
            if item.expect == "413":
                failure = frame_refusal_problem(hardened_bot, {"message": item.value})
            else:
                # Real button presses may change the subject: they go to a session of their own.
                failure = problem(item, person.say(item.value, other if item.changes_context else None))
                accepted += not item.changes_context and item.expect == "answer"
            if failure:
                failures.append(f"{item!r}: {failure}")
        assert hardened_bot.alive(), "a server stopped"
        failures += filter(None, [follow_up_problem("\n".join(person.say(FOLLOW_UP)))])
        failures += tracker_problems(hardened_bot.tracker(owned("socketio", person.session)), expected_messages=accepted + 2)
    finally:
        person.close()
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def frame_refusal_problem(bot, data: dict) -> str | None:
    """A frame past the cap closes its socket, the way a 413 ends a request; the server stays up
    and the next socket is answered."""
    sender = SocketPerson(bot.url)
    try:
        sender.client.emit("user_uttered", {"session_id": sender.session, **data})
        if not sender.closed.wait(30):
            return "the socket stayed open"
    finally:
        sender.close()
    after = SocketPerson(bot.url)
    try:
        return problem("answer", after.say("hello"))
    finally:
        after.close()


def test_every_wrongly_shaped_event_is_answered_with_what_was_wrong(hardened_bot):
    person, failures = SocketPerson(hardened_bot.url), []
    try:
        for category, expect, kind, value in requests_for("socketio"):
            tried("socketio", category)
            value = for_sender(value, person.session)
            if expect == "closed":
                failure = frame_refusal_problem(hardened_bot, value)
            elif expect == "confirmed":
                confirmed = person.request_session(value)
                given = value.get("session_id") if isinstance(value, dict) else None
                failure = None if (isinstance(confirmed, str) and confirmed and confirmed != given
                                   and confirmed.isprintable()) else f"confirmed {confirmed!r}"
            else:
                failure = problem(expect, person.emit(value))
            if failure:
                failures.append(f"{category} {str(value)[:80]!r}: {failure}")
        assert hardened_bot.alive(), "a server stopped"
    finally:
        person.close()
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
