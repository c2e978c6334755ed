"""Stopping the servers leaves nothing behind: a server whose worker ignores SIGTERM (Sanic's
parent then waits for it forever) is killed with its workers, so no worker keeps the port."""
from __future__ import annotations

import subprocess
import sys
import time

from bot import cli
from bot.processes import process_tree

# A parent that forwards SIGTERM to a worker and waits for it, as Sanic's does; the worker
# has lost its SIGTERM (as a Sanic worker does when it arrives during start-up).
STUCK_SERVER = """
import os, signal, time
worker = os.fork()
if worker == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(1)
signal.signal(signal.SIGTERM, lambda *_: os.kill(worker, signal.SIGTERM))
print("started", flush=True)
while True:
    try:
        os.waitpid(worker, 0)
        break
    except InterruptedError:
        pass
"""


def alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_server_whose_worker_will_not_stop_is_killed_with_its_worker():
    server = subprocess.Popen([sys.executable, "-c", STUCK_SERVER], stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "started"
    tree = process_tree(server.pid)
    assert len(tree) == 2
    started = time.monotonic()
    cli.stop([server], grace_seconds=1)
    assert time.monotonic() - started < 10
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in tree), [pid for pid in tree if alive(pid)]


def test_servers_that_stop_are_simply_stopped():
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    cli.stop([server], grace_seconds=5)
    assert server.returncode == -15                   # SIGTERM, nothing harsher


# A server process that dies before its worker has got as far as watching it, as when `make run`
# is killed while the workers are still loading the model.
SERVER_DIES_FIRST = """
import os, sys, time
server = os.getpid()
worker = os.fork()
if worker == 0:
    while os.getppid() == server:      # still loading: the server dies meanwhile
        time.sleep(0.05)
    from bot.processes import exit_with_parent
    exit_with_parent(server, grace_seconds=1, every_seconds=0.05)
    while True:
        time.sleep(1)
print(worker, flush=True)
"""


def test_a_worker_whose_server_died_before_it_watched_still_stops():
    server = subprocess.run([sys.executable, "-c", SERVER_DIES_FIRST], capture_output=True,
                            text=True, timeout=30, cwd=cli.ROOT)
    worker = int(server.stdout.split()[0])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process_tree(worker) and _alive(worker):
        time.sleep(0.1)
    assert not _alive(worker), "the orphaned worker kept running"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
