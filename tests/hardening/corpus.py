"""The bad-input corpus (bad_inputs.yml) expanded into concrete inputs, the check every reply must
pass, and the tally of inputs tried per channel and category."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.guard import MessageGuard, clean

HERE = Path(__file__).parent
CORPUS = yaml.safe_load((HERE / "bad_inputs.yml").read_text(encoding="utf-8"))
CHANNELS = ("rest", "socketio", "slack", "telegram")
# The servers under test run with the default size limit; the operator test sets its own.
LIMIT = MessageGuard.from_env({}).max_chars
TALLY: Counter = Counter()          # (channel, category) -> inputs tried
# The conversation the bad input is mixed into: a question, then a follow-up that needs it.
PSO_BAND, FOLLOW_UP = "what band is a PSO?", "and how much do they earn?"


@dataclass(frozen=True)
class Item:
    category: str
    expect: str
    value: Any
    contains: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    via_button: bool = False
    changes_context: bool = False

    def __repr__(self) -> str:
        shown = repr(self.value)
        return f"{self.category}: {shown[:80] + f'... ({len(shown)} chars)' if len(shown) > 90 else shown}"


def build(spec: Any, limit: int = LIMIT) -> Any:
    """A value with every generator mapping in it expanded."""
    if isinstance(spec, dict) and "repeat" in spec:
        prefix, suffix, unit = spec.get("prefix", ""), spec.get("suffix", ""), spec["repeat"]
        if "over_limit" in spec:
            room = limit + spec["over_limit"] - len(prefix) - len(suffix)
            body = (unit * (room // len(unit) + 1))[:room]
        else:
            body = unit * spec["times"]
        return prefix + body + suffix
    if isinstance(spec, dict):
        return {key: build(value, limit) for key, value in spec.items()}
    if isinstance(spec, list):
        return [build(value, limit) for value in spec]
    return spec


def for_sender(value: Any, sender: str) -> Any:
    """A request with "$sender" replaced by the conversation's id."""
    if isinstance(value, str):
        return value.replace("$sender", sender)
    if isinstance(value, dict):
        return {for_sender(k, sender): for_sender(v, sender) for k, v in value.items()}
    if isinstance(value, list):
        return [for_sender(v, sender) for v in value]
    return value


def messages(channel: str, limit: int = LIMIT) -> list[Item]:
    found = []
    for category, spec in CORPUS["messages"].items():
        if channel not in spec.get("channels", CHANNELS):
            continue
        for entry in spec["inputs"]:
            notes = entry if isinstance(entry, dict) else {}
            found.append(Item(category, str(spec["expect"]), notes.get("text", build(entry, limit)),
                              tuple(notes.get("contains", ())), tuple(notes.get("not", ())),
                              bool(spec.get("via_button")), bool(spec.get("changes_context"))))
    return found


def requests_for(channel: str) -> Iterator[tuple[str, str, str, Any]]:
    """(category, expect, kind of input, input) for each request-level input of a channel."""
    for category, spec in CORPUS["requests"][channel].items():
        for kind, inputs in spec.items():
            if kind != "expect":
                for value in inputs:
                    yield category, str(spec["expect"]), kind, build(value)


def raw_bytes(text: str) -> bytes:
    """A message_bytes entry: each character below 256 is one byte, so invalid UTF-8 survives."""
    return text.encode("latin-1")


def reply_words(kind: str, limit: int = LIMIT) -> list[str]:
    return [w.replace("{limit}", f"{limit:,}") for w in CORPUS["replies"][kind]]


def problem(item: Item | str, texts: list[str], limit: int = LIMIT) -> str | None:
    """Why the replies to an input are not what a person should get; None when they are."""
    expect = item.expect if isinstance(item, Item) else item
    said = "\n".join(texts)
    if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
        return f"expected {expect}, got no readable reply: {texts!r}"
    lowered = said.lower()
    if expect == "answer":
        refused = [kind for kind in CORPUS["replies"] if reply_words(kind, limit)[0].lower() in lowered]
        missing = [w for w in getattr(item, "contains", ()) if w.lower() not in lowered]
        wrong = [w for w in getattr(item, "absent", ()) if w.lower() in lowered]
        if refused or missing or wrong:
            return f"expected an answer{f' with {missing}' if missing else ''}" \
                   f"{f' without {wrong}' if wrong else ''}, got {said[:300]!r}"
        return None
    missing = [w for w in reply_words(expect, limit) if w.lower() not in lowered]
    return f"expected the {expect} reply ({missing} missing), got {said[:300]!r}" if missing else None


def status_problem(expected: str, response) -> str | None:
    """For inputs refused at the HTTP level: the status, and a JSON error that says something."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if str(response.status_code) != expected or not (isinstance(error, str) and len(error) > 10):
        return f"expected {expected} with a JSON error, got {response.status_code} {response.text[:200]!r}"
    return None


def tracker_problems(tracker: dict, expected_messages: int) -> list[str]:
    """A tracker Rasa can load, holding the person's role, and only the messages the guard let
    through, each as the guard cleaned it."""
    found = []
    try:
        DialogueStateTracker.from_dict(tracker["sender_id"], tracker["events"])
    except Exception as error:      # noqa: BLE001 -- any failure to load is the finding
        found.append(f"the tracker does not load: {error!r}")
    said = [e.get("text") or "" for e in tracker["events"] if e["event"] == "user"]
    if len(said) != expected_messages:
        found.append(f"the tracker holds {len(said)} messages, not the {expected_messages} let through")
    found += [f"an uncleaned or oversized message is in the tracker: {t[:80]!r}"
              for t in said if clean(t) != t or len(t) > LIMIT]
    if tracker["slots"].get("role") != "pso":
        found.append(f"the role slot is {tracker['slots'].get('role')!r}, not 'pso'")
    return found


def follow_up_problem(answer: str) -> str | None:
    if "£" in answer and "pso" in answer.lower():
        return None
    return f"the follow-up lost its context: {answer[:300]!r}"


def tried(channel: str, category: str) -> None:
    TALLY[(channel, category)] += 1


def tally_lines() -> list[str]:
    lines, total = [], 0
    for channel in CHANNELS:
        mine = {cat: n for (ch, cat), n in sorted(TALLY.items()) if ch == channel}
        if mine:
            total += sum(mine.values())
            lines.append(f"{channel}: {sum(mine.values())} inputs ("
                         + ", ".join(f"{cat} {n}" for cat, n in mine.items()) + ")")
    distinct = sum(len(spec["inputs"]) for spec in CORPUS["messages"].values()) + sum(
        1 for ch in CHANNELS for _ in requests_for(ch))
    return [f"bad inputs tried: {total} across channels; {distinct} distinct inputs in the corpus"] + lines


def as_json(value: Any) -> bytes:
    return json.dumps(value).encode()
