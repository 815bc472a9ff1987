# Two commands on a fresh machine with Python 3.11 and make: `make run` and `make test`.
# Requirements are reinstalled only when a requirements file changes (stamp files in .venv/).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
PORT ?= 8000
LINT_PATHS := archive tests bench gunicorn.conf.py
PYTEST_ARGS ?=
# The PostgreSQL pass runs on TEST_DATABASE_URL, or else DATABASE_URL, when it is a postgres URL.
PG_URL := $(or $(TEST_DATABASE_URL),$(DATABASE_URL))

# The first of python3.11 / python3 that is Python 3.11 (evaluated only when the venv is created).
BASE_PYTHON = $(shell for p in python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: help install install-dev run serve worker test lint test-sqlite test-postgres test-postgres-if-configured clean

help:
	@echo "make run     install into .venv/, migrate, load and index the seed article, serve http://127.0.0.1:$(PORT)/"
	@echo "make test    install the test tools and run ruff and pytest on SQLite, then on PostgreSQL if DATABASE_URL is one"
	@echo "make serve   production web process: install, migrate, collectstatic, then gunicorn on HOST:PORT (see gunicorn.conf.py)"
	@echo "make worker  production index worker: applies queued index updates until stopped"
	@echo "Also: install, lint, test-sqlite, test-postgres, clean"

$(PY):
	@python="$(BASE_PYTHON)"; \
	if [ -z "$$python" ]; then echo "Python 3.11 is required: neither python3.11 nor python3 is Python 3.11." >&2; exit 1; fi; \
	echo "Creating $(VENV)/ with $$python"; \
	$$python -m venv $(VENV)

$(VENV)/.requirements.stamp: requirements.txt | $(PY)
	@echo "Installing requirements.txt into $(VENV)/"
	$(PIP) install -r requirements.txt
	@touch $@

$(VENV)/.requirements-dev.stamp: requirements-dev.txt requirements.txt | $(PY)
	@echo "Installing requirements-dev.txt into $(VENV)/"
	$(PIP) install -r requirements-dev.txt
	@touch $(VENV)/.requirements.stamp $@

install: $(VENV)/.requirements.stamp

install-dev: $(VENV)/.requirements-dev.stamp

run: install
	@mkdir -p "$${ARCHIVE_DATA_DIR:-var}"
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_seed
	$(PY) manage.py check_index -v 0 >/dev/null || $(PY) manage.py rebuild_index
	$(PY) manage.py ensure_admin --url http://127.0.0.1:$(PORT)/
	$(PY) manage.py collectstatic --noinput -v 0
	exec $(PY) manage.py runserver --noreload 127.0.0.1:$(PORT)

# Production defaults to DJANGO_DEBUG=false, which needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
serve: export DJANGO_DEBUG := $(or $(DJANGO_DEBUG),false)
serve: install
	@mkdir -p "$${ARCHIVE_DATA_DIR:-var}"
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	PORT=$(PORT) exec $(VENV)/bin/gunicorn --config gunicorn.conf.py

worker: export DJANGO_DEBUG := $(or $(DJANGO_DEBUG),false)
worker: install
	exec $(PY) manage.py process_index_queue --watch

lint: install-dev
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

test: lint
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres-if-configured

# pytest exits 5 when it collects nothing; that fails the pass like any other non-zero status.
define run_pytest
	status=0; $(1) $(VENV)/bin/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: the $(2) pass fails." >&2; fi; \
	if [ $$status -ne 0 ]; then echo "The $(2) pass failed (pytest exit status $$status)." >&2; fi; \
	exit $$status
endef

test-sqlite: install-dev
	@echo "== Test pass 1: SQLite =="
	@$(call run_pytest,env -u DATABASE_URL,SQLite)

test-postgres: install-dev
	@case "$(PG_URL)" in postgres://*|postgresql://*|pgsql://*) ;; \
	*) echo "Set TEST_DATABASE_URL or DATABASE_URL to a postgres:// URL to run the PostgreSQL pass." >&2; exit 2;; esac
	@echo "== Test pass 2: PostgreSQL ($$(echo '$(PG_URL)' | sed -E 's#//([^:@/]+):[^@]*@#//\1:***@#')) =="
	@$(call run_pytest,env DATABASE_URL='$(PG_URL)',PostgreSQL)

test-postgres-if-configured:
	@case "$(PG_URL)" in postgres://*|postgresql://*|pgsql://*) $(MAKE) --no-print-directory test-postgres;; \
	*) echo "PostgreSQL pass skipped: DATABASE_URL is not set to a postgres:// URL.";; esac

clean:
	rm -rf $(VENV)
