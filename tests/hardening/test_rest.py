"""The bad-input corpus through the REST channel: every message gets a clear reply or a 4xx that
says what was wrong, never a 5xx; the servers stay up; and a conversation the bad input was mixed
into still knows what it was about, with nothing refused in its tracker."""
from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import requests

from bot.channels.owned_ids import owned
from tests.hardening.corpus import (FOLLOW_UP, LIMIT, PSO_BAND, as_json, follow_up_problem,
                                    for_sender, messages, problem, raw_bytes, requests_for,
                                    status_problem, tracker_problems, tried)


class RestPerson:
    def __init__(self, base_url: str):
        self.url = f"{base_url}/webhooks/rest/webhook"
        self.sender = f"hardening-rest-{uuid.uuid4().hex[:10]}"

    def post(self, body: bytes | None, content_type: str | None = "application/json",
             method: str = "POST", **options) -> requests.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        return requests.request(method, self.url, data=body, headers=headers, timeout=60, **options)

    def say(self, text: str) -> requests.Response:
        return self.post(as_json({"sender": self.sender, "message": text}))


def texts(response: requests.Response) -> list[str]:
    return [m.get("text") for m in response.json()]


def reply_problem(item, response: requests.Response) -> str | None:
    if item.expect.isdigit():
        return status_problem(item.expect, response)
    if response.status_code != 200:
        return f"expected 200, got {response.status_code} {response.text[:200]!r}"
    return problem(item, texts(response))


def test_every_bad_message_is_answered_clearly_and_the_conversation_keeps_its_context(hardened_bot):
    person, failures, accepted = RestPerson(hardened_bot.url), [], 0
    assert "Band 3" in texts(person.say(PSO_BAND))[0]
    for item in messages("rest"):
        # Real button presses may change the subject; they go to a conversation of their own.
        speaker = RestPerson(hardened_bot.url) if item.changes_context else person
        response = speaker.say(item.value)
        tried("rest", item.category)
        failure = reply_problem(item, response)
        if failure:
            failures.append(f"{item!r}: {failure}")
        accepted += speaker is person and item.expect == "answer" and response.status_code == 200
    assert hardened_bot.alive(), "a server stopped"

    failures += filter(None, [follow_up_problem("\n".join(texts(person.say(FOLLOW_UP))))])
    tracker = hardened_bot.tracker(owned("rest", person.sender))
    failures += tracker_problems(tracker, expected_messages=accepted + 2)
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def test_every_bad_request_gets_a_4xx_that_says_what_was_wrong(hardened_bot):
    person, failures = RestPerson(hardened_bot.url), []
    for category, expect, kind, value in requests_for("rest"):
        response = send(person, kind, value)
        tried("rest", category)
        if expect == "answer" or expect == "empty":
            failure = (f"expected 200, got {response.status_code}" if response.status_code != 200
                       else problem(expect, texts(response)))
        else:
            failure = status_problem(expect, response)
        if failure:
            failures.append(f"{category} {kind} {str(value)[:80]!r}: {failure}")
    assert hardened_bot.alive(), "a server stopped"
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def send(person: RestPerson, kind: str, value) -> requests.Response:
    if kind == "bodies":
        return person.post(for_sender(value, person.sender).encode())
    if kind == "json":
        return person.post(as_json(for_sender(value, person.sender)))
    if kind == "content_types":
        body = as_json({"sender": person.sender, "message": PSO_BAND})
        if value.startswith("application/x-www-form-urlencoded"):
            body = urlencode({"sender": person.sender, "message": PSO_BAND}).encode()
        return person.post(body, content_type=value)
    if kind == "message_bytes":
        return person.post(b'{"sender": %s, "message": "%s"}' % (json.dumps(person.sender).encode(),
                                                                 raw_bytes(value)))
    if kind == "chunked_sizes":
        def chunks():
            yield b'{"sender": "%s", "message": "' % person.sender.encode()
            for _ in range(value // 10_000):
                yield b"x" * 10_000
            yield b'"}'
        return person.post(chunks())
    if kind == "methods":
        return person.post(None, content_type=None, method=value)
    raise AssertionError(f"unknown kind of request input: {kind}")


def test_a_message_at_the_limit_is_read_and_one_over_it_is_not(hardened_bot):
    person = RestPerson(hardened_bot.url)
    padded = PSO_BAND + "." * (LIMIT - len(PSO_BAND))
    assert len(padded) == LIMIT
    assert "Band 3" in texts(person.say(padded))[0]
    refused = texts(person.say(padded + "."))[0]
    assert "too long" in refused and f"{LIMIT:,}" in refused
