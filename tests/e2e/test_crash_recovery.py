"""After a crash nothing is left holding the ports: `kill -9` of the Rasa server's main process
takes its worker processes with it, `kill -9` of `make run` itself takes both servers, and in
each case the bot starts again on the same ports."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import requests

from bot import cli, settings
from bot.processes import process_tree
from tests.bot.test_stopping import alive
from tests.e2e.conftest import free_port
from tests.services import environment, eventually, port_open

ASK = {"sender": "crash-test", "message": "what band is a PSO?"}


def answers(bot_port: int) -> bool:
    try:
        reply = requests.post(f"http://127.0.0.1:{bot_port}/webhooks/rest/webhook", json=ASK, timeout=10)
        return "Band 3" in reply.json()[0]["text"]
    except (requests.RequestException, ValueError, IndexError, KeyError):
        return False


def server_env(tmp_path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'knowledge.sqlite'}",
            "BOT_PORT": str(free_port()), "ACTION_PORT": str(free_port()),
            "WORKER_STATE_PATH": str(tmp_path / "workers.sqlite"), "SANIC_WORKERS": "2"}


def test_the_workers_die_with_a_killed_server_and_it_starts_again(tmp_path):
    env = server_env(tmp_path)
    with environment(env):
        cli.prepare()
        cfg = settings.load()
        actions, rasa = cli.start_servers(cfg)
        try:
            workers = [pid for pid in process_tree(rasa.pid) if pid != rasa.pid]
            assert len(workers) == 2
            assert answers(cfg.bot_port)
            os.kill(rasa.pid, signal.SIGKILL)
            rasa.wait()
            assert eventually(lambda: not port_open("127.0.0.1", cfg.bot_port), 10), "the port is held"
            assert eventually(lambda: not any(alive(pid) for pid in workers), 30), \
                [pid for pid in workers if alive(pid)]
            actions_again, rasa_again = cli.start_servers(cfg)   # the same ports
            try:
                assert answers(cfg.bot_port)
            finally:
                cli.stop([actions_again, rasa_again])
        finally:
            cli.stop([actions, rasa])


def test_make_run_starts_again_after_it_was_killed(tmp_path):
    env = {**cli._env(), **server_env(tmp_path)}
    bot_port, action_port = int(env["BOT_PORT"]), int(env["ACTION_PORT"])

    def make_run() -> subprocess.Popen:
        launcher = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=cli.ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
        assert eventually(lambda: answers(bot_port) or launcher.poll() is not None, 240)
        assert launcher.poll() is None, "make run exited"
        return launcher

    launcher = make_run()
    try:
        def servers() -> list[int]:
            return [pid for pid in process_tree(launcher.pid) if pid != launcher.pid]

        # the action server, the Rasa server and its two workers (one may still be starting)
        assert eventually(lambda: len(servers()) >= 4, 30), \
            [open(f"/proc/{pid}/cmdline").read().replace("\0", " ")[:80] for pid in servers()]
        started = servers()
        launcher.send_signal(signal.SIGKILL)
        launcher.wait()
        assert eventually(lambda: not any(alive(pid) for pid in started), 30), \
            [pid for pid in started if alive(pid)]
        assert not port_open("127.0.0.1", bot_port) and not port_open("127.0.0.1", action_port)
        launcher = make_run()
        os.killpg(launcher.pid, signal.SIGINT)
        assert launcher.wait(timeout=60) == 0
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
