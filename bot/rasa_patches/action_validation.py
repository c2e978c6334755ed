"""Rasa validates every action-server response with `jsonschema.validate`, which re-checks the
response schema itself against the JSON Schema metaschema on every call (RasaHQ/rasa#11717).
Profiling a conversation put that at most of a turn. Building the validator once gives the same
verdict (the same best-matching error is raised) without the repeated work; tests/bot/test_server.py
checks it against Rasa's own."""

from __future__ import annotations

from functools import lru_cache

from bot.rasa_patches import mark, replace


def validate_action_results_once() -> None:
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    # applied already: this validator, or speedups' fast path in front of it, is in place
    if getattr(RemoteAction._validate_action_result, "validates_once", False):
        return

    @lru_cache(maxsize=1)
    def validator():
        spec = RemoteAction.action_response_format_spec()
        cls = validator_for(spec)
        cls.check_schema(spec)  # once, not on every response
        return cls(spec)

    def validate_action_result(self, result) -> bool:
        error = best_match(validator().iter_errors(result))
        if error is not None:
            error.message += (
                ". Failed to validate Action server response from API, make sure "
                f"your response from the Action endpoint is valid. For more "
                f"information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    mark(validate_action_result, "validates_once")
    replace(RemoteAction, "_validate_action_result", validate_action_result)
