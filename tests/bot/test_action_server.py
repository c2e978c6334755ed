"""The action server as `make run` and the deployments start it (`python -m bot.action_server`):
on loopback unless told otherwise, refusing to start on another address without a token, running
actions only for callers with the token, and refusing oversized bodies with a 413."""
from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Iterator

import requests

from bot.action_server import MAX_REQUEST_BYTES
from bot.settings import ROOT
from tests.e2e.conftest import free_port

TOKEN = "action-server-test-token-8d1e"


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port`, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:          # 0A: LISTEN
                found.add(address)
    return found


@contextlib.contextmanager
def action_server(**env: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bot.action_server", "--actions", "actions",
                                "--port", str(port)], cwd=ROOT,
                               env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                                    "SANIC_WORKERS": "1", **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the action server exited"
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            assert time.monotonic() < deadline, "the action server did not answer"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_by_default_it_listens_on_loopback_only_and_needs_no_token():
    with action_server() as url:
        port = int(url.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"0100007F"}              # 127.0.0.1
        assert requests.get(f"{url}/actions", timeout=10).status_code == 200


def test_on_another_address_it_refuses_to_start_without_a_token():
    done = subprocess.run([sys.executable, "-m", "bot.action_server", "--actions", "actions",
                           "--port", str(free_port())], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                               "ACTION_HOST": "0.0.0.0"}, timeout=120)
    assert done.returncode != 0
    assert "set ACTION_SERVER_TOKEN" in done.stderr


def test_with_a_token_only_callers_that_send_it_run_actions():
    with action_server(ACTION_HOST="0.0.0.0", ACTION_SERVER_TOKEN=TOKEN) as url:
        port = int(url.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"00000000"}              # 0.0.0.0
        assert requests.get(f"{url}/health", timeout=10).status_code == 200   # the probes'
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            for reply in (requests.get(f"{url}/actions", headers=headers, timeout=10),
                          requests.post(f"{url}/webhook", json={"next_action": "action_answer"},
                                        headers=headers, timeout=10)):
                assert reply.status_code == 401, headers
                assert "ACTION_SERVER_TOKEN" in reply.json()["error"]
        listed = requests.get(f"{url}/actions", headers={"Authorization": f"Bearer {TOKEN}"},
                              timeout=10)
        assert {"name": "action_answer"} in listed.json()


def test_a_body_over_the_cap_gets_a_413_and_the_server_carries_on():
    with action_server() as url:
        huge = b'{"next_action": "action_answer", "padding": "' + b"x" * MAX_REQUEST_BYTES + b'"}'
        reply = requests.post(f"{url}/webhook", data=huge, timeout=30,
                              headers={"Content-Type": "application/json"})
        assert reply.status_code == 413
        assert "larger than the action server accepts" in reply.json()["error"]
        # small on the wire, huge once inflated
        bomb = zlib.compress(b'{"padding": "' + b"x" * (2 * MAX_REQUEST_BYTES) + b'"}')
        assert len(bomb) < MAX_REQUEST_BYTES // 100
        reply = requests.post(f"{url}/webhook", data=bomb, timeout=30,
                              headers={"Content-Type": "application/json",
                                       "Content-Encoding": "deflate"})
        assert reply.status_code == 413
        assert requests.get(f"{url}/health", timeout=10).status_code == 200


def test_the_rasa_server_sends_the_token_so_answers_still_come(tmp_path):
    """As the deployments run it: the action server on the network, with a token that the Rasa
    server reads from the same variable and sends (endpoints.yml)."""
    from tests.channels.conftest import running_bot
    with running_bot(tmp_path, {"ACTION_HOST": "0.0.0.0", "ACTION_SERVER_TOKEN": TOKEN}) as bot:
        assert requests.get(f"{bot.action_url}/actions", timeout=10).status_code == 401
        reply = requests.post(f"{bot.url}/webhooks/rest/webhook", timeout=60,
                              json={"sender": "token-test", "message": "what band is a PSO?"})
        assert "Band 3" in reply.json()[0]["text"]
