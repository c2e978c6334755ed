"""CORS as WEB_ORIGINS means it (see `credentials_only_for_listed_origins`); tests/e2e/test_cors.py."""

from __future__ import annotations

from bot.rasa_patches import mark, replace


def credentials_only_for_listed_origins() -> None:
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
        options = (
            {"origins": "*", "send_wildcard": True, "supports_credentials": False}
            if listed is None
            else {"origins": sorted(listed), "supports_credentials": True}
        )
        CORS(app, resources={r"/*": options}, automatic_options=True)

    mark(by_origin, "by_origin")
    replace(rasa.server, "configure_cors", by_origin)
