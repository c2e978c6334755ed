"""The launcher's faster action-response validation gives Rasa's verdicts."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.server import _patch_action_response_validation

ACTION = RemoteAction("action_answer", None)
GOOD = {"events": [{"event": "slot", "name": "role", "value": "pso"}],
        "responses": [{"text": "A PSO is Band 3.", "buttons": []}]}
BAD = [{"events": "not a list"}, {"responses": [{"text": 3}], "events": [{"no-event-key": 1}]},
       {"events": [{"event": 42}]}]


@pytest.fixture
def patched(monkeypatch):
    original = RemoteAction._validate_action_result
    monkeypatch.setattr(RemoteAction, "_validate_action_result", original)
    _patch_action_response_validation()
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
