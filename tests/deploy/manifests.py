"""Reading the deployment files: the Compose file, the Kubernetes manifests and the settings
they give each container, as the tests compare them with each other and with the code."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
SECRET_TEMPLATE = "secret.template.yaml"
KUSTOMIZATION = "kustomization.yaml"
BOT_DOCKERFILE = DEPLOY / "docker" / "bot.Dockerfile"
ACTIONS_DOCKERFILE = DEPLOY / "docker" / "actions.Dockerfile"

# Compose fills in ${NAME}, ${NAME:-default} and ${NAME:?error} from the operator's environment
# and turns $$ into a literal $; only the names matter here.
_COMPOSE_VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def load_compose(path: Path = COMPOSE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def compose_args(value: list[str]) -> list[str]:
    """A Compose command as the container receives it: $$ becomes $."""
    return [arg.replace("$$", "$") for arg in value]


def compose_variables(text: str) -> set[str]:
    return set(_COMPOSE_VARIABLE.findall(text.replace("$$", "")))


def services(compose: dict, image_prefix: str) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items()
            if str(service.get("image", "")).startswith(image_prefix)}


def rasa_services(compose: dict) -> dict[str, dict]:
    """The Compose services that run the Rasa server (the bot image, serving port 5005)."""
    return {name: service for name, service in services(compose, "probation-bot:").items()
            if "bot.server" in service.get("command", [])}


def manifest_files(directory: Path = K8S) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.name != KUSTOMIZATION)


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def k8s_objects(directory: Path = K8S) -> list[dict]:
    """Every object, the Secret template's included (it stands for the Secret operators make)."""
    return [doc for path in manifest_files(directory) for doc in documents(path)]


def find(objects: list[dict], kind: str, name: str) -> dict:
    for obj in objects:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise LookupError(f"no {kind} {name} in the manifests")


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def container(workload: dict, name: str) -> dict:
    for spec in pod_spec(workload)["containers"]:
        if spec["name"] == name:
            return spec
    raise LookupError(f"no container {name} in {workload['kind']} {workload['metadata']['name']}")


def workloads(objects: list[dict]) -> Iterator[dict]:
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
            yield obj


def container_env(spec: dict, objects: list[dict]) -> dict[str, str]:
    """The environment a container gets: its ConfigMaps' and Secrets' keys, then its own env
    (a valueFrom counts as set; its value is not known here)."""
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            env.update(find(objects, "ConfigMap", source["configMapRef"]["name"])["data"])
        if "secretRef" in source:
            secret = find(objects, "Secret", source["secretRef"]["name"])
            env.update(secret.get("stringData") or secret.get("data") or {})
    for item in spec.get("env", []):
        env[item["name"]] = item.get("value", "<from a reference>")
    return env

