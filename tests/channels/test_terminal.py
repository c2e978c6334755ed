"""`python -m bot.channels.terminal` in a pseudo-terminal against the real bot: a question is
answered, suggestions are numbered, typing a number asks that suggestion, /quit and Ctrl-D leave,
and a bot that is not running is said so plainly."""
from __future__ import annotations

import re
import sys
from urllib.parse import urlparse

import pexpect

from bot import cli
from tests.channels.widget_fixtures import free_port

pytest_plugins = ["tests.channels.widget_fixtures"]

PROMPT = "You: "


def terminal(bot_port: int) -> pexpect.spawn:
    env = {**cli._env(), "BOT_PORT": str(bot_port)}
    return pexpect.spawn(sys.executable, ["-m", "bot.channels.terminal"], cwd=str(cli.ROOT),
                         env=env, encoding="utf-8", timeout=60, dimensions=(50, 200))


def test_question_answered_and_a_numbered_suggestion_picked(bot_server):
    chat = terminal(urlparse(bot_server).port)
    try:
        chat.expect_exact(PROMPT)
        chat.sendline("what band is a PSO?")
        chat.expect(r"Bot: (.+?)\r?\n")
        assert "Band 3" in chat.match.group(1)
        chat.expect(r"Source: .+?\r?\n")
        chat.expect_exact(PROMPT)
        options = re.findall(r"^  (\d)\) (.+?)\r?$", chat.before, re.M)
        assert [n for n, _ in options] == [str(i) for i in range(1, len(options) + 1)]
        titles = dict(options)
        assert titles["1"] == "How much does a PSO earn?"

        chat.sendline("1")
        chat.expect_exact(f"({titles['1']})")              # the pick is echoed by its title
        chat.expect(r"Bot: (.+?)\r?\n")
        answer = chat.match.group(1)
        assert "PSO" in answer and "£" in answer
        chat.expect_exact(PROMPT)

        chat.sendline("/quit")
        chat.expect(pexpect.EOF)
    finally:
        chat.close()
    assert chat.exitstatus == 0


def test_a_planned_route_is_shown_as_a_line_of_stages(bot_server):
    chat = terminal(urlparse(bot_server).port)
    try:
        chat.expect_exact(PROMPT)
        chat.sendline("can you plan my route into probation?")
        chat.expect_exact(PROMPT)
        chat.sendline("I have A levels")
        chat.expect(r"Route: (.+?)\r?\n")
        assert chat.match.group(1) == "PQiP 27-month route (27 months, Band 3) → PO (Band 4); 27 months in all"
        chat.sendline("/quit")
        chat.expect(pexpect.EOF)
    finally:
        chat.close()


def test_unreachable_server_is_said_plainly_and_ctrl_d_leaves():
    chat = terminal(free_port())
    try:
        chat.expect_exact(PROMPT)
        chat.sendline("hello")
        chat.expect_exact("Can't reach the bot at http://127.0.0.1:")
        chat.expect_exact(PROMPT)                          # still there, to try again
        chat.sendeof()
        chat.expect(pexpect.EOF)
    finally:
        chat.close()
    assert chat.exitstatus == 0
