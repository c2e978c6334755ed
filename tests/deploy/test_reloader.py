"""deploy/nginx/reload-on-dns-change.sh, run with stand-ins for getent and nginx: it reloads
nginx when a Rasa server's address changes, and only then."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.deploy.manifests import DEPLOY
from tests.services import eventually

SCRIPT = DEPLOY / "nginx" / "reload-on-dns-change.sh"

GETENT = """#!/bin/sh
# hosts NAME: the address the test wrote for NAME, if any
line=$(grep "^$2 " "$HOSTS_FILE") || exit 2
echo "${line#* }   $2"
"""
NGINX = """#!/bin/sh
echo "$*" >> "$NGINX_LOG"
"""


@pytest.fixture
def stand_ins(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("getent", GETENT), ("nginx", NGINX)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    hosts = tmp_path / "hosts"
    log = tmp_path / "nginx.log"
    log.touch()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "HOSTS_FILE": str(hosts),
           "NGINX_LOG": str(log), "NGINX_CONF": str(DEPLOY / "nginx" / "nginx.conf"),
           "DNS_CHECK_SECONDS": "0.2", "DNS_WAIT_SECONDS": "30"}
    return env, hosts, log


def start(env) -> subprocess.Popen:
    # Its own session, so the loop it leaves running can be stopped with it.
    return subprocess.Popen(["sh", str(SCRIPT)], env=env, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    process.wait(timeout=5)


def test_nginx_is_reloaded_when_a_rasa_server_moves_and_not_otherwise(stand_ins):
    env, hosts, log = stand_ins
    hosts.write_text("rasa-0.rasa 10.0.0.10\nrasa-1.rasa 10.0.0.11\n")
    process = start(env)
    try:
        process.wait(timeout=10)          # returns at once: both names resolve
        time.sleep(1.0)                   # several checks with nothing changed
        assert log.read_text() == ""
        hosts.write_text("rasa-0.rasa 10.0.0.10\nrasa-1.rasa 10.0.0.99\n")
        assert eventually(lambda: log.read_text() == "-s reload\n", 5, every=0.05)
        time.sleep(1.0)
        assert log.read_text() == "-s reload\n"
    finally:
        stop(process)


def test_it_waits_for_the_names_before_nginx_starts_and_never_reloads_onto_a_missing_one(stand_ins):
    env, hosts, log = stand_ins
    hosts.write_text("rasa-0.rasa 10.0.0.10\n")
    process = start(env)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=1.5)     # rasa-1.rasa does not resolve yet
        hosts.write_text("rasa-0.rasa 10.0.0.10\nrasa-1.rasa 10.0.0.11\n")
        process.wait(timeout=5)
        hosts.write_text("rasa-0.rasa 10.0.0.12\n")
        time.sleep(1.0)
        assert log.read_text() == ""      # rasa-1.rasa is gone: a reload would fail
        hosts.write_text("rasa-0.rasa 10.0.0.12\nrasa-1.rasa 10.0.0.11\n")
        assert eventually(lambda: log.read_text() == "-s reload\n", 5, every=0.05)
    finally:
        stop(process)
