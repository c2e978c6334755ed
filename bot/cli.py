"""`python -m bot COMMAND`: what the Makefile targets run.

kb        validate the fact files and build the knowledge database
train     train a model, unless one already matches the data and config
run       the action server, the Rasa server and the chat widget's page; Ctrl-C stops all
shell     chat in the terminal
validate  rasa data validate
eval      answer-level accuracy over REST (results/eval.md) and the held-out NLU report
review    the editors' review page, results/review.html (--since, --channel; see --help)
purge     delete conversations and ratings older than CONVERSATION_RETENTION_DAYS
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot import console, retention
from bot import settings as settings_module
from bot.channels.credentials import write_credentials
from bot.processes import process_tree, start_action_server, terminated_with_parent

ROOT = settings_module.ROOT
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"


def _env() -> dict:
    """The environment the servers and Rasa's commands run with (bot/settings.py)."""
    return settings_module.child_environment()


def _rasa(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rasa", *args], cwd=ROOT, env=_env(), **kwargs)


def build_knowledge() -> int:
    from knowledge.loader import main as loader_main

    url = settings_module.database_url()
    return loader_main([] if url is None else ["--database-url", url])


def training_fingerprint(root: Path = ROOT) -> str:
    """A digest of everything a model is trained from: the config, the domain (responses
    included), the training data, our components' code, the names in the fact files and the
    question bank (a changed salary trains nothing; a new name or question does) and Rasa's
    version."""
    from importlib.metadata import version

    from knowledge.loader import knowledge_names, validate

    digest = hashlib.sha256(f"rasa {version('rasa')}\n".encode())
    files = [
        root / "config.yml",
        root / "domain.yml",
        *(root / "data").rglob("*"),
        *(root / "bot" / "components").glob("*.py"),
    ]
    for path in sorted(p for p in files if p.is_file()):
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(knowledge_names(root / "knowledge" / "facts")).encode())
    for unit in validate(root / "knowledge" / "facts").units:
        digest.update(
            json.dumps(
                [unit.id, unit.kind, unit.params, unit.jurisdiction, unit.roles, unit.questions]
            ).encode()
        )
    return digest.hexdigest()


def _fingerprint_file(model: Path) -> Path:
    return model.with_name(model.name + ".inputs")


def train(force: bool = False, quiet: bool = False) -> int:
    """Rasa 3 trains whenever asked (its cache only spares the components whose inputs are
    unchanged, and packing the model still takes ~15 s), so a model is trained only when the
    newest one was trained from other inputs."""
    cfg = settings_module.load()
    fingerprint = training_fingerprint()
    current = latest_model(cfg.models_dir)
    if (
        not force
        and current is not None
        and _fingerprint_file(current).is_file()
        and _fingerprint_file(current).read_text().strip() == fingerprint
    ):
        print(f"{current.name} is up to date with the data, domain and config; not retraining")
        return 0
    args = ["train", "--out", str(cfg.models_dir), "--quiet"]
    if force:
        args.append("--force")
    warmer = _warm_encoders()
    try:
        code = _train(args, quiet)
    finally:
        _finish(warmer)
    if code == 0:
        trained = latest_model(cfg.models_dir)
        if trained is not None:
            _fingerprint_file(trained).write_text(fingerprint + "\n")
        prune_models(cfg.models_dir, cfg.keep_models)
    return code


def _warm_encoders() -> subprocess.Popen | None:
    """MiniLM's vectors of the bank's texts, encoded beside Rasa's training of the other
    components, which keep one core busy: on a fresh machine, encoding the whole bank after
    them took longer than all the rest of the training. The retrieval component, when Rasa
    reaches it, waits for these vectors instead of encoding them again (weight_cache); with
    every vector already kept, the warmer finds nothing to do."""
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "warm-encoders"],
            env=_env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None  # the retrieval component encodes what it needs itself


def _finish(warmer: subprocess.Popen | None) -> None:
    if warmer is None:
        return
    if warmer.poll() is None:
        warmer.terminate()  # training ended first (it failed): the vectors are not needed now
    warmer.wait()


def _train(args: list[str], quiet: bool) -> int:
    if quiet:
        path, log = console.log_file("train")
        print(f"Training a model (a few minutes); progress in {console.shown(path)}", flush=True)
        with log:
            code = _rasa(*args, stdout=log, stderr=subprocess.STDOUT).returncode
        if code != 0:
            print(console.tail(path), file=sys.stderr)
        return code
    return _rasa(*args).returncode


def _models(models_dir: Path) -> list[Path]:
    return sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)


def latest_model(models_dir: Path) -> Path | None:
    models = _models(models_dir)
    return models[-1] if models else None


def prune_models(models_dir: Path, keep: int) -> list[Path]:
    """Each change to the training data adds a model; the newest `keep` stay, so an earlier one
    can still be served, and the rest are deleted before they fill the disk. A server already
    running keeps the model it unpacked at start."""
    removed = _models(models_dir)[:-keep]
    for model in removed:
        model.unlink(missing_ok=True)
        _fingerprint_file(model).unlink(missing_ok=True)
    return removed


def _wait_for(url: str, process: subprocess.Popen, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def rasa_api_args(env: dict) -> tuple[str, ...]:
    """Rasa's HTTP API (models, trackers, /conversations/...) stays off unless RASA_TOKEN is set;
    then it is on, and only for requests that carry the token (bot/server.py hands it to Rasa)."""
    return ("--enable-api",) if settings_module.rasa_token(env) else ()


def start_servers(
    cfg, extra_rasa_args: tuple[str, ...] = (), credentials: Path | None = None, quiet: bool = False
) -> list[subprocess.Popen]:
    """Start the action server, then the Rasa server; returns both processes once each answers.
    Without `credentials`, the channels are those the environment configures. `quiet` sends
    their output to var/log/ rather than this console (bot/console.py)."""
    if credentials is None:
        credentials = write_credentials(ROOT / "var" / "credentials.yml")
    env = _env()
    settings_module.check(env)
    env["ACTION_PORT"], env["BOT_PORT"] = str(cfg.action_port), str(cfg.bot_port)
    env.setdefault("ACTION_ENDPOINT_URL", cfg.action_url)
    from bot import worker_state

    worker_state.clear(worker_state.state_file(env))
    logs = {}

    def output(name: str) -> dict:
        if not quiet:
            return {}
        path, stream = console.log_file(f"{name}-{getattr(cfg, name + '_port')}")
        logs[name] = path
        return {"stdout": stream, "stderr": subprocess.STDOUT}

    def failed(what: str, name: str) -> SystemExit:
        if name not in logs:
            return SystemExit(f"the {what} did not start; see the messages above")
        return SystemExit(
            f"the {what} did not start; the end of its log, {console.shown(logs[name])}:\n"
            + console.tail(logs[name])
        )

    # Both stop when the launcher dies, however it dies, so a crash never leaves them holding
    # the ports that the next `make run` needs.
    actions = start_action_server(cfg.action_port, env, ROOT, **output("action"))
    if not _wait_for(f"http://127.0.0.1:{cfg.action_port}/health", actions, 60):
        actions.terminate()
        raise failed("action server", "action")
    model = latest_model(cfg.models_dir)
    rasa = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.server",
            "run",
            "--model",
            str(model),
            "--port",
            str(cfg.bot_port),
            "--interface",
            cfg.host,
            "--credentials",
            str(credentials),
            "--endpoints",
            "endpoints.yml",
            "--cors",
            settings_module.web_origins(),
            *rasa_api_args(env),
            *extra_rasa_args,
        ],
        cwd=ROOT,
        env=env,
        preexec_fn=terminated_with_parent,
        **output("bot"),
    )
    if not _wait_for(f"http://127.0.0.1:{cfg.bot_port}/", rasa, 180):
        for process in (rasa, actions):
            process.terminate()
        raise failed("Rasa server", "bot")
    return [actions, rasa]


def stop(processes: list[subprocess.Popen], grace_seconds: float = 15) -> None:
    # SIGTERM, not SIGINT: a process started in the background by a non-interactive shell
    # ignores SIGINT, and both Sanic servers shut down cleanly on SIGTERM.
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in reversed(processes):
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            # A server that does not stop is usually waiting for a worker that does not; killed
            # alone it would leave that worker running, holding the port, so the workers go first.
            for pid in reversed(process_tree(process.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.wait()


def prepare(quiet: bool = False) -> None:
    """What every way of running the bot needs first: the knowledge base and a current model."""
    if build_knowledge() != 0:
        raise SystemExit("the knowledge files have problems (listed above); fix them and retry")
    if train(quiet=quiet) != 0:
        raise SystemExit("training failed; see the messages above")


def run() -> int:
    cfg = settings_module.load()
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    # Installed before anything starts: Ctrl-C during training or start-up must shut down as
    # cleanly as Ctrl-C later (the children get the terminal's Ctrl-C themselves).
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    quiet = not console.verbose()
    credentials = write_credentials(ROOT / "var" / "credentials.yml")
    try:
        prepare(quiet)
        if quiet and not stopping:
            print(
                f"Starting the bot; its logs go to {console.shown(console.LOG_DIR)}/ "
                "(LOG_LEVEL=debug shows them here).",
                flush=True,
            )
        processes = [] if stopping else start_servers(cfg, credentials=credentials, quiet=quiet)
    except SystemExit:
        if stopping:
            return 0
        raise
    from bot import web

    site = None
    try:
        if not stopping:
            import yaml

            print(
                f"Channels on: {console.channels_on(yaml.safe_load(credentials.read_text()) or {})}",
                flush=True,
            )
            print(
                f"REST: http://localhost:{cfg.bot_port}/webhooks/rest/webhook "
                f"(socket.io on the same port)",
                flush=True,
            )
            site = web.start_beside_bot(cfg)
            print("Ready. Press Ctrl-C to stop.", flush=True)
        next_purge = time.monotonic()
        while not stopping and all(p.poll() is None for p in processes):
            if time.monotonic() >= next_purge:
                purge_on_schedule(cfg)
                next_purge = time.monotonic() + retention.PURGE_EVERY_SECONDS
            time.sleep(0.5)
    finally:
        if site:
            site.stop()
        stop(processes)
    failed = [
        p for p in processes if p.returncode not in (0, -signal.SIGINT, -signal.SIGTERM, None)
    ]
    return 1 if failed and not stopping else 0


def purge_on_schedule(cfg) -> None:
    # A database that is down for a moment must not stop the bot; the next round tries again.
    try:
        retention.purge(settings_module.tracker_store_url(), cfg.retention_days)
    except Exception as error:
        print(f"could not delete old conversations this time: {error}", file=sys.stderr, flush=True)


def shell() -> int:
    from bot.channels import terminal

    cfg = settings_module.load()
    if console.port_taken(cfg.bot_port):
        if console.bot_answers_on(cfg.bot_port):
            print(
                f"The bot is already running on port {cfg.bot_port} (make run?); this chat talks "
                "to it. /quit or Ctrl-D leaves.",
                flush=True,
            )
            return terminal.chat(f"http://127.0.0.1:{cfg.bot_port}/webhooks/rest/webhook")
        taken = cfg.bot_port
        cfg = dataclasses.replace(cfg, bot_port=console.free_port())
        print(
            f"Port {taken} is taken by another program; starting the bot on port {cfg.bot_port}.",
            flush=True,
        )
    if console.port_taken(cfg.action_port):
        cfg = dataclasses.replace(cfg, action_port=console.free_port())
    quiet = not console.verbose()
    prepare(quiet)
    # --quiet keeps Rasa's log lines out of the conversation.
    processes = start_servers(cfg, () if not quiet else ("--quiet",), quiet=quiet)
    try:
        return terminal.chat(f"http://127.0.0.1:{cfg.bot_port}/webhooks/rest/webhook")
    finally:
        stop(processes)


def validate() -> int:
    return _rasa("data", "validate", "--fail-on-warnings", "--max-history", "3").returncode


def evaluate() -> int:
    """Answer-level accuracy over REST on the realistic conversations in tests/conversations/
    (bot/evaluation.py), with the intent report on the held-out NLU examples beside it."""
    import socket
    import tempfile

    from bot import evaluation

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    prepare()
    with tempfile.TemporaryDirectory() as scratch:
        # its own ports and conversation store, so a running `make run` is left alone
        settings_module.export(
            {
                "BOT_PORT": str(free_port()),
                "ACTION_PORT": str(free_port()),
                # every conversation of the evaluation comes from this machine
                "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "1000000",
                "TRACKER_STORE_URL": f"sqlite:///{scratch}/trackers.sqlite",
                "WORKER_STATE_PATH": f"{scratch}/workers.sqlite",
            }
        )
        cfg = settings_module.load()
        processes = start_servers(cfg)
        try:
            report = evaluation.evaluate(
                f"http://127.0.0.1:{cfg.bot_port}", evaluation.load_cases()
            )
        finally:
            stop(processes)
    cost = evaluation.encoder_cost()
    evaluation.write(report, cost)
    data = report.as_dict()
    print(
        f"answer-level: {data['accuracy']:.1%} of {data['turns']} turns right "
        f"({data['cases']} conversations); declining precision "
        f"{data['abstention']['precision']:.1%}, recall {data['abstention']['recall']:.1%}; "
        + "; ".join(
            f"{name} {c['encode_ms']} ms a message, {c['weights_mb']} MB"
            for name, c in cost.items()
        )
        + " (results/eval.md)"
    )
    return intent_report()


def intent_report() -> int:
    """Intent accuracy and macro F1 on the held-out examples training never sees."""
    cfg = settings_module.load()
    out = ROOT / "results" / "nlu"
    code = _rasa(
        "test",
        "nlu",
        "--model",
        str(latest_model(cfg.models_dir)),
        "--nlu",
        str(HELDOUT),
        "--out",
        str(out),
        "--no-plot",
    ).returncode
    if code != 0:
        return code
    report = json.loads((out / "intent_report.json").read_text())
    summary = {
        "intent_accuracy": round(report["accuracy"], 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "examples": report["macro avg"]["support"],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(
        f"held-out intent accuracy {summary['intent_accuracy']:.3f}, "
        f"macro F1 {summary['macro_f1']:.3f} over {summary['examples']} examples "
        f"(report in {out.relative_to(ROOT)})"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["review"]:  # it has options of its own
        from bot.review.command import main as review

        return review(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        choices=[
            "kb",
            "train",
            "run",
            "shell",
            "validate",
            "eval",
            "review",
            "purge",
            "warm-encoders",
        ],
    )
    parser.add_argument("--force", action="store_true", help="train even if nothing changed")
    args = parser.parse_args(argv)
    return {
        "kb": build_knowledge,
        "train": lambda: train(args.force),
        "run": run,
        "shell": shell,
        "validate": validate,
        "eval": evaluate,
        "purge": retention.main,
        "warm-encoders": _warm_encoder_cache,
    }[args.command]()


def _warm_encoder_cache() -> int:
    from bot.components.answer_retrieval import warm_encoder_cache

    warm_encoder_cache()
    return 0
