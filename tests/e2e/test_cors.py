"""What a browser on another site is allowed to do with the bot's HTTP endpoints, asked over HTTP
with an Origin header: with WEB_ORIGINS unset any site may call it, but never with the visitor's
credentials; with WEB_ORIGINS set only the listed site is answered, and only it with credentials."""
from __future__ import annotations

import pytest
import requests

from tests.channels.conftest import running_bot

SITE = "https://careers.example.org"
OTHER = "https://evil.example"
ASK = {"sender": "cors-test", "message": "what band is a PSO?"}


def preflight(url: str, origin: str) -> requests.Response:
    return requests.options(f"{url}/webhooks/rest/webhook", timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})


@pytest.fixture(scope="module")
def listed_bot(tmp_path_factory):
    with running_bot(tmp_path_factory.mktemp("cors"), {"WEB_ORIGINS": SITE}) as running:
        yield running.url


@pytest.mark.parametrize("origin", [OTHER, SITE])
def test_unset_origins_allow_any_site_but_never_with_credentials(bot_server, origin):
    for reply in (preflight(bot_server, origin),
                  requests.post(f"{bot_server}/webhooks/rest/webhook", json=ASK, timeout=30,
                                headers={"Origin": origin})):
        assert reply.ok
        assert reply.headers.get("Access-Control-Allow-Origin") == "*"
        assert "Access-Control-Allow-Credentials" not in reply.headers


def test_a_listed_origin_is_the_only_one_reflected_and_may_send_credentials(listed_bot):
    for reply in (preflight(listed_bot, SITE), requests.get(f"{listed_bot}/", timeout=10,
                                                            headers={"Origin": SITE})):
        assert reply.headers.get("Access-Control-Allow-Origin") == SITE
        assert reply.headers.get("Access-Control-Allow-Credentials") == "true"
    # listed origins are compared whole, not as patterns a longer or look-alike name matches
    for origin in (OTHER, f"{SITE}.evil.example", SITE.replace(".", "x", 1), "null"):
        for reply in (preflight(listed_bot, origin), requests.get(f"{listed_bot}/", timeout=10,
                                                                  headers={"Origin": origin})):
            assert "Access-Control-Allow-Origin" not in reply.headers, origin
            assert "Access-Control-Allow-Credentials" not in reply.headers, origin
