"""A Dockerfile linter for what matters in these images, without Docker: the base image is
pinned, the server runs as a non-root user, every COPY source exists and reaches the build
context, every `python -m` module the image runs exists here, and the port it exposes is the
one it serves and checks."""
from __future__ import annotations

import importlib
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

from dockerfile_parse import DockerfileParser

from tests.deploy.manifests import ROOT

_PYTHON_MODULE = re.compile(r"\bpython3?\s+-m\s+([\w.]+)")
_URL = re.compile(r"https?://[^/'\"\s]+:(\d+)(/[^'\"\s]*)?")


@dataclass(frozen=True)
class Image:
    path: Path
    port: int                       # the port the server listens on (bot/settings.py default)
    context: Path = ROOT            # the build context: the repository root


def instructions(path: Path) -> list[tuple[str, str]]:
    parser = DockerfileParser(path=str(path))
    return [(i["instruction"], i["value"]) for i in parser.structure if i["instruction"] != "COMMENT"]


def exec_form(value: str) -> list[str] | None:
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) and all(isinstance(a, str) for a in parsed) else None


def command(path: Path, instruction: str) -> list[str]:
    """The image's ENTRYPOINT or CMD in exec form ([] when absent)."""
    found = [value for name, value in instructions(path) if name == instruction]
    return (exec_form(found[-1]) or []) if found else []


def healthcheck_url(path: Path) -> tuple[int, str] | None:
    """The port and path the HEALTHCHECK requests."""
    for name, value in instructions(path):
        if name == "HEALTHCHECK":
            match = _URL.search(value)
            if match:
                return int(match[1]), match[2] or "/"
    return None


def python_version() -> str:
    return (ROOT / ".python-version").read_text(encoding="utf-8").strip()


def _base_image(image: str) -> list[str]:
    if "@sha256:" in image:
        return []
    name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    if not tag or tag == "latest":
        return [f"base image {image} is not pinned to a version"]
    found = []
    if name.split("/")[-1] == "python" and not re.match(rf"{re.escape(python_version())}(\.\d+)?-", tag):
        found.append(f"base image {image} is not the project's Python {python_version()}")
    if not re.search(r"-(bookworm|bullseye|trixie)$", tag):
        found.append(f"base image {image} does not name its Debian release")
    return found


def _pattern(pattern: str) -> re.Pattern:
    """A .dockerignore line as a regular expression over paths relative to the context."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        else:
            out += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i]))
            i += 1
    return re.compile(out + "$")


def _dockerignore(context: Path) -> list[tuple[bool, re.Pattern]]:
    path = context / ".dockerignore"
    rules = []
    for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else []):
        line = line.strip()
        if line and not line.startswith("#"):
            pattern = line.lstrip("!").strip().lstrip("/").removeprefix("./").rstrip("/")
            rules.append((line.startswith("!"), _pattern(pattern)))
    return rules


def ignored(relative: str, context: Path = ROOT) -> bool:
    """Whether .dockerignore leaves this path (or a folder above it) out of the build context;
    as in Docker, the last matching line decides and `!` brings a path back."""
    parts = relative.strip("/").split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    verdict = False
    for keep, regex in _dockerignore(context):
        if any(regex.match(c) for c in candidates):
            verdict = not keep
    return verdict


def _copy_sources(value: str) -> list[str] | None:
    args = exec_form(value) or value.split()
    if any(a.startswith("--from") for a in args):
        return None                      # from another stage, not from the context
    args = [a for a in args if not a.startswith("--")]
    return args[:-1]


def _module_problems(module: str, args: list[str]) -> list[str]:
    spec = importlib.util.find_spec(module)
    if spec is None:
        return [f"python -m {module}: no such module"]
    if spec.submodule_search_locations is not None and importlib.util.find_spec(module + ".__main__") is None:
        return [f"python -m {module}: a package without __main__"]
    try:
        importlib.import_module(module)
        if module in ("rasa_sdk", "bot.action_server") and "--actions" in args:
            importlib.import_module(args[args.index("--actions") + 1])
    except Exception as error:          # any import failure is what this check is for
        return [f"python -m {module}: cannot be imported ({error!r})"]
    return []


def problems(image: Image) -> list[str]:
    steps = instructions(image.path)
    names = [name for name, _ in steps]
    found: list[str] = []

    for name, value in steps:
        if name == "FROM":
            found += _base_image(value.split()[0])

    users = [value.strip() for name, value in steps if name == "USER"]
    starts = [i for i, name in enumerate(names) if name in ("CMD", "ENTRYPOINT")]
    last_user = max((i for i, name in enumerate(names) if name == "USER"), default=None)
    if not users or users[-1].split(":")[0] in ("root", "0"):
        found.append("the image runs as root: no non-root USER")
    elif starts and last_user > min(starts):
        found.append("USER comes after CMD/ENTRYPOINT")

    for name, value in steps:
        if name == "ADD":
            found.append(f"ADD {value}: use COPY, which fetches nothing and unpacks nothing")
        if name not in ("COPY", "ADD"):
            continue
        for source in _copy_sources(value) or []:
            if not (image.context / source).exists():
                found.append(f"COPY {source}: not in the repository")
            elif ignored(source, image.context):
                found.append(f"COPY {source}: left out of the build context by .dockerignore")

    for instruction in ("ENTRYPOINT", "CMD"):
        values = [value for name, value in steps if name == instruction]
        if values and exec_form(values[-1]) is None:
            found.append(f"{instruction} is not in exec form, so the server would not get SIGTERM")
    if not command(image.path, "CMD"):
        found.append("no CMD")
    runs = [value for name, value in steps if name == "RUN"]
    for args in (command(image.path, "ENTRYPOINT"), command(image.path, "CMD")):
        for i, arg in enumerate(args[:-2]):
            if re.fullmatch(r"python3?", arg) and args[i + 1] == "-m":
                found += _module_problems(args[i + 2], args[i + 3:])
    for run in runs:
        for module in _PYTHON_MODULE.findall(run):
            found += _module_problems(module, [])

    if not any(re.search(r"pip install .*-r requirements\.lock", run) for run in runs):
        found.append("the pinned set is not installed (pip install -r requirements.lock)")
    envs = DockerfileParser(path=str(image.path)).envs
    if envs.get("RASA_TELEMETRY_ENABLED") != "false":
        found.append("RASA_TELEMETRY_ENABLED is not false")

    exposed = {int(port.split("/")[0]) for name, value in steps if name == "EXPOSE"
               for port in value.split()}
    if exposed != {image.port}:
        found.append(f"EXPOSE {sorted(exposed)}, but the server listens on {image.port}")
    health = healthcheck_url(image.path)
    if health is None:
        found.append("no HEALTHCHECK requesting the server")
    elif health[0] != image.port:
        found.append(f"HEALTHCHECK requests port {health[0]}, but the server listens on {image.port}")
    return found
