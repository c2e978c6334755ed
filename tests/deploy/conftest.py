from __future__ import annotations

import pytest

from tests.deploy import compose_schema, manifests


@pytest.fixture(scope="session")
def compose() -> dict:
    return manifests.load_compose()


@pytest.fixture(scope="session")
def k8s() -> list[dict]:
    return manifests.k8s_objects()


@pytest.fixture(scope="session")
def schema() -> dict:
    return compose_schema.load_schema()


@pytest.fixture(scope="session")
def rasa_app(tmp_path_factory):
    """Rasa's HTTP app as the container command builds it (API on, the channels the entrypoint
    writes into the credentials file), without loading a model."""
    from rasa.core import run
    from sanic import Sanic

    from bot.channels.credentials import write_credentials

    credentials = write_credentials(tmp_path_factory.mktemp("rasa") / "credentials.yml", {})
    saved, Sanic.test_mode = Sanic.test_mode, True     # lets the suites build apps of one name
    try:
        channels = run.create_http_input_channels(None, str(credentials))
        yield run.configure_app(channels, cors="*", auth_token="token", enable_api=True)
    finally:
        Sanic.test_mode = saved


@pytest.fixture(scope="session")
def actions_app():
    from rasa_sdk.endpoint import create_app
    from sanic import Sanic

    saved, Sanic.test_mode = Sanic.test_mode, True
    try:
        yield create_app("actions")
    finally:
        Sanic.test_mode = saved
