"""The Rasa server `make run` starts has a worker process per core (two at most) and they share
the conversation locks: both workers answer, and a conversation whose messages arrive together,
some at each worker, has each one answered in turn and stored once."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bot.processes import process_tree
from tests.e2e.conftest import Conversation, stored_events


def own_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_every_worker_answers(bot_processes):
    url, (_, rasa) = bot_processes
    expected = min(2, os.cpu_count() or 1)
    # with one worker Sanic serves in the server process itself; with more, in its children
    workers = [pid for pid in process_tree(rasa.pid) if pid != rasa.pid] if expected > 1 else [rasa.pid]
    assert len(workers) == expected
    before = {pid: own_cpu_seconds(pid) for pid in workers}

    def visitor(_):
        conversation = Conversation(url)
        return [conversation.say(text) for text in
                ("what band is a PSO?", "and how much do they earn?", "thanks")]

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(visitor, range(10)))
    assert all(replies for conversation in answers for replies in conversation)
    assert all("Band 3" in conversation[0][0]["text"] for conversation in answers)
    assert all(own_cpu_seconds(pid) - before[pid] > 0.05 for pid in workers)


def test_messages_sent_together_are_answered_in_turn_and_stored_once(bot_processes):
    url, _ = bot_processes
    questions = ("what band is a PSO?", "what qualifications do I need to be a probation officer?",
                 "what is the PQiP?")
    senders = [Conversation(url).sender for _ in range(6)]

    def send(job):
        sender, text = job
        response = requests.post(f"{url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60)
        return response.status_code, response.json()

    jobs = [(sender, text) for sender in senders for text in questions]
    with ThreadPoolExecutor(len(jobs)) as pool:              # every message of a conversation at once
        results = list(pool.map(send, jobs))
    assert all(status == 200 and replies for status, replies in results)

    for sender in senders:
        kinds = [(kind, action) for kind, action, _ in stored_events(sender)]
        users = [i for i, (kind, _) in enumerate(kinds) if kind == "user"]
        assert len(users) == len(questions)
        # each turn ran to its end (a reply, then listening) before the next one began
        for start, end in zip(users, users[1:] + [len(kinds)]):
            turn = kinds[start:end]
            assert any(kind == "bot" for kind, _ in turn)
            assert turn[-1] == ("action", "action_listen")


def test_a_client_that_keeps_its_connection_gets_a_fresh_one_for_each_message(bot_processes):
    """A kept-alive connection would stay with the worker that accepted it however busy that
    worker became; with several workers each answer closes its connection, so the next message
    goes to whichever worker is free. The conversation itself carries on across connections."""
    url, _ = bot_processes
    # one worker has nobody to share with, and keeps connections open as Sanic does
    expected = "close" if min(2, os.cpu_count() or 1) > 1 else "keep-alive"
    sender = Conversation(url).sender
    with requests.Session() as session:          # a client that would reuse its connection
        replies = []
        for text in ("what band is a PSO?", "and how much do they earn?"):
            response = session.post(f"{url}/webhooks/rest/webhook", timeout=60,
                                    json={"sender": sender, "message": text})
            assert response.status_code == 200
            assert response.headers.get("Connection", "").lower() == expected
            replies.append(" ".join(r.get("text") or "" for r in response.json()))
        health = session.get(f"{url}/", timeout=10)
        assert health.headers.get("Connection", "").lower() == expected
    assert "Band 3" in replies[0]
    assert "£" in replies[1]                     # the follow-up was still about the PSO
