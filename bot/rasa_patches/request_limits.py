"""Sanic's limits and errors as this server needs them: bodies and WebSocket frames capped, JSON
errors instead of HTML pages, `GET /health`, and, with several workers, one request per
connection and workers that stop with the server process."""

from __future__ import annotations

import os

from bot.rasa_patches import mark, replace


def limit_requests() -> None:
    """Sanic reads request bodies of up to 100 MB into memory and WebSocket frames of up to 1 MiB;
    no channel needs more than 64 KiB (bot/channels/guard.py). Bigger requests get a 413 with a
    JSON {"error"}, like the channels' own refusals; so do an unknown URL and a wrong method,
    which Sanic would answer with an HTML page."""
    import rasa.core.run
    from sanic import response
    from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge

    from bot.channels.guard import MAX_REQUEST_BYTES
    from bot.health import health
    from bot.settings import worker_processes

    configure_app = rasa.core.run.configure_app
    if getattr(configure_app, "limits_requests", False):
        return

    def too_large(_request, _exception):
        return response.json(
            {
                "error": f"the request is larger than this server accepts "
                f"({MAX_REQUEST_BYTES // 1024} KiB); send a shorter message"
            },
            status=413,
        )

    def routing_error(_request, exception):
        return response.json(
            {"error": str(exception)},
            status=exception.status_code,
            headers=getattr(exception, "headers", None),
        )

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

    mark(limited_app, "limits_requests")
    replace(rasa.core.run, "configure_app", limited_app)


# The server process: Sanic's workers are forked from it, so they see it here too.
_SERVER_PID = os.getpid()


def _workers_exit_with_the_server(_app, _loop) -> None:
    """Sanic listener: a worker process stops when the server process that forked it dies,
    even by kill -9, instead of holding the port for good (bot/processes.py)."""
    if os.getpid() != _SERVER_PID:
        from bot.processes import exit_with_parent

        exit_with_parent(_SERVER_PID)


def _one_request_per_connection(request) -> None:
    """Sanic request middleware, with several workers: the connection closes once this request
    is answered (`Connection: close`), so the client's next request is a new connection, taken
    by whichever worker accepts it first. WebSocket upgrades stay open."""
    if request.headers.get("upgrade", "").lower() != "websocket" and request.stream is not None:
        request.stream.keep_alive = False
