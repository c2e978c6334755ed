"""The Rasa server started by the launcher serves the shipped model without TensorFlow or
matplotlib in the address space of any of its processes (bot/rasa_patches/lean_imports.py), and still
answers correctly."""
from __future__ import annotations

from pathlib import Path

from bot.processes import process_tree
from tests.e2e.conftest import Conversation


def mapped_files(pid: int) -> set[str]:
    return {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
            if "/" in line}


def test_the_server_answers_without_tensorflow_or_matplotlib(bot_processes):
    url, (_, rasa) = bot_processes
    replies = Conversation(url).say("what band is a PSO?")
    assert replies and "Band 3" in replies[0]["text"]
    for pid in process_tree(rasa.pid):                       # the server and its workers
        mapped = mapped_files(pid)
        assert any("/sklearn/" in path for path in mapped)  # the maps do show extension modules
        assert [p for p in mapped if "tensorflow" in p or "/matplotlib/" in p] == []
