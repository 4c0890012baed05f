# Rank and File — the README's two commands live here: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
BIN := $(VENV)/bin
RF := $(BIN)/rankandfile
UV_VERSION := 0.13.8
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
DEMO_MEMBERS ?= 50000
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install install-dev lint typecheck contracts pytest test-postgres browser-deps schemathesis \
	bench bench-deps bench-counting bench-eligibility bench-import bench-voting bench-conference \
	bench-accountability bench-selections bench-campaigns bench-invitations bench-hall test-stack clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

## install: the runtime dependencies exactly as locked (uv.lock)
install: $(UV)
	$(UV) sync --frozen --no-dev --quiet --python $(PYTHON)

## install-dev: runtime plus test and lint tools, as locked
install-dev: $(UV)
	$(UV) sync --frozen --extra dev --quiet --python $(PYTHON)

## demo: install, migrate var/rankandfile.sqlite3, seed a demo party once, serve it
demo: install
	@mkdir -p var
	$(RF) migrate --no-input -v 0
	$(RF) demo_seed --members $(DEMO_MEMBERS) --if-empty
	$(RF) demo_logins
	$(RF) runserver $(HOST):$(PORT) --insecure

## test: lint, type checks, import contracts and the whole test suite
test: install-dev browser-deps lint typecheck contracts pytest

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy src

contracts:
	$(BIN)/lint-imports

pytest:
	RANKANDFILE_ENV=test $(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## test-postgres: the same suite against PostgreSQL (DATABASE_URL or the local server)
test-postgres: install-dev browser-deps
	RANKANDFILE_ENV=test DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/rankandfile} \
		RANKANDFILE_REQUIRE_POSTGRES=1 $(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## schemathesis: fuzz the whole API (every operation, POST and DELETE included) against the
## running app on loopback with demo data; fails on any 5xx or undocumented status
schemathesis: install-dev
	.ci/schemathesis
## test-stack: the production processes on loopback (2 web, 2 workers, scheduler,
## PostgreSQL, an SMTP server) running a whole ballot; fails if any is missing
test-stack: install-dev
	RANKANDFILE_ENV=test DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/rankandfile} \
		RANKANDFILE_REQUIRE_POSTGRES=1 $(BIN)/pytest -p no:xdist -m stack tests/stack -v $(PYTEST_ARGS)

## browser-deps: Debian's Chromium for the Playwright tests (skipped if present)
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; \
	fi

## bench: every benchmark recorded in bench/RESULTS.md (needs the local PostgreSQL)
bench: bench-counting bench-eligibility bench-import bench-voting bench-conference \
	bench-accountability bench-selections bench-campaigns bench-invitations bench-hall

bench-deps: $(UV)
	$(UV) sync --frozen --extra dev --extra bench --quiet --python $(PYTHON)

bench-counting: bench-deps
	$(BIN)/python bench/bench_counting.py --timeout 120 --json bench/out/counting.json

bench-eligibility: bench-deps
	$(BIN)/python bench/bench_eligibility.py

bench-import: bench-deps
	$(BIN)/python bench/bench_import.py

bench-voting: bench-deps
	$(BIN)/python bench/bench_voting.py load
	$(BIN)/python bench/bench_voting.py kill
	$(BIN)/python bench/bench_voting.py web
	$(BIN)/python bench/bench_voting.py timings

bench-conference: bench-deps
	$(BIN)/python bench/bench_conference.py

## bench-hall: 1,200 voters casting within a minute with the hall's pages open, before/after
bench-hall: bench-deps
	$(BIN)/python bench/bench_hall.py

bench-accountability: bench-deps
	$(BIN)/python bench/bench_accountability.py --no-vote-rows

bench-selections: bench-deps
	$(BIN)/python bench/bench_selections.py

bench-campaigns: bench-deps
	$(BIN)/python bench/bench_campaigns.py

## bench-invitations: 500,000 invitations through 4 workers to a local SMTP sink
bench-invitations: bench-deps
	$(BIN)/python bench/bench_invitations.py --members 700000 --workers 4 --rate 40

clean:
	rm -rf $(VENV) $(TOOLS) var/*.sqlite3*

# Translations (docs/decisions/0027-welsh.md): extract the marked strings into the Welsh
# catalogue, then compile it. The compiled django.mo is committed: the product never needs
# GNU gettext at run time, only developers changing strings do.
.PHONY: messages
messages:
	cd src/rankandfile && DJANGO_SETTINGS_MODULE=rankandfile.settings ../../.venv/bin/django-admin makemessages -l cy --no-obsolete --ignore "templates/admin/*"
	cd src/rankandfile && DJANGO_SETTINGS_MODULE=rankandfile.settings ../../.venv/bin/django-admin compilemessages -l cy
