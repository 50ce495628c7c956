# CreditDesk — `make demo` runs the embedded demo, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= var

.PHONY: demo setup test test-py lint bench clean

demo: setup ## set up and run the embedded demo (SQLite, in-process worker, demo data)
	CREDITDESK_DATA_DIR=$(DATA) $(BIN)/creditdesk serve --demo --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

test: setup ## every test: lint, then the suite on SQLite and (when reachable) PostgreSQL
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
