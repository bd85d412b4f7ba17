# ClinicDesk. `make run` to try it, `make test` to test it. Needs Python 3.11+ and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
PY := $(VENV)/bin/python
export CLINICDESK_VAR_DIR ?= $(CURDIR)/var

.PHONY: run test test-sqlite test-postgres check lint bench install demo clean browsers

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
test: install
	$(PY) -m pytest

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy clinicdesk
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) var/test-*.sqlite3
