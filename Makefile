# motcua task runner. `make` lists the targets.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install browser run test lint format migrate demo worker beat web bench bench-indicators promtool smoke schemathesis loadtest security security-matrix clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## create .venv and install everything from pyproject.toml

# Browser tests drive Debian's Chromium (Playwright, no browser download); installed once when missing.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser: ## install Debian's Chromium for the browser tests if it is missing
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

migrate: install ## apply database migrations
	$(PY) manage.py migrate --noinput

demo: migrate ## load the demo province (agencies, catalogue, users, ~300 dossiers in every state)
	$(PY) manage.py demo_seed
	$(PY) manage.py demo_dossiers
	$(PY) manage.py metrics_rebuild

# Demo mode (published secret key, plain-http cookies, optional second factor) only for the targets that run
# the demo or throw-away copies of it; everything else, and production, runs with MOTCUA_DEMO unset (off).
demo run smoke schemathesis loadtest bench bench-indicators security security-matrix: export MOTCUA_DEMO = 1
test: export MOTCUA_DEMO = 1

run: demo ## install, migrate, load demo data, start web + Celery worker + beat
	HOST=$(HOST) PORT=$(PORT) scripts/run.sh

test: install browser lint ## install and run the whole test suite (lint, contracts, migrations, pytest)
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

lint: install ## ruff, formatting and import-linter contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install ## benchmarks: calendar vs holidays; lifecycle vs bare viewflow; indicators (100k, PostgreSQL)
	$(PY) bench/calendar.py
	$(PY) bench/lifecycle.py --n 100 --repeat 2
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DB)} $(PY) bench/indicators.py --n 100000

BENCH_DB ?= postgres://postgres@127.0.0.1:5432/motcua
bench-indicators: install ## 1,000,000 dossiers on PostgreSQL: scorecards from rollups vs raw, rebuild, scrape
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DB)} $(PY) bench/indicators.py --n 1000000

promtool: ## check the Prometheus rules, their unit tests and the scrape config (Debian's promtool)
	scripts/promtool_check.sh

schemathesis: install ## fuzz the REST API against its OpenAPI schema (/api/schema/): no 5xx, no schema violation
	scripts/schemathesis.sh

loadtest: install ## locust, 50 users on lookup + catalogue over PostgreSQL + Redis on loopback; prints p95, errors
	scripts/loadtest.sh

smoke: install ## boot the service as `make run` does (fresh data dir), check /healthz + worker heartbeat, stop
	scripts/smoke.sh

security: install ## permission matrix (every URL × role) + wapiti web scanner over the demo as every role
	scripts/security.sh

security-matrix: install ## print every URL pattern with its access verdict; run the permission-matrix tests
	$(PY) manage.py security_matrix
	$(VENV)/bin/pytest tests/security -q

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var
