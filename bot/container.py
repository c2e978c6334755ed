"""`python -m bot.container COMMAND [ARG...]`: the entrypoint of the container images (deploy/).

A container runs one server and its orchestrator restarts it, so it does not go through
`python -m bot run`. Before it replaces itself with COMMAND, this does what that launcher does
for the Rasa server:

- fills in the settings endpoints.yml reads and the environment leaves unset (the same
  defaults as `make run`), because Rasa refuses to start on an unset ${VAR};
- writes the credentials file from the environment (bot/channels/credentials.py) when COMMAND
  names one with `--credentials`, so Slack and Telegram are on exactly when their settings are.

Image commands are in exec form, which no shell expands, so `$NAME` and `${NAME}` in the
arguments are replaced here from the environment. Secrets such as the Rasa token then appear in
neither the image nor the orchestrator's copy of the command, only in the running process.

COMMAND replaces this process (exec), so the server gets the orchestrator's SIGTERM itself."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Mapping, MutableMapping, Sequence

from bot import settings

_REFERENCE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class ContainerError(SystemExit):
    """A setting problem the operator must fix; the message says which."""


def defaults(env: Mapping[str, str]) -> dict[str, str]:
    return {
        **settings.store_defaults(),
        "ACTION_ENDPOINT_URL": settings.load(env).action_url,
        "WEB_ORIGINS": "*",
    }


def fill_defaults(env: MutableMapping[str, str]) -> None:
    for name, value in defaults(env).items():
        env.setdefault(name, value)


def expand(argument: str, env: Mapping[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match[1] or match[2]
        if name not in env:
            raise ContainerError(f"the command uses ${name}, which is not set")
        return env[name]

    return _REFERENCE.sub(value, argument)


def option(args: Sequence[str], name: str) -> str | None:
    """The value of `name VALUE` or `name=VALUE` in args, if given."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def check(args: Sequence[str], env: Mapping[str, str]) -> None:
    # Rasa treats an empty token as no token, which would open its HTTP API (conversations,
    # model replacement) to anyone who can reach the port. bot.server takes RASA_TOKEN from the
    # environment when the command line has no token, which keeps it out of `ps`.
    if "--enable-api" not in args:
        return
    given = option(args, "--auth-token")
    if given is not None:
        if not given:
            raise ContainerError("--enable-api needs a non-empty --auth-token (set RASA_TOKEN)")
        return
    if "bot.server" not in args:
        raise ContainerError("--enable-api needs --auth-token, or bot.server with RASA_TOKEN set")
    if not settings.rasa_token(env):
        raise ContainerError("--enable-api needs a token: set RASA_TOKEN")


def prepare(argv: Sequence[str], env: MutableMapping[str, str]) -> list[str]:
    """The command to exec, with its files written and its arguments expanded."""
    if not argv:
        raise ContainerError("usage: python -m bot.container COMMAND [ARG...]")
    fill_defaults(env)
    settings.check(env)
    args = [expand(arg, env) for arg in argv]
    check(args, env)
    credentials = option(args, "--credentials")
    if credentials:
        from bot.channels.credentials import write_credentials

        write_credentials(Path(credentials), env)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    env = settings.environment()
    args = prepare(list(sys.argv[1:] if argv is None else argv), env)
    os.execvpe(args[0], args, env)


if __name__ == "__main__":
    main()
