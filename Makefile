# comms-sandbox: `make serve` runs the sandbox, `make test` passes the tests. Both set up
# what they need on a fresh machine (a virtual environment in .venv): serving, the package
# alone; testing, the dev extra too.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= .data

VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' sandbox/__init__.py)
# the container's base image (CONTRACT.md section 9); its Python must be the host's minor version
BASE ?= python:3.11-slim

.PHONY: install lock serve test lint typecheck layers unit trace-check trace coverage fuzz bench clean \
	wheel wheelhouse image image-test mutate chromium postgresql

# every install takes the versions the tests passed with (constraints.txt, `make lock`); a new
# constraints.txt reinstalls. The package's own metadata keeps ranges (docs/testing.md
# "Dependencies").
CONSTRAINTS := constraints.txt

# Two sets: `make serve` installs what serving needs (the package and its dependencies,
# SERVE_STAMP); `make test` and the other developer targets add the dev extra (STAMP: the
# test tools, schemathesis, playwright, mypy, ...). `make serve` after `make test` serves
# from the same .venv; `make test` after `make serve` installs the rest.
SERVE_STAMP := $(VENV)/.installed-serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) --upgrade pip

$(SERVE_STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e .
	touch $(SERVE_STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# constraints.txt anew: the newest versions pyproject.toml's ranges allow, resolved in a fresh
# environment holding only the project and its dependencies (pip freeze of it). Then
# `make test` (which reinstalls from it) and commit it.
lock:
	rm -rf $(VENV)-lock
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet --upgrade pip
	$(VENV)-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# written by \`make lock\` from pyproject.toml's ranges: the versions \`make test\` passed with"; \
	  $(VENV)-lock/bin/python -m pip freeze --all --exclude-editable; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(VENV)-lock

install: $(STAMP)

serve: $(SERVE_STAMP)
	HOST=$(HOST) PORT=$(PORT) DATA_DIR=$(DATA_DIR) $(BIN)/comms-sandbox serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected no test: that is not a failure of the command. The run
# leaves its results in .trace/ (scenarios, fuzzing) for `trace-check` and `coverage`.
unit: $(STAMP)
	SANDBOX_FUZZ_REPORT=.trace/fuzz.json $(BIN)/pytest -n auto -q; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

# every seed statement has a passing scenario, and features/TRACE.md is current
trace-check: $(STAMP)
	$(BIN)/python features/trace.py --check

test: lint typecheck layers chromium postgresql unit trace-check

# the import contracts of .importlinter: no circle, the store and the engine below the rest
layers: $(STAMP)
	$(BIN)/lint-imports

# every fenced example of the Markdown documents runs and prints what its document shows
# (tests/doc_examples.py; docs/testing.md "Documents that run"); `unit` runs it too
.PHONY: docs-check
docs-check: $(STAMP)
	$(BIN)/pytest tests/test_doc_examples.py -n auto -q

# headless Chromium for the browser tests (tests/browser): Debian's package, which Playwright
# drives through executable_path (it downloads no browser). Installed when this user may; if
# it cannot be, the browser tests are skipped and say so in one line.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; }; } || \
	  echo "no Chromium could be installed (apt-get install chromium): the browser tests are skipped"

# PostgreSQL for the tests of the PostgreSQL backend (tests/pg_cluster.py starts a throw-away
# cluster with its binaries), and nginx for the compose scale profile's load balancer in front
# of two processes (tests/test_compose.py): Debian's packages, installed when this user may;
# if they cannot be, those tests are skipped and say so in one line.
postgresql:
	@{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1; }; }; } || \
	  echo "no PostgreSQL could be installed (apt-get install postgresql): its tests are skipped"
	@{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null 2>&1; }; }; } || \
	  echo "no nginx could be installed (apt-get install nginx-light): the load-balancer test of the compose scale profile is skipped"

# run the scenarios and rewrite features/TRACE.md from their results
trace: $(STAMP)
	$(BIN)/pytest features -n auto -q
	$(BIN)/python features/trace.py

# per vendor: operations implemented, fuzzed and called by scenarios (runs the suites first)
coverage: $(STAMP)
	SANDBOX_FUZZ_REPORT=.trace/fuzz.json $(BIN)/pytest features contracts -n auto -q
	$(BIN)/python -m contracts.coverage

# a longer, seeded schemathesis run over every OpenAPI document
fuzz: $(STAMP)
	SANDBOX_FUZZ_EXAMPLES=$${SANDBOX_FUZZ_EXAMPLES:-500} SANDBOX_FUZZ_SEED=$${SANDBOX_FUZZ_SEED:-20261123} \
	  SANDBOX_FUZZ_REPORT=.trace/fuzz.json $(BIN)/pytest contracts -n auto -q

bench: $(STAMP)
	$(BIN)/python -m bench.run

# mutmut over the suppression core, then the named breakages of module-level code: per-file
# scores, each against its goal (docs/testing.md). A seeded sample runs in `unit`.
mutate: $(STAMP)
	$(BIN)/python -m mutation.campaign --jobs 2; $(BIN)/python -m mutation.campaign --recheck-timeouts --jobs 2
	$(BIN)/python -m mutation.breakages

# the package as one wheel, dist/comms_sandbox-$(VERSION)-py3-none-any.whl (it is not on PyPI
# yet): `pip install` it anywhere, with `[testing]` for the pytest plugin
wheel: $(SERVE_STAMP)
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	@echo "built dist/comms_sandbox-$(VERSION)-py3-none-any.whl"

# the package and every dependency as wheels for this machine's Python: the image installs
# from them with no network
wheelhouse: $(STAMP)
	rm -rf dist/wheelhouse
	$(BIN)/python -m pip wheel --quiet -c $(CONSTRAINTS) --wheel-dir dist/wheelhouse '.[postgres]'

image: wheelhouse
	docker build --build-arg BASE=$(BASE) -t comms-sandbox:latest -t comms-sandbox:$(VERSION) .

# builds the image, then checks it: healthy, answers a send, runs as non-root, keeps an
# acknowledged write across a restart on its volume; prints its size and start-up time
image-test: image
	$(BIN)/python tests/image_check.py comms-sandbox:$(VERSION)

clean:
	rm -rf $(VENV) $(VENV)-lock .data .trace .pytest_cache .mypy_cache .ruff_cache .mutmut dist build
