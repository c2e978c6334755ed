"""`python -m bot.bench.run` (make bench): train, start, load and evaluate the shipped
configuration and the `rasa init` baseline on this machine, and write results/bench.json and
results/bench.md. Each figure is measured the same way for both."""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bot import cli, worker_state
from bot.bench import load
from bot.processes import process_tree, start_action_server, terminated_with_parent
from bot.rasa_patches.bounded_sessions import TURNS_PER_SESSION

ROOT = cli.ROOT
OUT = ROOT / "results"
# name -> (config, the module that runs the Rasa server: ours carries the measured speed fix)
CONFIGS = {
    "shipped": (ROOT / "config.yml", "bot.server"),
    "baseline": (ROOT / "bot" / "bench" / "baseline.yml", "rasa"),
}
# How each runs, where it differs: `rasa init`'s bot is one process with its locks in memory.
SERVER_ENV = {"shipped": {}, "baseline": {"SANIC_WORKERS": "1", "LOCK_STORE": "in_memory"}}
KEYS = (
    "cold_start_s",
    "p50_ms_1",
    "p95_ms_1",
    "p99_ms_1",
    "p50_ms_20",
    "p95_ms_20",
    "p99_ms_20",
    "throughput_20",
    "cpu_ms_rasa_20",
    "cpu_ms_actions_20",
    "cpu_ms_client_20",
    "rss_mb_rasa",
    "rss_mb_actions",
    "train_s",
    "model_mb",
    "intent_accuracy",
    "macro_f1",
)
# Higher is better for these; lower for the rest (times, CPU, memory, sizes).
HIGHER_IS_BETTER = {"throughput_20", "intent_accuracy", "macro_f1"}
LOWER_IS_BETTER = set(KEYS) - HIGHER_IS_BETTER


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def memory_mb(pid: int) -> float:
    """Resident memory of a server and its worker processes, each shared page counted once
    (the sum of their proportional set sizes, PSS): forked workers share much of their memory
    with the process they were forked from, which a sum of RSS would count again per worker."""
    total_kb = 0
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            continue
    return round(total_kb / 1024, 1)


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process and its worker processes (None: this process). On a
    shared machine wall-clock throughput moves with the neighbours; CPU time per turn moves much
    less."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def train(name: str, config: Path) -> tuple[Path, float]:
    out = OUT / "bench" / name
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--config",
            str(config),
            "--out",
            str(out),
            "--fixed-model-name",
            "model",
            "--force",
            "--quiet",
        ],
        cwd=ROOT,
        env=cli._env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out / "model.tar.gz", round(time.perf_counter() - started, 1)


def heldout_examples() -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(cli.HELDOUT))
    return [(example.get("text"), example.get("intent") or "") for example in data.nlu_examples]


def evaluate(base: str, token: str) -> tuple[float, float]:
    """Intent accuracy and macro F1 on the held-out set, computed as `rasa test nlu` computes
    them, from the parses of the server already running (Rasa's HTTP API, `/model/parse`): a
    separate `rasa test nlu` loads the model again, TensorFlow included, about a minute and a
    half of the benchmark's 15. As there, a fallback is scored as the intent it displaced,
    examples without an intent are left out, and the F1 is averaged over the held-out intents."""
    from sklearn import metrics

    targets, predictions = [], []
    with requests.Session() as session:
        for text, intent in heldout_examples():
            parse = session.post(
                f"{base}/model/parse", params={"token": token}, json={"text": text}, timeout=60
            ).json()
            ranking = parse.get("intent_ranking") or []
            if (parse.get("intent") or {}).get("name") == "nlu_fallback" and len(ranking) >= 2:
                parse["intent"] = ranking[1]
            if intent:
                targets.append(intent)
                predictions.append((parse.get("intent") or {}).get("name") or "")
    report = metrics.classification_report(
        targets, predictions, labels=list(set(targets)), output_dict=True, zero_division=0
    )
    return (
        round(metrics.accuracy_score(targets, predictions), 4),
        round(report["macro avg"]["f1-score"], 4),
    )


def serve_and_load(model: Path, env: dict, launcher: str) -> dict:
    bot_port, action_port = free_port(), free_port()
    env = {
        **env,
        "BOT_PORT": str(bot_port),
        "ACTION_PORT": str(action_port),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
    }
    base = f"http://127.0.0.1:{bot_port}"
    worker_state.clear(worker_state.state_file(env))
    launched = time.perf_counter()
    actions = start_action_server(
        action_port, env, ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    token = secrets.token_urlsafe(16)  # the held-out set is parsed over Rasa's HTTP API
    rasa = subprocess.Popen(
        [
            sys.executable,
            "-m",
            launcher,
            "run",
            "--model",
            str(model),
            "--port",
            str(bot_port),
            "--credentials",
            "credentials.yml",
            "--endpoints",
            "endpoints.yml",
            "--enable-api",
            "--auth-token",
            token,
        ],
        cwd=ROOT,
        env=env,
        preexec_fn=terminated_with_parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        answered = None
        while answered is None and time.perf_counter() - launched < 300:
            if rasa.poll() is not None or actions.poll() is not None:
                raise SystemExit("a server exited during the benchmark")
            try:
                replies = requests.post(
                    f"{base}/webhooks/rest/webhook",
                    timeout=5,
                    json={
                        "sender": f"bench-cold-{time.monotonic_ns()}",
                        "message": "what band is a PSO?",
                    },
                ).json()
                if (
                    isinstance(replies, list)
                    and replies
                    and "Band 3" in (replies[0].get("text") or "")
                ):
                    answered = time.perf_counter() - launched
            except requests.RequestException:
                pass
            if answered is None:
                time.sleep(0.1)
        if answered is None:
            raise SystemExit("no correct answer within 300 s")
        one = load.drive(base, conversations=12, concurrency=1)
        pids = (rasa.pid, actions.pid, None)
        before = [cpu_seconds(pid) for pid in pids]
        twenty = load.drive(base, conversations=40, concurrency=20)
        cpu_ms = [
            round((cpu_seconds(pid) - b) * 1000 / max(1, twenty["turns"]), 2)
            for pid, b in zip(pids, before, strict=True)
        ]
        memory = {"rasa": memory_mb(rasa.pid), "actions": memory_mb(actions.pid)}
        accuracy, f1 = evaluate(base, token)
        # The shipped server only: the baseline's turns grow to about half a second each, and a
        # thousand of them would add minutes to the benchmark.
        long = load.long_conversation(base) if launcher == "bot.server" else {}
        return {
            **long,
            "cold_start_s": round(answered, 1),
            "p50_ms_1": one["p50_ms"],
            "p95_ms_1": one["p95_ms"],
            "p99_ms_1": one["p99_ms"],
            "p50_ms_20": twenty["p50_ms"],
            "p95_ms_20": twenty["p95_ms"],
            "p99_ms_20": twenty["p99_ms"],
            "throughput_20": twenty["throughput"],
            "cpu_ms_rasa_20": cpu_ms[0],
            "cpu_ms_actions_20": cpu_ms[1],
            "cpu_ms_client_20": cpu_ms[2],
            "rss_mb_rasa": memory["rasa"],
            "rss_mb_actions": memory["actions"],
            "intent_accuracy": accuracy,
            "macro_f1": f1,
            "p50_ms_1_by_turn": one["p50_ms_by_turn"],
            "p50_ms_20_by_turn": twenty["p50_ms_by_turn"],
            "rasa_processes": len(process_tree(rasa.pid)),
            "turns": one["turns"] + twenty["turns"],
            "failed_turns": one["failures"] + twenty["failures"],
        }
    finally:
        cli.stop([actions, rasa])


def measure(name: str, config: Path, launcher: str, env: dict) -> dict:
    log(f"{name}: training with {config.relative_to(ROOT)}")
    model, train_s = train(name, config)
    log(f"{name}: trained in {train_s} s; starting servers, sending load, parsing the held-out set")
    figures = serve_and_load(model, {**env, **SERVER_ENV[name]}, launcher)
    figures.update(train_s=train_s, model_mb=round(model.stat().st_size / 2**20, 2))
    log(f"{name}: " + ", ".join(f"{k}={figures[k]}" for k in KEYS))
    return figures


def ratio(key: str, shipped: float, baseline: float) -> float | None:
    return round(shipped / baseline, 3) if baseline else None


def write_reports(results: dict) -> None:
    OUT.mkdir(exist_ok=True)
    results["ratio"] = {k: ratio(k, results["shipped"][k], results["baseline"][k]) for k in KEYS}
    (OUT / "bench.json").write_text(json.dumps(results, indent=2))
    lines = [
        "# Benchmark: shipped configuration against the `rasa init` baseline",
        "",
        f"Measured on {os.cpu_count()} CPU cores, {time.strftime('%Y-%m-%d %H:%M')}; the same data, "
        "domain, actions and knowledge base for both. Latency is per REST turn of a 9-turn "
        "conversation that calls actions; `_1` is one conversation at a time (12 conversations), "
        "`_20` is 20 at once (40 conversations); `cpu_ms_*_20` is each process's CPU time per "
        "turn during the 20-at-once run (the load client shares the machine).",
        "",
        "| figure | shipped | baseline | shipped / baseline | better |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for key in KEYS:
        s, b, r = results["shipped"][key], results["baseline"][key], results["ratio"][key]
        better = "lower" if key in LOWER_IS_BETTER else "higher"
        lines.append(f"| `{key}` | {s} | {b} | {r} | {better} |")
    lines += [
        "",
        "`rss_mb_*` is the server's resident memory right after the 20-at-once load, summed "
        "over its processes with each shared page counted once (PSS); "
        f"the shipped Rasa server ran as {results['shipped']['rasa_processes']} processes "
        f"(Sanic's workers and the process that started them), the baseline as "
        f"{results['baseline']['rasa_processes']}.",
    ]
    lines += [
        "",
        "Median latency of each turn of the script (ms), one conversation at a time and 20 at "
        "once: the turns that call the action server more than once make up the tail.",
        "",
        "| turn | shipped, 1 | baseline, 1 | shipped, 20 | baseline, 20 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for text in results["shipped"]["p50_ms_1_by_turn"]:
        row = [
            results[name][f"p50_ms_{n}_by_turn"].get(text)
            for n in (1, 20)
            for name in ("shipped", "baseline")
        ]
        lines.append(f"| {text} | " + " | ".join(str(v) for v in row) + " |")
    shipped = results["shipped"]
    if "turn_1000_ms" in shipped:
        lines += [
            "",
            "The cost of one long conversation (shipped server, turns sent back to back, median "
            "of the ten turns ending at each): "
            f"turn 10 {shipped['turn_10_ms']} ms, turn 300 {shipped['turn_300_ms']} ms, "
            f"turn 1,000 {shipped['turn_1000_ms']} ms "
            f"({shipped['long_failures']} of {shipped['long_turns']} turns failed). "
            f"A session ends every {TURNS_PER_SESSION} messages with the slots carried over "
            "(bot/rasa_patches/bounded_sessions.py), so a turn reads and replays a bounded history.",
        ]
    encoders = results.get("encoders")
    if encoders:
        per_turn = sum(e["encode_ms"] for e in encoders.values())
        cpu = results["shipped"]["cpu_ms_rasa_20"]
        lines += [
            "",
            "The answer retrieval's two encoders: "
            + "; ".join(
                f"{name} {e['encode_ms']} ms a message, {e['weights_mb']} MB of weights"
                for name, e in encoders.items()
            )
            + ". Dialogue acts skip both and a sure first stage skips MiniLM, so "
            + (
                f"{per_turn:.1f} ms is the most a turn spends on them, against the shipped "
                f"server's {cpu} ms of CPU a turn on average."
                if cpu
                else "the figures are the most a turn spends."
            ),
        ]
    lines += [
        "",
        f"Turns sent: shipped {results['shipped']['turns']} "
        f"({results['shipped']['failed_turns']} failed), baseline {results['baseline']['turns']} "
        f"({results['baseline']['failed_turns']} failed).",
    ]
    (OUT / "bench.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.run", description=__doc__)
    parser.add_argument(
        "--shipped-only",
        action="store_true",
        help="measure the shipped configuration only (skips the ~9-minute baseline "
        "training) and write results/bench-shipped.json",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    env = {
        **cli._env(),
        "DATABASE_URL": f"sqlite:///{ROOT / 'var' / 'bench-knowledge.sqlite'}",
        "TRACKER_STORE_URL": f"sqlite:///{ROOT / 'var' / 'bench-trackers.sqlite'}",
        "WORKER_STATE_PATH": str(ROOT / "var" / "bench-workers.sqlite"),
        # The load client sends a conversation's turns back to back, faster than anyone
        # types, all from this machine; the rate limits would measure themselves, not the bot.
        "RATE_LIMIT_PER_MINUTE": "100000",
        "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "100000",
    }
    from knowledge.loader import load as load_knowledge

    load_knowledge(env["DATABASE_URL"])
    if args.shipped_only:
        OUT.mkdir(exist_ok=True)
        figures = measure("shipped", *CONFIGS["shipped"], env)
        (OUT / "bench-shipped.json").write_text(json.dumps({"shipped": figures}, indent=2))
        log(f"done in {time.perf_counter() - started:.0f} s: results/bench-shipped.json")
        return 0
    results = {
        name: measure(name, config, launcher, env) for name, (config, launcher) in CONFIGS.items()
    }
    from bot.evaluation import encoder_cost

    results["encoders"] = encoder_cost()
    write_reports(results)
    log(f"done in {time.perf_counter() - started:.0f} s: results/bench.json, results/bench.md")
    print((OUT / "bench.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
