"""The launcher's faster action-response validation gives Rasa's verdicts."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.rasa_patches.action_validation import validate_action_results_once

ACTION = RemoteAction("action_answer", None)
GOOD = {"events": [{"event": "slot", "name": "role", "value": "pso"}],
        "responses": [{"text": "A PSO is Band 3.", "buttons": []}]}
BAD = [{"events": "not a list"}, {"responses": [{"text": 3}], "events": [{"no-event-key": 1}]},
       {"events": [{"event": 42}]}]


@pytest.fixture
def patched(patched_rasa):
    original = RemoteAction._validate_action_result
    validate_action_results_once()
    return original


def test_a_good_response_passes(patched):
    assert ACTION._validate_action_result(GOOD) is True


@pytest.mark.parametrize("response", BAD)
def test_a_bad_response_fails_with_rasas_error(patched, response):
    with pytest.raises(jsonschema.ValidationError) as ours:
        ACTION._validate_action_result(response)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        patched(ACTION, response)
    assert ours.value.message == theirs.value.message


def test_once_the_model_is_loaded_its_objects_are_kept_out_of_full_collections(
    monkeypatch, patched_rasa  # in this order: the patch is undone before the stand-in goes
):
    """A full collection walked the loaded model's ~270,000 objects for 150-180 ms, stalling
    every conversation on that worker; the server freezes them as soon as they are loaded."""
    import asyncio
    import gc

    import rasa.core.run
    from bot.rasa_patches import frozen_model

    async def load_agent_on_start(model_path, endpoints, remote_storage, app, loop):
        return [{"weights": [float(i)], "name": f"feature-{i}"} for i in range(100_000)]

    monkeypatch.setattr(rasa.core.run, "load_agent_on_start", load_agent_on_start)
    frozen_model.freeze_the_loaded_model()
    try:
        model = asyncio.run(rasa.core.run.load_agent_on_start("models", None, None, None, None))
        assert len(model) == 100_000 and gc.get_freeze_count() >= 3 * len(model)
        gc.collect()
        walked = {id(o) for o in gc.get_objects()}         # what any collection would walk
        assert not walked & {id(part) for part in model[::1000]}
    finally:
        gc.unfreeze()
