"""Processes started by the launcher and the benchmark: found through /proc, and tied to the
process that started them so that none outlives it holding a port."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def process_tree(pid: int) -> list[int]:
    """`pid` and every process under it: Sanic's workers are children of the server process."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def terminated_with_parent() -> None:
    """`preexec_fn` for the launcher's servers: the kernel sends the child SIGTERM when the
    launcher dies, however it dies (kill -9 included), so `make run` finds its ports free again.
    The setting survives the exec of the server. Linux ties it to the thread that started the
    child, not the process, so start servers from a thread that lives as long as they should
    (the launchers start them from their main thread)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def start_action_server(port: int, env: dict, cwd: Path, **output) -> subprocess.Popen:
    """The action server (bot/action_server.py) on `port`, stopped when the process that starts it
    dies, as the launcher and the benchmark both need; `output` redirects its stdout/stderr."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot.action_server", "--actions", "actions", "--port", str(port)],
        cwd=cwd,
        env=env,
        preexec_fn=terminated_with_parent,
        **output,
    )


def exit_with_parent(
    parent: int | None = None, grace_seconds: float = 20.0, every_seconds: float = 0.5
) -> None:
    """For a Sanic worker: once the server process that forked it is gone (killed with -9, say),
    stop as SIGTERM stops it, closing the shared listening socket at once and finishing the turns
    under way; if it is still alive `grace_seconds` later (a SIGTERM that arrives while Sanic is
    still starting is lost), exit regardless. A worker whose parent is gone is never restarted
    or stopped by anyone, and would hold the port until someone found it.

    `parent` is the server's pid as the worker was forked from it: asking the worker for its
    parent later would be wrong if the server died first (while the worker was still loading the
    model, say), when the worker's parent is already init and would never change again."""
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_seconds)
        logger.warning("the server process %s is gone; worker %s stops too", parent, os.getpid())
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
