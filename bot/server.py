"""`python -m bot.server run ...`: Rasa's own command line, with the changes to Rasa's behaviour
in bot/rasa_patches/ applied first (each module says why, with its equivalence tests) and a
measured fix of its own:

1. Rasa validates every action-server response with `jsonschema.validate`, which re-checks the
   response schema itself against the JSON Schema metaschema on every call (RasaHQ/rasa#11717).
   Profiling a conversation here put that at ~97 ms of a ~147 ms turn. Building the validator
   once gives the same verdict (the same best-matching error is raised) without the repeated work.

Before any of it, bot/rasa_patches/lean_imports.py keeps TensorFlow and matplotlib out of the
process when the model being served uses neither (Rasa imports both regardless).

The fixes found by profiling the 20-conversation load (graph runner, rule matching, history
replay, debug-log copies, action-server connections, response validation, event classes,
count-vector features) are in bot/rasa_patches/speedups.py, applied last.

Once the model is loaded, its objects are frozen out of Python's garbage collector
(`_freeze_the_loaded_model`): a full collection had walked them for 150-180 ms at a time.

Also there: a polite reply when a custom action fails (action_failures.py); a conversation lock
that never strands a waiting message (conversation_lock.py); a resent request answered from the
store (retried_turns.py); a new session, slots carried over, every TURNS_PER_SESSION messages so
that a turn's cost stays flat (bounded_sessions.py); a lost conversation store said, not hidden
(store_health.py), with `GET /health` reporting whether the model, the knowledge base, the action
server and the conversation store are ready (bot/health.py); and the previous question handed to
the NLU for follow-ups (parse_context.py).

And three edges closed: request bodies and socket.io frames are capped (`_limit_requests`),
Rasa's HTTP API gets its token from RASA_TOKEN rather than the command line (`_api_token`), and
CORS allows credentials only for the origins WEB_ORIGINS lists
(`_cors_credentials_only_for_listed_origins`).

With several worker processes (SANIC_WORKERS, two by default on a 2-core machine), each HTTP
connection carries one request (`_one_request_per_connection`): the workers share one listening
socket, and a kept-alive connection stays with the worker that accepted it however busy that
worker becomes (counted in one run: 558-613 of 757 turns on one worker, at times all 20
conversations). Sanic 21.12 ignores its own KEEP_ALIVE setting, so this is a request middleware.
Measured with 20 conversations at once, nine runs each, interleaved on a shared machine: p95
252-338 ms (median 277) against 232-465 (median 318) kept alive, p99 median 352 against 470,
for about 0.6 ms more CPU per turn in the client and a little more in the server."""
from __future__ import annotations

import os
import sys
from functools import lru_cache

# Each worker process encodes one message at a time for the answer retrieval (MiniLM's matrix
# products); two BLAS threads in each of two workers on two cores fight over the CPU. Set before
# numpy is first imported; an operator's own setting wins.
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")


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


def _limit_requests() -> None:
    """Sanic reads request bodies of up to 100 MB into memory and WebSocket frames of up to 1 MiB;
    no channel needs more than 64 KiB (bot/channels/guard.py). Bigger requests get a 413 with a
    JSON {"error"}, like the channels' own refusals; so do an unknown URL and a wrong method,
    which Sanic would answer with an HTML page."""
    import rasa.core.run
    from sanic import response
    from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge

    from bot.channels.guard import MAX_REQUEST_BYTES, worker_processes
    from bot.health import health

    configure_app = rasa.core.run.configure_app

    def too_large(_request, _exception):
        return response.json({"error": f"the request is larger than this server accepts "
                                       f"({MAX_REQUEST_BYTES // 1024} KiB); send a shorter message"},
                             status=413)

    def routing_error(_request, exception):
        return response.json({"error": str(exception)}, status=exception.status_code,
                             headers=getattr(exception, "headers", None))

    def limited_app(*args, **kwargs):
        app = configure_app(*args, **kwargs)
        app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
        app.config.WEBSOCKET_MAX_SIZE = MAX_REQUEST_BYTES
        app.config.FALLBACK_ERROR_FORMAT = "json"
        if worker_processes() > 1:
            app.register_middleware(_one_request_per_connection, "request")
            app.register_listener(_workers_exit_with_the_server, "before_server_start")
        app.add_route(health, "/health", methods=["GET"])
        app.error_handler.add(PayloadTooLarge, too_large)
        for error in (NotFound, MethodNotSupported):
            app.error_handler.add(error, routing_error)
        return app

    rasa.core.run.configure_app = limited_app


def _cors_credentials_only_for_listed_origins() -> None:
    """Rasa turns CORS credentials on for every origin (CORS_SUPPORTS_CREDENTIALS), so with
    `--cors "*"` (WEB_ORIGINS unset) it reflected any site's Origin with
    `Access-Control-Allow-Credentials: true`: any page could call the server as its visitor.
    Here "*" answers `Access-Control-Allow-Origin: *` without credentials, and a list of origins
    (WEB_ORIGINS) is matched exactly, not as regular expressions; only a listed origin is
    reflected, and only it may send credentials. No --cors at all stays Rasa's: no CORS headers."""
    import rasa.server
    from sanic_cors import CORS

    from bot.channels.webchat import allowed_origins

    configure_cors = rasa.server.configure_cors
    if getattr(configure_cors, "by_origin", False):
        return

    def by_origin(app, cors_origins=""):
        if not cors_origins:
            return configure_cors(app, cors_origins)
        given = cors_origins if isinstance(cors_origins, str) else " ".join(cors_origins)
        listed = allowed_origins(given)
        app.config.CORS_AUTOMATIC_OPTIONS = True
        app.config.CORS_SUPPORTS_CREDENTIALS = listed is not None
        app.config.CORS_EXPOSE_HEADERS = "filename"
        options = ({"origins": "*", "send_wildcard": True, "supports_credentials": False}
                   if listed is None else {"origins": sorted(listed), "supports_credentials": True})
        CORS(app, resources={r"/*": options}, automatic_options=True)

    by_origin.by_origin = True
    rasa.server.configure_cors = by_origin


# The server process: Sanic's workers are forked from it, so they see it here too.
_SERVER_PID = os.getpid()


def _workers_exit_with_the_server(_app, _loop) -> None:
    """Sanic listener: a worker process stops when the server process that forked it dies,
    even by kill -9, instead of holding the port for good (bot/processes.py)."""
    if os.getpid() != _SERVER_PID:
        from bot.processes import exit_with_parent
        exit_with_parent()


def _one_request_per_connection(request) -> None:
    """Sanic request middleware, with several workers: the connection closes once this request
    is answered (`Connection: close`), so the client's next request is a new connection, taken
    by whichever worker accepts it first. WebSocket upgrades stay open."""
    if request.headers.get("upgrade", "").lower() != "websocket" and request.stream is not None:
        request.stream.keep_alive = False


def _freeze_the_loaded_model() -> None:
    """Python's full garbage collection walks every object a process holds. With the model
    loaded that is about 270,000 objects and 150-180 ms, during which the worker answers no one:
    it was the p95 and p99 of 20 conversations at once. The model's objects live as long as the
    process, so once it is loaded they are moved out of the collector's sight (gc.freeze), and
    later collections walk only what the turns create.

    It is done inside Rasa's model-loading listener, before Sanic installs its SIGTERM handler:
    a worker whose SIGTERM arrives in a later start-up listener loses it (Sanic 21.12 stops the
    loop before it runs, then ignores every further stop) and lives on, holding the port."""
    import gc

    import rasa.core.run

    load_agent_on_start = rasa.core.run.load_agent_on_start
    if getattr(load_agent_on_start, "freezes", False):
        return

    async def load_then_freeze(*args, **kwargs):
        agent = await load_agent_on_start(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    load_then_freeze.freezes = True
    rasa.core.run.load_agent_on_start = load_then_freeze


def _api_token(argv: list[str], env=os.environ) -> None:
    """`--enable-api` (bot/cli.py passes it when RASA_TOKEN is set) gets `--auth-token` from
    RASA_TOKEN here, in the process: on the command line any local user could read it (ps). Rasa
    would serve the API without a token to anyone who asks, so that is refused."""
    if "--enable-api" not in argv or any(a.split("=")[0] in ("--auth-token", "--jwt-secret") for a in argv):
        return
    if not env.get("RASA_TOKEN"):
        raise SystemExit("Rasa's HTTP API needs a token: set RASA_TOKEN, or leave the API off")
    argv += ["--auth-token", env["RASA_TOKEN"]]


def main() -> None:
    from bot.rasa_patches import lean_imports
    lean_imports.keep_out_if_unused(sys.argv[1:])   # first: before anything imports Rasa's core
    from bot.rasa_patches.action_failures import reply_when_actions_fail
    from bot.rasa_patches.conversation_lock import never_lose_a_waiting_ticket
    from bot.rasa_patches.retried_turns import answer_repeats_from_the_store
    from bot.rasa_patches.bounded_sessions import end_long_sessions
    from bot.rasa_patches.store_health import apologise_when_the_store_is_lost

    _patch_action_response_validation()
    reply_when_actions_fail()
    never_lose_a_waiting_ticket()
    answer_repeats_from_the_store()
    apologise_when_the_store_is_lost()
    end_long_sessions()
    _limit_requests()
    _cors_credentials_only_for_listed_origins()
    _freeze_the_loaded_model()
    _api_token(sys.argv)
    from bot.rasa_patches import speedups
    speedups.apply()                       # after the validator above: it wraps that one
    from bot.rasa_patches import parse_context
    parse_context.apply()
    from rasa.__main__ import main as rasa_main
    rasa_main()


if __name__ == "__main__":
    main()
