"""A scripted week of conversations written into a conversation store as Rasa stores them: the
review's tests read it, and the page made from it shows an editor what a week looks like."""
from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from bot import feedback
from bot.stores import ConversationStore

DAY = 86400.0
ROLE_BAND = {"kind": "answer", "topic": "band", "unit": "role-band"}
# (day, channel, question, the answer's structure (None: a domain response to an off-topic
# question), retrieval's best unit and score, reply)
SCRIPT = [
    (0, "rest", "what band is a PSO?", ROLE_BAND, ("role-band", 0.91), "A PSO is Band 3."),
    (0, "socketio", "whats the band for a pso", ROLE_BAND, ("role-band", 0.86), "A PSO is Band 3."),
    (1, "slack", "What is the exact pass mark for the assessment centre?",
     {"kind": "unknown", "topic": "abstain"}, ("assessment-centre", 0.41),
     "Sorry, I don't have an answer to that in what I know about probation careers, so I won't guess."),
    (2, "rest", "what's the pass mark for the assessment centre",
     {"kind": "unknown", "topic": "abstain"}, ("assessment-centre", 0.44),
     "Sorry, I don't have an answer to that in what I know about probation careers, so I won't guess."),
    (2, "telegram", "my name is Jo Bloggs, email jo.bloggs@example.com, can I apply from SW1A 1AA?",
     {"kind": "unknown", "topic": "abstain"}, ("apply-how", 0.39),
     "Sorry, I don't have an answer to that in what I know about probation careers, so I won't guess."),
    (3, "rest", "is pqip paid", {"kind": "answer", "topic": "pqip", "unit": "pqip-paid"},
     ("pqip-paid", 0.55), "Yes: PQiP trainees are paid on the PSO grade."),
    (3, "rest", "what's the weather in Leeds?", None, ("role-duties", 0.2),
     "I can only help with careers in probation."),
    (4, "socketio", "how much does a PSO earn", {"kind": "answer", "topic": "pay", "unit": "role-pay"},
     ("role-pay", 0.88), "A PSO earns £24,000 to £26,500 a year to start."),
    (5, "rest", "my NI number is QQ 12 34 56 C and I was born 12/03/1990, am I too old?",
     {"kind": "unknown", "topic": "abstain"}, ("min-age", 0.47),
     "Sorry, I don't have an answer to that in what I know about probation careers, so I won't guess."),
    (6, "rest", "what band is a PSO?", ROLE_BAND, ("role-band", 0.91), "A PSO is Band 3."),
]


def write_week(url: str, start: float) -> list[str]:
    """Writes SCRIPT from `start` onwards, one conversation a line, with a not-helpful rating on
    the Telegram decline and on the PSO pay answer; returns the conversation ids."""
    ConversationStore(host=url).engine.dispose()            # creates Rasa's events table
    engine = feedback.engine_for(url)
    senders = []
    with engine.begin() as connection:
        for line, (day, channel, question, answer, (unit, score), reply) in enumerate(SCRIPT):
            sender = f"week-{line}-{uuid.uuid4().hex[:6]}"
            senders.append(sender)
            at = start + day * DAY + line * 60
            turn = uuid.uuid4().hex
            user = {"event": "user", "timestamp": at, "text": question, "input_channel": channel,
                    "message_id": turn, "parse_data": {
                        "intent": {"name": "ask_question" if answer else "out_of_scope", "confidence": 0.9},
                        "retrieval": {"unit": unit, "score": score}}}
            bot = {"event": "bot", "timestamp": at + 0.5, "text": reply,
                   "metadata": {"answer": answer} if answer else {}}
            for event in (user, bot):
                connection.execute(sa.text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :t, :ts, :d)"),
                    {"s": sender, "t": event["event"], "ts": event["timestamp"], "d": json.dumps(event)})
    for sender, comment in ((senders[4], "call me on 07700 900123 about it"), (senders[7], "")):
        feedback.record(feedback.Rating(sender, "not_helpful", comment=comment or None), url=url)
    return senders
