"""Local services the tests need: PostgreSQL and Redis answer on loopback on this machine and on
CI's; when one does not, start it rather than skip the tests that need it."""
from __future__ import annotations

import contextlib
import glob
import os
import socket
import subprocess
import time
from typing import Callable, Iterator


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def eventually(condition: Callable[[], object], seconds: float, every: float = 0.2) -> bool:
    """Whether `condition()` holds within `seconds`, asked every `every` seconds and once more at
    the end: for what a process does in its own time (a port freed, a reload logged)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def _wait(host: str, port: int, seconds: float) -> bool:
    return eventually(lambda: port_open(host, port), seconds)


def ensure_postgres(host: str = "127.0.0.1", port: int = 5432) -> None:
    if port_open(host, port):
        return
    versions = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    if not versions:
        raise RuntimeError("PostgreSQL is not answering on 127.0.0.1:5432 and is not installed "
                           "(apt-get install postgresql)")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
                   check=False, capture_output=True)
    if not _wait(host, port, 30):
        raise RuntimeError("PostgreSQL did not start on 127.0.0.1:5432")


def ensure_redis(host: str = "127.0.0.1", port: int = 6379) -> None:
    if port_open(host, port):
        return
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port),
                    "--save", "", "--appendonly", "no"], check=False, capture_output=True)
    if not _wait(host, port, 15):
        raise RuntimeError("Redis did not start on 127.0.0.1:6379")


def postgres_admin_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the servers a test starts, and put them back after."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
