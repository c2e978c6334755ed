"""`python -m bot.server run ...`: Rasa's own command line, with the changes to Rasa's behaviour
in bot/rasa_patches/ applied first; each module there says what it changes and why, with its
tests:

- lean_imports.py, first: TensorFlow and matplotlib kept out of a process whose model uses
  neither;
- action_validation.py: an action-server response validated with a validator built once
  (RasaHQ/rasa#11717);
- action_failures.py, conversation_lock.py, retried_turns.py: a polite reply when a custom action
  fails, a conversation lock that never strands a waiting message, a resent request answered
  from the store;
- store_health.py, bounded_sessions.py: a lost conversation store said, not hidden; a new session,
  slots carried over, every TURNS_PER_SESSION messages so that a turn's cost stays flat;
- request_limits.py, cors.py: bodies and socket.io frames capped, JSON errors, `GET /health`
  (bot/health.py), one request per connection with several workers, workers that stop with the
  server; CORS credentials only for the origins WEB_ORIGINS lists;
- frozen_model.py: the loaded model kept out of the garbage collector's full collections;
- speedups.py, applied last: the fixes found by profiling the 20-conversation load;
- parse_context.py: the previous question handed to the NLU for follow-ups.

Here itself: one BLAS thread per worker, and Rasa's HTTP API token read from RASA_TOKEN rather
than the command line (`_api_token`)."""

from __future__ import annotations

import sys
from typing import Mapping

from bot import settings

# Each worker process encodes one message at a time for the answer retrieval (MiniLM's matrix
# products); two BLAS threads in each of two workers on two cores fight over the CPU. Set before
# numpy is first imported; an operator's own setting wins.
settings.export_defaults(
    {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
)


def _api_token(argv: list[str], env: Mapping[str, str] | None = None) -> None:
    """`--enable-api` (bot/cli.py passes it when RASA_TOKEN is set) gets `--auth-token` from
    RASA_TOKEN here, in the process: on the command line any local user could read it (ps). Rasa
    would serve the API without a token to anyone who asks, so that is refused."""
    if "--enable-api" not in argv or any(
        a.split("=")[0] in ("--auth-token", "--jwt-secret") for a in argv
    ):
        return
    token = settings.rasa_token(env)
    if not token:
        raise SystemExit("Rasa's HTTP API needs a token: set RASA_TOKEN, or leave the API off")
    argv += ["--auth-token", token]


def main() -> None:
    from bot.rasa_patches import check_rasa_version, lean_imports

    check_rasa_version()

    lean_imports.keep_out_if_unused(sys.argv[1:])  # first: before anything imports Rasa's core
    from bot.rasa_patches.action_failures import reply_when_actions_fail
    from bot.rasa_patches.action_validation import validate_action_results_once
    from bot.rasa_patches.bounded_sessions import end_long_sessions
    from bot.rasa_patches.conversation_lock import never_lose_a_waiting_ticket
    from bot.rasa_patches.cors import credentials_only_for_listed_origins
    from bot.rasa_patches.frozen_model import freeze_the_loaded_model
    from bot.rasa_patches.request_limits import limit_requests
    from bot.rasa_patches.retried_turns import answer_repeats_from_the_store
    from bot.rasa_patches.store_health import apologise_when_the_store_is_lost

    validate_action_results_once()
    reply_when_actions_fail()
    never_lose_a_waiting_ticket()
    answer_repeats_from_the_store()
    apologise_when_the_store_is_lost()
    end_long_sessions()
    limit_requests()
    credentials_only_for_listed_origins()
    freeze_the_loaded_model()
    _api_token(sys.argv)
    from bot.rasa_patches import speedups

    speedups.apply()  # after the validator above: it wraps that one
    from bot.rasa_patches import parse_context

    parse_context.apply()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
