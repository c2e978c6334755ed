"""A REST request sent again with the same X-Request-Id (a balancer retrying it on another
server after the first died, or a client retrying after a timeout) is answered once: the repeat
gets the same replies and the conversation store holds the turn once."""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.conftest import Conversation, stored_events


def send(conversation: Conversation, text: str, request_id: str | None) -> list[dict]:
    headers = {"X-Request-Id": request_id} if request_id else {}
    response = requests.post(conversation.url, json={"sender": conversation.sender, "message": text},
                             headers=headers, timeout=60)
    response.raise_for_status()
    return response.json()


def user_turns(conversation: Conversation) -> list[str]:
    return [json.loads(data)["text"] for kind, _, data in stored_events(conversation.sender)
            if kind == "user"]


def test_a_request_sent_again_gets_the_same_answer_and_is_stored_once(bot_server):
    conversation, request_id = Conversation(bot_server), uuid.uuid4().hex
    first = send(conversation, "what band is a PSO?", request_id)
    assert "Band 3" in first[0]["text"]
    assert send(conversation, "what band is a PSO?", request_id) == first
    assert user_turns(conversation) == ["what band is a PSO?"]
    # the next request is a new turn, and the conversation carries on from the stored one
    follow_up = send(conversation, "and how much do they earn?", uuid.uuid4().hex)
    assert "£" in follow_up[0]["text"] and "PSO" in follow_up[0]["text"]
    assert user_turns(conversation) == ["what band is a PSO?", "and how much do they earn?"]


def test_copies_arriving_together_are_answered_alike_and_stored_once(bot_server):
    # a retry can arrive while the first attempt is still being answered
    conversation, request_id = Conversation(bot_server), uuid.uuid4().hex
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: send(conversation, "how long is PQiP?", request_id), range(3)))
    assert answers[0] and answers[0] == answers[1] == answers[2]
    assert user_turns(conversation) == ["how long is PQiP?"]


def test_without_an_id_or_with_a_new_one_each_message_is_a_turn(bot_server):
    conversation = Conversation(bot_server)
    for request_id in (None, None, "not an id!", uuid.uuid4().hex):
        send(conversation, "thanks", request_id)
    assert user_turns(conversation) == ["thanks"] * 4


def test_the_same_id_in_another_conversation_is_that_conversations_own_turn(bot_server):
    request_id = uuid.uuid4().hex
    people = [Conversation(bot_server) for _ in range(2)]
    for person in people:
        assert "Band 3" in send(person, "what band is a PSO?", request_id)[0]["text"]
        assert user_turns(person) == ["what band is a PSO?"]
