"""The console of `make run` and `make shell`: a short start-up instead of the servers' logs
(which go to var/log/), old conversations purged once the bot is up, and a shell started while
the bot runs (its port taken) talking to that bot, or, when another program holds the port,
starting the bot on a free one."""
from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from bot import cli, console, feedback
from tests.e2e.conftest import free_port
from tests.review.week import DAY, write_week

NOISE = ("INFO", "WARNING", "sanic", "Rasa server is up", "tensorflow", "Traceback")


def lines_until(process: subprocess.Popen, last: str, seconds: float = 300) -> list[str]:
    """The process's output lines up to and including the first containing `last`."""
    found: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [found.put(line.rstrip("\n")) for line in process.stdout],
                     daemon=True).start()
    lines, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            lines.append(found.get(timeout=1))
        except queue.Empty:
            continue
        if last in lines[-1]:
            return lines
    raise AssertionError(f"no {last!r} within {seconds} s; the output was:\n" + "\n".join(lines))


def test_run_prints_a_short_start_up_logs_to_files_and_purges_old_conversations(bot_server, tmp_path):
    bot_port, action_port, web_port = free_port(), free_port(), free_port()
    store = f"sqlite:///{tmp_path / 'trackers.sqlite'}"
    old = write_week(store, start=time.time() - 200 * DAY)
    env = {**cli._env(), "BOT_PORT": str(bot_port), "ACTION_PORT": str(action_port),
           "WEB_PORT": str(web_port), "TRACKER_STORE_URL": store,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite'}",
           "WORKER_STATE_PATH": str(tmp_path / "workers.sqlite")}
    env.pop("LOG_LEVEL", None)
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=cli.ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        lines = lines_until(process, "Ready")
        assert "Channels on: REST, web widget (socket.io), ratings" in lines
        assert f"REST: http://localhost:{bot_port}/webhooks/rest/webhook (socket.io on the same port)" in lines
        assert f"The chat widget's demo page: http://localhost:{web_port}/" in lines
        assert not [line for line in lines if any(word in line for word in NOISE)], lines
        log = cli.ROOT / "var" / "log" / f"bot-{bot_port}.log"
        assert "Rasa server is up and running" in log.read_text()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with feedback.engine_for(store).connect() as connection:
                left = {s for (s,) in connection.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}
            if not set(old) & left:
                break
            time.sleep(0.5)
        assert not set(old) & left, "the conversations from 200 days ago are still there"
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def shell(env: dict, said: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "shell"], cwd=cli.ROOT, input=said,
                          env={**cli._env(), **env}, capture_output=True, text=True, timeout=timeout)


def test_shell_while_the_bot_runs_says_so_in_one_line_and_talks_to_it(bot_server):
    port = bot_server.rsplit(":", 1)[1]
    done = shell({"BOT_PORT": port}, "what band is a PSO?\n/quit\n")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first == (f"The bot is already running on port {port} (make run?); this chat talks to it. "
                     "/quit or Ctrl-D leaves.")
    assert "Band 3" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_shell_with_its_port_held_by_another_program_starts_the_bot_on_a_free_one(bot_server, tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        done = shell({"BOT_PORT": str(taken), "ACTION_PORT": str(free_port()), "LOG_LEVEL": "debug",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite'}",
                      "WORKER_STATE_PATH": str(tmp_path / "workers.sqlite")},
                     "what band is a PSO?\n/quit\n")
    assert done.returncode == 0, done.stderr
    assert f"Port {taken} is taken by another program; starting the bot on port " in done.stdout
    assert "Band 3" in done.stdout
    # LOG_LEVEL=debug puts the servers' own log lines on the console
    assert "DEBUG" in done.stdout + done.stderr


def test_a_log_level_that_is_not_one_is_refused_saying_which_are(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(SystemExit, match="LOG_LEVEL must be one of debug, info"):
        console.verbose()
    monkeypatch.setenv("LOG_LEVEL", "Debug")
    assert console.verbose()
