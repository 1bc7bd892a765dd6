# Shiguang 时光家园 — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup demo serve test test-sqlite test-postgres lint typecheck check bench messages clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

## make demo: migrate SQLite, load the Futian demo data (once), run web + worker on $(HOST):$(PORT).
demo: export DEMO_MODE = true
demo: export DEBUG = true
demo: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data --if-empty
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

## make test: lint, types, checks, then the suite on SQLite and (when reachable) PostgreSQL.
test: setup lint typecheck check test-sqlite test-postgres

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	$(VENV)/bin/mypy shiguang config

check: setup
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_deploy.py

test-sqlite: setup
	DATABASE_URL= $(PY) -m pytest -n 2 --dist loadgroup

test-postgres: setup
	@if $(PY) scripts/pg_reachable.py "$(or $(DATABASE_URL),$(PG_URL))"; then \
		echo "== PostgreSQL: running the suite again =="; \
		DATABASE_URL="$(or $(DATABASE_URL),$(PG_URL))" $(PY) -m pytest -n 2 --dist loadgroup; \
	elif [ -n "$$SHIGUANG_STRICT" ]; then \
		echo "PostgreSQL is not reachable and SHIGUANG_STRICT is set: failing."; exit 1; \
	else \
		echo "SKIPPED: PostgreSQL not reachable at $(or $(DATABASE_URL),$(PG_URL)); suite ran on SQLite only."; \
	fi

bench: setup
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

messages: setup
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=static/vendor
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var db.sqlite3*
