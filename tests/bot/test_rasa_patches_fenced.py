"""Changes to Rasa's own behaviour stay in bot/rasa_patches/, and apply only to the Rasa they
were written for."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot import rasa_patches
from bot.cli import ROOT

PACKAGES = ("bot", "actions", "knowledge")
FENCE = ROOT / "bot" / "rasa_patches"


def rasa_assignments(path: Path, root_dir: Path = ROOT) -> list[str]:
    """Assignments to an attribute of something imported from Rasa (`MessageProcessor.x = ...`,
    `rasa.core.run.configure_app = ...`, `setattr(rasa_thing, ...)`), as "file:line"."""
    tree = ast.parse(path.read_text())
    from_rasa = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("rasa", "rasa_sdk"):
            from_rasa.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            from_rasa.update((alias.asname or alias.name).split(".")[0] for alias in node.names
                             if alias.name.split(".")[0] in ("rasa", "rasa_sdk"))

    def root(node: ast.AST) -> str | None:
        while isinstance(node, ast.Attribute):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None

    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("setattr", "delattr") and node.args:
            targets = [ast.Attribute(value=node.args[0], attr="?")]
        for target in targets:
            if isinstance(target, ast.Attribute) and root(target) in from_rasa:
                found.append(f"{path.relative_to(root_dir)}:{node.lineno}")
    return found


def test_no_rasa_attribute_is_assigned_outside_bot_rasa_patches():
    outside = [hit for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
               if FENCE not in path.parents for hit in rasa_assignments(path)]
    assert not outside, f"changes to Rasa belong in bot/rasa_patches/: {outside}"


def test_the_check_sees_an_assignment_to_rasa(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from rasa.core.processor import MessageProcessor\n"
                      "import rasa.core.run\n"
                      "MessageProcessor.parse = None\n"
                      "rasa.core.run.configure_app = None\n"
                      "setattr(MessageProcessor, 'x', 1)\n"
                      "other = object()\nother.x = 1\n")
    assert rasa_assignments(module, tmp_path) == ["m.py:3", "m.py:4", "m.py:5"]


def test_the_patches_refuse_another_rasa_version_with_a_clear_message():
    rasa_patches.check_rasa_version(rasa_patches.RASA_VERSION)   # the pinned one passes
    with pytest.raises(SystemExit, match=r"written for Rasa 3\.6\.21, but Rasa 3\.7\.0 is installed"):
        rasa_patches.check_rasa_version("3.7.0")


def test_the_pinned_version_is_the_one_installed():
    from importlib.metadata import version
    assert version("rasa") == rasa_patches.RASA_VERSION


def test_every_patch_the_server_applies_can_be_undone():
    from bot.rasa_patches import (action_failures, action_validation, bounded_sessions,
                                  conversation_lock, cors, frozen_model, parse_context,
                                  request_limits, retried_turns, speedups, store_health)
    before = rasa_patches.applied()
    applying = [action_validation.validate_action_results_once, action_failures.reply_when_actions_fail,
                conversation_lock.never_lose_a_waiting_ticket, retried_turns.answer_repeats_from_the_store,
                store_health.apologise_when_the_store_is_lost, bounded_sessions.end_long_sessions,
                request_limits.limit_requests, cors.credentials_only_for_listed_origins,
                frozen_model.freeze_the_loaded_model, speedups.apply, parse_context.apply]
    try:
        for patch in applying:
            patch()
        changed = rasa_patches._REPLACED[before:]
        originals = {}   # what was there before the first change to each attribute
        for owner, name, previous in changed:
            originals.setdefault((owner, name), previous)
        assert len(changed) >= len(applying)
        for patch in applying:     # applying again changes nothing more
            patch()
        assert rasa_patches.applied() == before + len(changed)
    finally:
        rasa_patches.undo(before)
    for (owner, name), previous in originals.items():
        assert vars(owner).get(name, rasa_patches._MISSING) is previous, f"{owner}.{name}"
