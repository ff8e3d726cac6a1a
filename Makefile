# The two commands of the README: `make run` and `make test`. Everything else is a convenience.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
BOOTSTRAP := .bootstrap
UV := $(BOOTSTRAP)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode on disk matters here: the workflow sandbox executes each workflow module again for every
# workflow run, and without .pyc files that means compiling it from source every time (-4x throughput).
unexport PYTHONDONTWRITEBYTECODE
export UV_COMPILE_BYTECODE := 1
PYTEST := $(BIN)/pytest -p no:cacheprovider
# Set only by `make pacts` (on its command line): every other target checks the committed pacts, even if the
# calling shell exported it.
unexport MALLBOTS_WRITE_PACTS

.PHONY: run test browser install pacts test-unit test-workflows test-replay test-integration test-contracts test-e2e test-fuzz test-deploy lint typecheck check clean replay-histories

$(UV):
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	$(BIN)/python -m compileall -q domain workflows activities readmodels api mallbots
	touch $@

install: $(VENV)/.installed

## run: the whole system on embedded defaults (Temporal dev server + UI, Postgres, workers, API on :8080)
run: install
	$(BIN)/mallbots up --seed

## test: every test layer against real Temporal and Postgres servers the tests start themselves
test: install browser
	$(PYTEST) tests

## browser: Debian's Chromium and ChromeDriver for the tests that render a page in a real headless browser (/docs
## offline, the screenshot tool). Best effort: where they cannot be installed (not root, no apt), those tests say
## so and skip.
browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		command -v apt-get >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive timeout 600 \
		apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } || \
		echo "no Chromium: the headless-browser tests will skip"

test-unit: install
	$(PYTEST) tests/unit

test-workflows: install
	$(PYTEST) tests/workflows

test-replay: install
	$(PYTEST) tests/replay

## replay-histories: regenerate the golden histories (only after a change was made replay-safe with patching)
replay-histories: install
	$(BIN)/python -m tests.replay.generate

test-integration: install
	$(PYTEST) tests/integration

test-contracts: install
	$(PYTEST) tests/contracts

## pacts: rewrite contracts/pacts/*.json from the consumer tests (make test only checks them: commit the diff)
pacts: install
	MALLBOTS_WRITE_PACTS=1 $(PYTEST) tests/contracts/http/test_consumer_*.py tests/contracts/messages/test_message_consumers.py

test-e2e: install
	$(PYTEST) tests/e2e

## test-fuzz: schemathesis against the live OpenAPI document, every operation and check (bounded, repeatable)
test-fuzz: install
	$(PYTEST) tests/fuzz

test-deploy: install
	$(PYTEST) tests/deploy

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

check: lint typecheck

clean:
	rm -rf $(VENV) $(BOOTSTRAP) .mallbots
