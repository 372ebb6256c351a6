# Every target bootstraps .venv from a fresh clone; nothing needs installing by hand.
# Python: the floor pyproject.toml names (3.11) where the machine has it, so that is what is tested.
PYTHON ?= $(shell command -v python3.11 || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The exact versions the tests pass with; `make lock` refreshes them (scripts/refresh-lock).
LOCK   := lock/constraints.txt
export PATH := $(abspath $(BIN)):$(PATH)
# nbgrader skips a nbgrader_config.py that fails to load, and with it every protection the course
# sets there: make it stop instead (the course's own commands set this for the nbgrader they run).
export TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR := 1
# Debian packages the tests need (the grading sandbox, the browser, ...), installed when missing.
SYSTEM_PACKAGES := bubblewrap postgresql chromium

# Node tools the tests use (configurable-http-proxy for the hub test, axe-core for the accessibility
# test): lock/package-lock.json's versions from the npm registry into .node/ (with the machine's npm).
NODE_TOOLS := .node/.installed

.PHONY: help venv sysdeps node-tools lab build check demo test test-fast seed-fingerprint lock clean

help:
	@echo "make demo       grade a fictional class end to end and print the table"
	@echo "make test       every test: unit, content, pipeline, browser, hub, nbval on source/"
	@echo "make test-fast  the tests that need no nbgrader run or kernel"
	@echo "make build      regenerate release/ from source/"
	@echo "make check      solutions full marks, blanks zero, partials exact (course check)"
	@echo "make lab        JupyterLab on the course, with nbgrader's extensions"
	@echo "make node-tools the tests' Node tools (hub proxy, axe-core) into .node/, from lock/"
	@echo "make seed-fingerprint  refresh tests/seed_fingerprint.json from the seed articles"
	@echo "make lock       refresh lock/ to the newest versions pyproject.toml allows"
	@echo "make clean      remove build output, the virtual environment, .node/ and *.egg-info"

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(LOCK) pip setuptools wheel
	$(BIN)/python -m pip install --quiet -c $(LOCK) --no-build-isolation -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

sysdeps:
	@if [ -n "$(strip $(SYSTEM_PACKAGES))" ]; then scripts/ensure-debian-packages $(SYSTEM_PACKAGES); fi

$(NODE_TOOLS): lock/package.json lock/package-lock.json
	mkdir -p .node
	cp lock/package.json lock/package-lock.json .node/
	npm ci --prefix .node --no-audit --no-fund --silent
	touch $@

node-tools: $(NODE_TOOLS)

lab: venv
	$(BIN)/jupyter lab --notebook-dir=.

build: venv
	$(BIN)/course build

check: venv
	$(BIN)/course check

demo: venv
	$(BIN)/course demo

test: venv sysdeps node-tools
	$(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder --nbval-lax tests source

test-fast: venv
	$(BIN)/python -m pytest -m "not pipeline and not browser and not bare_clone" tests

# The originality tests read this fingerprint, not the articles (tests/seed_fingerprint.py says how).
seed-fingerprint: venv
	$(BIN)/python tests/seed_fingerprint.py

lock:
	PYTHON=$(PYTHON) scripts/refresh-lock

clean:
	rm -rf build $(VENV) *.egg-info .node
