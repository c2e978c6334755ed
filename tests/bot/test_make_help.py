"""`make help` lists every target the Makefile has."""
from __future__ import annotations

import re
import subprocess

from bot.settings import ROOT


def test_make_help_lists_every_target():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):(?!=)", makefile, re.M))
    assert {"run", "test", "review", "purge", "help"} <= targets
    shown = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout
    listed = set(re.findall(r"^make ([a-z][a-z-]*)", shown, re.M))
    assert listed == targets, f"missing from make help: {targets - listed}; not targets: {listed - targets}"
