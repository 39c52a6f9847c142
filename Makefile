# Banter: `make run` starts everything on SQLite; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
BIN       := $(VENV)/bin
# Python 3.10 (Rasa 3.6 does not run on 3.11): pyenv's 3.10.13 when present.
PYTHON310 ?= $(shell for p in $$HOME/.pyenv/versions/3.10.13/bin/python python3.10; do \
               command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2]==(3,10)' 2>/dev/null && { echo $$p; break; }; done)
MODEL     := models/banter.tar.gz
TRAINING  := domain.yml config.yml $(shell find data -name '*.yml' 2>/dev/null)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3
# Let TensorFlow use both cores when training (Rasa reads these).
export TF_INTRA_OP_PARALLELISM_THREADS ?= 2
export TF_INTER_OP_PARALLELISM_THREADS ?= 2
export PYTHONWARNINGS := ignore::DeprecationWarning

FORCE:
.PHONY: FORCE help install run run-scaled shell train migrate lint test test-unit test-rasa test-e2e update-screenshots eval bench bench-scaled clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is required (e.g. pyenv install 3.10.13)"; exit 1; }
	@echo "==> creating $(VENV) with $(PYTHON310) and installing pinned dependencies (first time: a few minutes)"
	@test -x $(BIN)/python || $(PYTHON310) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# The widget serves the socket.io client from npm's pinned dist file (no CDN).
node_modules/.installed: package.json package-lock.json
	@echo "==> installing the pinned front-end packages (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Browser tests drive Debian's Chromium (Playwright's own browser download does not work here).
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	@echo "==> installing Chromium for the browser tests (Debian package)"
	@command -v apt-get >/dev/null || { echo "Chromium is missing and apt-get is not available: install chromium"; exit 1; }
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium

install: $(VENV)/.installed node_modules/.installed ## create the virtualenv and install pinned dependencies

# The scaled deployment's load balancer is Debian's HAProxy (installed like Chromium above).
HAPROXY ?= /usr/sbin/haproxy
$(HAPROXY):
	@echo "==> installing HAProxy for the scaled deployment (Debian package)"
	@command -v apt-get >/dev/null || { echo "HAProxy is missing and apt-get is not available: install haproxy"; exit 1; }
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq haproxy

# The model depends on the content of the training files (a hash kept in models/.training.sha),
# so an edit made while a training runs is never mistaken for "up to date".
models/.training.sha: FORCE
	@mkdir -p models; h=$$(cat $(TRAINING) | sha256sum | cut -c1-64); \
	  [ "$$(cat $@ 2>/dev/null)" = "$$h" ] || echo "$$h" > $@

$(MODEL): $(VENV)/.installed models/.training.sha
	@echo "==> training the assistant (data, domain or config changed)"
	$(BIN)/rasa data validate --fail-on-warnings
	$(BIN)/rasa train --fixed-model-name banter --out models
	@touch $@

train: $(MODEL) ## train the model when data, domain or config changed

migrate: install ## create or upgrade the lead database (DATABASE_URL, default var/banter.db)
	$(BIN)/banter migrate

run: install node_modules/.installed train ## install, train when needed, migrate, start everything, print where to chat
	$(BIN)/banter run

run-scaled: install node_modules/.installed train $(HAPROXY) ## PostgreSQL + Redis, 2 Rasa replicas and 2 action servers behind HAProxy
	$(BIN)/banter run-scaled

shell: install train ## chat in the terminal
	$(BIN)/banter shell

lint: install ## ruff + mypy
	$(BIN)/ruff check bot actions tests scripts channels
	$(BIN)/ruff format --check bot actions channels
	$(BIN)/mypy

test-unit: install
	$(BIN)/pytest -q -m "not e2e" tests

test-rasa: train
	$(BIN)/rasa test core --stories tests/test_stories.yml --fail-on-prediction-errors --out results/core

test-e2e: train node_modules/.installed $(CHROMIUM) $(HAPROXY)
	$(BIN)/pytest -q -m e2e tests

test: lint test-unit test-rasa test-e2e ## install what tests need and run them all

# The widget's screenshots are compared with tests/e2e/baselines/ (committed); after an intended
# visual change, rewrite them here and commit them with the change.
update-screenshots: train node_modules/.installed $(CHROMIUM) ## rewrite the widget's screenshot baselines
	BANTER_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q -m e2e tests/e2e/test_widget.py -k test_widget_states

eval: train ## evaluations: NLU per slice (v10 is the held-out one), then each slice's scripted visitors end to end
	$(BIN)/python scripts/eval_nlu.py
	@for f in tests/conversations/visitors*.yml; do echo "==> $$f"; $(BIN)/python scripts/eval_conversations.py --visitors $$f || exit 1; done

bench: train node_modules/.installed ## benchmarks: conversations over REST, the console on 100k leads (SQLite, PostgreSQL), reps' calendars, sales outcomes (calibration, SLA escalations, one-click links), wording change to reply, A/B verdicts
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_console.py
	$(BIN)/python scripts/bench_calendars.py
	$(BIN)/python scripts/bench_outcomes.py
	$(BIN)/python scripts/bench_wording.py
	$(BIN)/python scripts/ab_simulation.py

bench-scaled: train $(HAPROXY) ## load run: 100 concurrent conversations on 1 Rasa replica, then 2 behind HAProxy
	$(BIN)/python scripts/bench_scaled.py

clean: ## remove models, results and local databases
	rm -rf models results var .pytest_cache
