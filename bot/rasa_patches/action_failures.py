"""A turn whose custom action cannot run (the action server is restarting, unreachable, or
answers with an error) gets a polite "please try again" instead of silence.

Rasa logs such a failure and carries on with the action's events dropped, so the person sees no
reply at all and cannot tell a slow bot from a broken one. Rejections (a form saying a value
does not fit) are part of the conversation and still reach Rasa unchanged."""

from __future__ import annotations

import logging

from bot.rasa_patches import mark, replace

logger = logging.getLogger(__name__)

# Not a domain response: `rasa data validate --fail-on-warnings` refuses responses that no
# story uses, and this one is said by the server, never predicted.
TRY_AGAIN = "Sorry, I couldn't look that up just now. Please ask me again in a moment."


def reply_when_actions_fail() -> None:
    from rasa.core.actions.action import (
        ActionExecutionRejection,
        RemoteAction,
        create_bot_utterance,
    )
    from rasa.shared.exceptions import RasaException

    original = RemoteAction.run
    if getattr(original, "replies_on_failure", False):
        return

    async def run(self, output_channel, nlg, tracker, domain):
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except RasaException as error:
            logger.error(
                "custom action %s failed, told the person to try again: %s", self.name(), error
            )
            return [create_bot_utterance({"text": TRY_AGAIN})]

    mark(run, "replies_on_failure")
    replace(RemoteAction, "run", run)
