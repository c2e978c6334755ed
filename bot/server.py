"""`python -m bot.server run ...`: Rasa's own command line, with two measured fixes applied first
(and two for resilience: a polite reply when a custom action fails, bot/action_failures.py;
a conversation lock that never strands a waiting message, bot/conversation_lock.py).

1. Rasa validates every action-server response with `jsonschema.validate`, which re-checks the
   response schema itself against the JSON Schema metaschema on every call (RasaHQ/rasa#11717).
   Profiling a conversation here put that at ~97 ms of a ~147 ms turn. Building the validator
   once gives the same verdict (the same best-matching error is raised) without the repeated work.
2. The tracker store hands back a serialised conversation each turn, and every event in it is
   matched to its class by walking all Event subclasses (~1,000 walks a turn in a nine-turn
   conversation). The classes are all defined at import, so the name -> class answer is cached.

Before any of it, bot/lean_imports.py keeps TensorFlow and matplotlib out of the process when
the model being served uses neither (Rasa imports both regardless: ~350 MB resident).

The fixes found by profiling the 20-conversation load (graph runner, rule matching, history
replay, debug-log copies, action-server connections, response validation) are in
bot/speedups.py, applied last."""
from __future__ import annotations

from functools import lru_cache


def _patch_action_response_validation() -> None:
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    @lru_cache(maxsize=1)
    def validator():
        spec = RemoteAction.action_response_format_spec()
        cls = validator_for(spec)
        cls.check_schema(spec)             # once, not on every response
        return cls(spec)

    def validate_action_result(self, result) -> bool:
        error = best_match(validator().iter_errors(result))
        if error is not None:
            error.message += (". Failed to validate Action server response from API, make sure "
                              f"your response from the Action endpoint is valid. For more "
                              f"information about the format visit {DOCS_BASE_URL}/custom-actions")
            raise error
        return True

    RemoteAction._validate_action_result = validate_action_result


def _cache_event_type_lookup() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    found: dict = {}

    def resolve_by_type(type_name, default=None):
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)


def main() -> None:
    import sys

    from bot import lean_imports
    lean_imports.keep_out_if_unused(sys.argv[1:])   # first: before anything imports Rasa's core
    from bot.action_failures import reply_when_actions_fail
    from bot.conversation_lock import never_lose_a_waiting_ticket

    _patch_action_response_validation()
    _cache_event_type_lookup()
    reply_when_actions_fail()
    never_lose_a_waiting_ticket()
    from bot import speedups
    speedups.apply()                       # after the validator above: it wraps that one
    from rasa.__main__ import main as rasa_main
    rasa_main()


if __name__ == "__main__":
    main()
