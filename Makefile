# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# A stamp file records that the venv holds the current requirements.
STAMP := $(VENV)/.installed

.PHONY: run test lint format check bench bench-search bench-api bench-web bench-relevance bench-deliveries load-data reset-db migrate

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Set up (venv, dependencies, migrations, demo data) and serve on http://127.0.0.1:$(PORT), with
# the background worker beside the site (it stops when the site stops).
run: $(STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py load_demo
	export DJANGO_DEBUG=$${DJANGO_DEBUG:-1} PORTAL_TASK_WORKER=1; \
	$(PY) manage.py task_worker --recover-all & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Set up and run the whole test suite (SQLite, or the database in DATABASE_URL), one worker per
# CPU core (pytest-xdist; each worker has its own test database and search index folder).
# PYTEST_ARGS="-n 0 -x" runs it in one process and stops at the first failure.
PYTEST_ARGS ?= -n auto
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff, then the import contracts of pyproject.toml (the layers of docs/architecture.md).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py check
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

migrate: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput

load-data: migrate
	DJANGO_DEBUG=1 $(PY) manage.py load_demo

# Deletes the local SQLite database and search index (never a DATABASE_URL database).
reset-db:
	rm -rf var/portal.sqlite3 var/search-index

bench: bench-search bench-api bench-web bench-relevance bench-deliveries

bench-search: $(STAMP)
	$(PY) bench/search_backends.py

bench-api: $(STAMP)
	$(PY) bench/api.py

bench-web: $(STAMP)
	$(PY) bench/web.py

bench-relevance: $(STAMP)
	$(PY) bench/relevance.py

# PostgreSQL (DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432/): makes and drops
# its own database portal_bench_deliveries.
bench-deliveries: $(STAMP)
	$(PY) bench/deliveries.py
