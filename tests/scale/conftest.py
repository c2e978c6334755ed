"""One scaled deployment for the whole scaled suite (starting it costs ~30 s of two cores)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.scale.cluster import Cluster

RESULTS = Path(__file__).resolve().parents[2] / "results" / "scale.json"
# What the closing note reports; the fault tests add to it as they run.
TALLY = {"conversations": 0, "turns": 0, "turns_lost": 0, "try_again_replies": 0,
         "turns_stored_twice": 0, "rasa_kills": 0, "action_restarts": 0, "postgres_restarts": 0}


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("scale")).start()
    yield running
    running.stop()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(TALLY, indent=2))
    print("\nscaled deployment:", json.dumps(TALLY))
