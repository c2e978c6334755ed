"""The loaded model's objects moved out of the garbage collector's sight (see the function)."""

from __future__ import annotations

from bot.rasa_patches import mark, replace


def freeze_the_loaded_model() -> None:
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

    mark(load_then_freeze, "freezes")
    replace(rasa.core.run, "load_agent_on_start", load_then_freeze)
