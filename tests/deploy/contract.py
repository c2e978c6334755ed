"""The agreements between the deployment files and the code: each check returns the problems it
finds, so a test can also show that it finds them in a broken copy."""
from __future__ import annotations

import os
import re
import sys
from unittest import mock
from pathlib import Path
from typing import Iterable

from tests.deploy import manifests

ENDPOINTS = manifests.ROOT / "endpoints.yml"
_ENDPOINT_VARIABLE = re.compile(r"\$\{(\w+)\}")


def endpoint_variables(path: Path = ENDPOINTS) -> set[str]:
    """The environment variables Rasa fills into endpoints.yml (comments aside)."""
    text = "\n".join(line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
    return set(_ENDPOINT_VARIABLE.findall(text))


def launcher_commands(monkeypatch) -> dict[str, list[str]]:
    """The commands `python -m bot run` starts (bot/cli.start_servers), recorded instead of run,
    with paths made relative to the repository as the images' working directory is."""
    from bot import cli, settings

    started: list[list[str]] = []

    class Recorder:
        def __init__(self, args, **_kwargs):
            started.append([str(a) for a in args])

        def poll(self):
            return None

    monkeypatch.setattr(cli.subprocess, "Popen", Recorder)
    monkeypatch.setattr(cli, "_wait_for", lambda *_args: True)
    monkeypatch.setattr(cli, "write_credentials", lambda path, *_args: path)
    for name in ("BOT_PORT", "ACTION_PORT", "MODELS_DIR"):
        monkeypatch.delenv(name, raising=False)
    cli.start_servers(settings.load())
    root = str(manifests.ROOT) + "/"

    def relative(args: list[str]) -> list[str]:
        return ["python" if a == sys.executable else a.removeprefix(root) for a in args]

    actions, rasa = (relative(args) for args in started)
    return {"actions": actions, "rasa": rasa}


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


def rasa_command_problems(args: list[str], launcher: list[str], port: int) -> list[str]:
    """A container's Rasa command must run the same wrapper with the same files as the launcher."""
    found = []
    if args[:4] != ["python", "-m", "bot.server", "run"]:
        found.append(f"does not run `python -m bot.server run`: {args[:4]}")
    for name in ("--endpoints", "--credentials"):
        if option(args, name) != option(launcher, name):
            found.append(f"{name} {option(args, name)}, but the launcher uses {option(launcher, name)}")
    if option(args, "--model") != "models":
        found.append(f"--model {option(args, '--model')}, not the trained models/ of the image")
    if option(args, "--port") != str(port):
        found.append(f"--port {option(args, '--port')}, but the Rasa port is {port}")
    if option(args, "--cors") != "$WEB_ORIGINS":
        found.append("--cors does not pass WEB_ORIGINS")
    if "--auth-token" in args or "--jwt-secret" in args:
        found.append("a token on the command line, where ps shows it; bot.server reads RASA_TOKEN")
    return found


def actions_command_problems(args: list[str], launcher: list[str]) -> list[str]:
    if args != launcher:
        return [f"the action server runs {args}, the launcher {launcher}"]
    return []


def missing(environment: dict, names: Iterable[str], where: str) -> list[str]:
    return [f"{where}: {name} is not set" for name in sorted(names) if name not in environment]


def compose_setting_problems(compose: dict, names: set[str]) -> list[str]:
    found = []
    rasa = manifests.rasa_services(compose)
    if not rasa:
        found.append("no Rasa service in the Compose file")
    for service_name, service in rasa.items():
        found += missing(service.get("environment", {}), names, f"compose {service_name}")
    return found


def k8s_setting_problems(objects: list[dict], names: set[str]) -> list[str]:
    found, checked = [], 0
    for workload in manifests.workloads(objects):
        for spec in manifests.pod_spec(workload)["containers"]:
            if "bot.server" in spec.get("args", []):
                checked += 1
                where = f"{workload['kind']} {workload['metadata']['name']}/{spec['name']}"
                found += missing(manifests.container_env(spec, objects), names, where)
    if not checked:
        found.append("no Rasa container in the Kubernetes manifests")
    return found


def served_paths(app) -> set[str]:
    """The fixed GET paths a Sanic app answers."""
    return {"/" + route.path.strip("/") for route in app.router.routes
            if "GET" in route.methods and "<" not in route.path}


def unserved(paths: dict[str, str], served: set[str]) -> list[str]:
    return [f"{where} checks {path}, which the server does not serve"
            for where, path in sorted(paths.items()) if path not in served]


def compose_health_url(service: dict) -> tuple[int, str] | None:
    test = " ".join(service.get("healthcheck", {}).get("test", []))
    match = re.search(r"http://[^/:]+:(\d+)(/[^'\" ]*)", test)
    return (int(match[1]), match[2]) if match else None


def probe_paths(spec: dict) -> dict[str, tuple[int | str, str]]:
    """Each HTTP probe of a Kubernetes container: its port (number or name) and path."""
    return {kind: (probe["httpGet"]["port"], probe["httpGet"]["path"])
            for kind in ("startupProbe", "readinessProbe", "livenessProbe")
            if (probe := spec.get(kind)) and "httpGet" in probe}


def container_port(spec: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in spec.get("ports", []) if p.get("name") == port)


def upstream_servers(nginx_conf: str) -> list[str]:
    return re.findall(r"^\s*server\s+([^\s;{]+:\d+)", nginx_conf, re.M)


def listen_port(nginx_conf: str) -> int:
    return int(re.search(r"^\s*listen\s+(?:[^\s;]*:)?(\d+)", nginx_conf, re.M)[1])


def pod_addresses(objects: list[dict], port: int) -> list[str]:
    """host:port of each Rasa pod, by the StatefulSet's stable names."""
    rasa = manifests.find(objects, "StatefulSet", "rasa")
    service = rasa["spec"]["serviceName"]
    headless = manifests.find(objects, "Service", service)["spec"].get("clusterIP") == "None"
    if not headless:
        return []
    return [f"rasa-{i}.{service}:{port}" for i in range(rasa["spec"]["replicas"])]


def compose_addresses(compose: dict, port: int) -> list[str]:
    found = []
    for name, service in sorted(manifests.rasa_services(compose).items()):
        aliases = service.get("networks", {}).get("default", {}).get("aliases", [])
        found += [f"{alias}:{port}" for alias in aliases]
    return found



def default_ports() -> dict[str, int]:
    """The ports bot/settings.py and bot/web.py use when the environment names none (the
    Makefile exports BOT_PORT and ACTION_PORT, and a developer may have changed them)."""
    from bot import settings, web

    with mock.patch.dict(os.environ):
        for name in ("BOT_PORT", "ACTION_PORT", "WEB_PORT"):
            os.environ.pop(name, None)
        cfg = settings.load()
        return {"BOT_PORT": cfg.bot_port, "ACTION_PORT": cfg.action_port, "WEB_PORT": web.web_port()}
