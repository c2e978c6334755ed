"""`python -m bot.action_server --actions actions --port N`: rasa_sdk's action server, closed to
everyone but the Rasa server.

rasa_sdk listens on every address (SANIC_HOST, default 0.0.0.0), runs any action for anyone who
can reach the port, and reads bodies of up to 100 MB into memory before anything looks at them;
one such request stalls every conversation the server is answering. Here:

- it listens on ACTION_HOST, 127.0.0.1 unless a deployment names another address;
- on any other address it refuses to start without ACTION_SERVER_TOKEN, and then runs actions
  only for requests carrying `Authorization: Bearer <token>` (endpoints.yml sends it); /health
  stays open for the orchestrators' probes;
- a body over MAX_REQUEST_BYTES, or one that inflates past it, gets a 413 with a JSON {"error"}.

The app is rasa_sdk's own (`create_app`), with its routes and executor unchanged."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import zlib
from http import HTTPStatus

from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

from bot import settings

logger = logging.getLogger(__name__)

# Rasa sends the conversation's current session with every action call, and a session holds at
# most 20 messages (bot/rasa_patches/bounded_sessions.py): far below this.
MAX_REQUEST_BYTES = 8 * 1024 * 1024
OPEN_PATHS = ("/health",)


def on_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_problem(host: str, token: str) -> str | None:
    if on_loopback(host) or token:
        return None
    return (
        f"the action server would answer anyone who can reach {host}: set ACTION_SERVER_TOKEN "
        "(the Rasa server sends it), or leave ACTION_HOST unset to listen on 127.0.0.1 only"
    )


def _refuse(status: HTTPStatus, error: str) -> response.HTTPResponse:
    return response.json({"error": error}, status=status)


def _too_large() -> response.HTTPResponse:
    return _refuse(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        f"the request is larger than the action server accepts "
        f"({MAX_REQUEST_BYTES // (1024 * 1024)} MB)",
    )


def _inflates_too_far(body: bytes) -> bool:
    inflater = zlib.decompressobj()
    try:
        inflater.decompress(body, MAX_REQUEST_BYTES + 1)
    except zlib.error:
        return False  # not ours to judge: rasa_sdk answers it as it would
    return bool(inflater.unconsumed_tail)


def guard(app: Sanic, token: str) -> Sanic:
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.error_handler.add(PayloadTooLarge, lambda _request, _error: _too_large())
    expected = f"Bearer {token}".encode()

    @app.on_request
    async def admit(request: Request):
        if (
            token
            and request.path not in OPEN_PATHS
            and not hmac.compare_digest(request.headers.get("authorization", "").encode(), expected)
        ):
            logger.warning("refused an action server request without the token from %s", request.ip)
            return _refuse(
                HTTPStatus.UNAUTHORIZED,
                "this action server needs the token the Rasa server sends (ACTION_SERVER_TOKEN)",
            )
        if request.headers.get("content-encoding") == "deflate" and _inflates_too_far(request.body):
            return _too_large()
        return None

    return app


def main(argv: list[str] | None = None) -> None:
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_app, create_argument_parser, create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    args = create_argument_parser().parse_args(argv)
    cfg = settings.load()
    problem = exposure_problem(cfg.action_host, cfg.action_token)
    if problem:
        raise SystemExit(problem)
    # as rasa_sdk's own `python -m rasa_sdk` does
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    app = guard(
        create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload),
        cfg.action_token,
    )
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    app.run(
        cfg.action_host,
        args.port,
        ssl=create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password),
        workers=utils.number_of_sanic_workers(),
    )


if __name__ == "__main__":
    main()
