# syntax=docker/dockerfile:1
# The action server (rasa_sdk, launched by bot/action_server.py) with the custom actions and the knowledge base they read.
#
#   docker build -f deploy/docker/actions.Dockerfile -t probation-actions:0.1.0 .    (from the repo root)

# Pinned like the bot image, so both run the same Python and Debian.
FROM python:3.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    RASA_TELEMETRY_ENABLED=false

RUN groupadd --gid 1001 bot && useradd --uid 1001 --gid bot --create-home --shell /usr/sbin/nologin bot

WORKDIR /app

# The same pinned set as the bot image: one lock file, and a shared layer when both are built.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY knowledge ./knowledge
COPY actions ./actions
# The launcher that keeps rasa_sdk on loopback or behind the token, and the settings it reads.
COPY bot/__init__.py bot/settings.py bot/action_server.py ./bot/
RUN mkdir var && chown bot:bot var

USER bot
# Validates the fact files at build time and leaves a ready SQLite knowledge base for a container
# run without DATABASE_URL; with DATABASE_URL set, the deployment loads that database instead.
RUN python -m knowledge.loader

EXPOSE 5055
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5055/health', timeout=4)"]

CMD ["python", "-m", "bot.action_server", "--actions", "actions", "--port", "5055"]
