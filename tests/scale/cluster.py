"""The scaled deployment on this machine: PostgreSQL (knowledge base and conversations), Redis
(conversation locks), N Rasa servers each with its own action server, and nginx in front, all
started from the same launch commands `make run` uses, with the settings the deployment files
set. Each process can be killed, restarted, or have its database restarted under it."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bot import cli
from bot.channels.owned_ids import owned
from bot.scale.nginx import Balancer, render
from tests.services import ensure_postgres, ensure_redis, port_open, postgres_admin_url

ROOT = cli.ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_nginx() -> str:
    for candidate in ("nginx", "/usr/sbin/nginx"):
        found = subprocess.run(["sh", "-c", f"command -v {candidate}"], capture_output=True, text=True)
        if found.returncode == 0:
            return found.stdout.strip()
    raise RuntimeError("nginx is not installed: `make scale-tools` installs it (apt-get install nginx)")


def recreate_database(name: str) -> str:
    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(postgres_admin_url()).set(database=name).render_as_string(False)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


def wait_until_answers(url: str, process: subprocess.Popen | None, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[:4]} exited with {process.returncode}")
        if _answers(url):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


@dataclass
class Replica:
    index: int
    bot_port: int
    action_port: int
    rasa: subprocess.Popen | None = None
    actions: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.bot_port}"


@dataclass
class Cluster:
    work_dir: Path
    replicas: int = 2
    ticket_lock_lifetime: int = 10
    extra_env: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    members: list[Replica] = field(default_factory=list)
    nginx: subprocess.Popen | None = None
    port: int = 0
    log_dir: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- start ---------------------------------------------------------------------------------
    def start(self) -> "Cluster":
        ensure_postgres()
        ensure_redis()
        nginx = ensure_nginx()
        cli.prepare()                      # a current model, as `make run` would train
        self.log_dir = self.work_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        knowledge_url = recreate_database("careers_scale_knowledge")
        trackers_url = recreate_database("careers_scale_trackers")
        from knowledge.loader import load
        load(knowledge_url)
        self.env = {**cli._env(), "DATABASE_URL": knowledge_url, "TRACKER_STORE_URL": trackers_url,
                    "LOCK_STORE": "redis", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379",
                    # one process per replica, as deployed: nginx keeps each conversation
                    # (and each socket.io session) on one replica, not on one of its workers
                    "SANIC_WORKERS": "1",
                    "REDIS_DB": "3", "TICKET_LOCK_LIFETIME": str(self.ticket_lock_lifetime),
                    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                    # The scripted visitors type far faster than people; the limit is not under test.
                    "RATE_LIMIT_PER_MINUTE": "100000", "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "100000",
                    **self.extra_env}
        self._clear_locks()
        self.members = [Replica(i, free_port(), free_port()) for i in range(self.replicas)]
        for member in self.members:
            self.start_actions(member, wait=False)
        for member in self.members:
            wait_until_answers(f"http://127.0.0.1:{member.action_port}/health", member.actions, 60)
            self.start_rasa(member, wait=False)
        for member in self.members:
            wait_until_answers(f"http://{member.address}/", member.rasa, 180)
        self.port = free_port()
        run_dir = self.work_dir / "nginx"
        run_dir.mkdir(exist_ok=True)
        conf = run_dir / "nginx.conf"
        conf.write_text(render(Balancer([m.address for m in self.members], listen=f"127.0.0.1:{self.port}",
                                        run_dir=str(run_dir), served_by_header=True)))
        self.nginx = subprocess.Popen([nginx, "-p", str(run_dir), "-c", str(conf), "-e", "stderr",
                                       "-g", "daemon off;"],
                                      stdout=self._log("nginx"), stderr=subprocess.STDOUT)
        wait_until_answers(f"{self.url}/nginx-health", self.nginx, 15)
        return self

    def _log(self, name: str):
        return open(self.log_dir / f"{name}.log", "ab")

    def _clear_locks(self) -> None:
        import redis
        redis.Redis(host="127.0.0.1", port=6379, db=3).flushdb()

    def start_actions(self, member: Replica, wait: bool = True) -> None:
        env = {**self.env, "ACTION_PORT": str(member.action_port)}
        member.actions = subprocess.Popen(
            [sys.executable, "-m", "bot.action_server", "--actions", "actions", "--port", str(member.action_port)],
            cwd=ROOT, env=env, stdout=self._log(f"actions-{member.index}"), stderr=subprocess.STDOUT)
        if wait:
            wait_until_answers(f"http://127.0.0.1:{member.action_port}/health", member.actions, 60)

    def start_rasa(self, member: Replica, wait: bool = True) -> None:
        env = {**self.env, "BOT_PORT": str(member.bot_port), "ACTION_PORT": str(member.action_port),
               "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{member.action_port}/webhook"}
        model = cli.latest_model(Path(env.get("MODELS_DIR", ROOT / "models")))
        member.rasa = subprocess.Popen(
            [sys.executable, "-m", "bot.server", "run", "--model", str(model), "--port",
             str(member.bot_port), "--interface", "127.0.0.1", "--credentials", "credentials.yml",
             "--endpoints", "endpoints.yml"],
            cwd=ROOT, env=env, stdout=self._log(f"rasa-{member.index}"), stderr=subprocess.STDOUT)
        if wait:
            wait_until_answers(f"http://{member.address}/", member.rasa, 180)

    # -- faults --------------------------------------------------------------------------------
    def kill_rasa(self, member: Replica) -> None:
        member.rasa.send_signal(signal.SIGKILL)
        member.rasa.wait()

    def restart_actions(self, member: Replica, down_seconds: float = 0.0) -> None:
        member.actions.terminate()
        member.actions.wait(timeout=15)
        time.sleep(down_seconds)
        self.start_actions(member)

    def restart_postgres(self) -> None:
        versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart",
                        "-m", "fast"], check=True, capture_output=True)
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", 5432) and time.monotonic() < deadline:
            time.sleep(0.2)

    # -- what the conversation store holds ------------------------------------------------------
    def events(self, sender: str) -> list[tuple[str, str | None]]:
        """What the store holds for the REST `sender`'s conversation."""
        engine = sa.create_engine(self.env["TRACKER_STORE_URL"])
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT type_name, data FROM events WHERE sender_id = :s "
                                        "ORDER BY id"), {"s": owned("rest", sender)}).all()
        engine.dispose()
        return [(kind, data) for kind, data in rows]

    def stop(self) -> None:
        processes = [self.nginx] + [p for m in self.members for p in (m.rasa, m.actions)]
        for process in processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in processes:
            if process is None:
                continue
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
