"""`GET /health` on the Rasa server: whether it can answer, part by part. 200 when every part is
ready, 503 with the parts that are not, each with what is wrong:

- model: loaded and ready;
- knowledge_base: the database the actions read holds a built knowledge base;
- action_server: answers its own /health;
- conversation_store: conversations can be read and kept (bot/rasa_patches/store_health.py).

Open to anyone, like `/`: it says nothing about any conversation."""

from __future__ import annotations

import asyncio
from typing import Optional

import aiohttp
from sanic import response
from sanic.request import Request

OK = "ok"


def _knowledge_problem() -> Optional[str]:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from bot import settings
    from knowledge import db
    from knowledge.models import Meta

    try:
        with db.engine_for(settings.database_url()).connect() as connection:
            built = connection.execute(select(Meta.value).where(Meta.key == "fingerprint")).scalar()
    except SQLAlchemyError as error:
        return f"cannot be read: {getattr(error, 'orig', error)}"
    return None if built else "empty: run `make kb`"


async def _action_server_problem(agent) -> Optional[str]:
    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is None or not endpoint.url:
        return "not configured (action_endpoint in endpoints.yml)"
    url = endpoint.url.rsplit("/webhook", 1)[0] + "/health"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
            async with session.get(url) as reply:
                return None if reply.status == 200 else f"{url} answered {reply.status}"
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return f"{url} does not answer ({type(error).__name__})"


async def _store_problem(agent) -> Optional[str]:
    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)  # inside Rasa's fail-safe wrapper
    check = getattr(store, "problem", None)
    return await asyncio.to_thread(check) if check else None


async def health(request: Request) -> response.HTTPResponse:
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        checks: dict[str, str | None] = {"model": "not loaded yet"}
    else:
        knowledge, actions, store = await asyncio.gather(
            asyncio.to_thread(_knowledge_problem),
            _action_server_problem(agent),
            _store_problem(agent),
        )
        checks = {
            "model": None,
            "knowledge_base": knowledge,
            "action_server": actions,
            "conversation_store": store,
        }
    checks = {part: problem or OK for part, problem in checks.items()}
    ready = all(value == OK for value in checks.values())
    return response.json(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
