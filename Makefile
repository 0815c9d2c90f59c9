# Ally Directory — the commands in the README. Each works on a fresh machine
# with only Python 3.11+ and make: the first run creates .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrations-check requirements bench bench-search bench-api clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the pinned requirements change.
$(STAMP): requirements/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $(STAMP)

run: $(STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py load_seed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/python -m ruff check --fix .
	$(BIN)/python -m ruff format .

# Re-pin requirements/ from pyproject.toml (needs network access to PyPI).
requirements: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m uv pip compile pyproject.toml --quiet --python-version 3.11 -o requirements/base.txt
	$(BIN)/python -m uv pip compile pyproject.toml --quiet --python-version 3.11 --extra dev -o requirements/dev.txt

# Benchmarks print figures; speed is never asserted in tests.
# bench-search: search latency for the data in the database (see README:
#   Search); generate data first: python manage.py generate_resources --count 100000
# bench-api: gunicorn with 2 sync workers under 16 connections (wrk if
#   installed), uncached and cached, next to a bare Django view; uses
#   DATABASE_URL (or SQLite) and REDIS_URL when set.
BENCH_COUNT ?= 100000
bench: bench-search bench-api
bench-search: $(STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py bench_search $(BENCH_ARGS)
bench-api: $(STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --no-input -v0
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py load_seed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py bench_api --count $(BENCH_COUNT) $(BENCH_API_ARGS)

clean:
	rm -rf $(VENV) var/static
