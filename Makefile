# ClinicDesk. `make run` to try it, `make test` to test it. Needs Python 3.11+ and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
PY := $(VENV)/bin/python
export CLINICDESK_VAR_DIR ?= $(CURDIR)/var

.PHONY: run test test-clock test-sqlite test-postgres check lint bench install demo clean browsers

$(VENV)/bin/uv:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip --version >/dev/null 2>&1 || $(VENV)/bin/python -m ensurepip --upgrade
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv

# Installs exactly what uv.lock pins (dev tools included); re-runs when the lock changes.
$(VENV)/.installed: uv.lock pyproject.toml | $(VENV)/bin/uv
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --inexact --python $(PY)
	touch $@

install: $(VENV)/.installed

run: install
	CLINICDESK_DEMO=1 $(PY) -m clinicdesk migrate --no-input -v 0
	CLINICDESK_DEMO=1 $(PY) -m clinicdesk demo
	@echo ""
	@echo "  ClinicDesk demo: open http://127.0.0.1:8000/ and sign in with a login above."
	@echo "  Demo mode: two-factor enrolment is optional here; real installs require it."
	@echo ""
	CLINICDESK_DEMO=1 $(PY) -m clinicdesk serve --bind 127.0.0.1:8000

# The whole suite on the database named by DATABASE_URL (SQLite under var/ when unset).
test: install browsers
	$(PY) -m pytest

# The browser tests drive Debian's chromium; it is the one system package the suite needs.
browsers:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium at /usr/bin/chromium. Install it with:"; \
	    echo "    sudo apt-get install chromium"; \
	    exit 1; \
	  fi; \
	fi

# The whole suite again with every test starting at an awkward moment of the practice's time
# (America/New_York): 23:59 on a Sunday, the spring and autumn clock changes, New Year's Eve
# and a year ahead of today. A test that passes only on some days or hours fails here.
CLOCK_MOMENTS ?= 2026-12-13T23:59:00-05:00 2027-03-14T01:59:00-05:00 2027-11-07T01:30:00-04:00 \
	2026-12-31T23:59:00-05:00 $(shell date -u -d '+1 year' +%Y-%m-%dT%H:%M:%S+00:00)
test-clock: install browsers
	@set -e; for moment in $(CLOCK_MOMENTS); do \
	  echo "=== the whole suite with the clock at $$moment"; \
	  CLINICDESK_TEST_NOW=$$moment $(PY) -m pytest -q; \
	done

check: install browsers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy clinicdesk
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest --durations=25

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) var/test-*.sqlite3
