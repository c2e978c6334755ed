"""`make run` (python -m bot run): both servers come up on the configured ports, answer, and
both stop on Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from bot import cli
from tests.e2e.conftest import free_port
from tests.services import port_open


def test_run_serves_and_stops_both_servers_on_ctrl_c(bot_server, tmp_path):
    bot_port, action_port = free_port(), free_port()
    env = {**cli._env(), "BOT_PORT": str(bot_port), "ACTION_PORT": str(action_port),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite'}",
           "WORKER_STATE_PATH": str(tmp_path / "workers.sqlite")}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=cli.ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        replies = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                replies = requests.post(f"http://127.0.0.1:{bot_port}/webhooks/rest/webhook",
                                        json={"sender": "run-test", "message": "what band is a PSO?"},
                                        timeout=10).json()
                break
            except requests.RequestException:
                time.sleep(1)
        assert replies and "Band 3" in replies[0]["text"]
        assert port_open("127.0.0.1", action_port)
        os.killpg(process.pid, signal.SIGINT)           # what Ctrl-C in a terminal sends
        assert process.wait(timeout=60) == 0
        time.sleep(1)
        assert not port_open("127.0.0.1", bot_port) and not port_open("127.0.0.1", action_port)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
