# comms-sandbox: `make serve` runs the sandbox, `make test` passes the tests. Both set up
# everything they need on a fresh machine (a virtual environment in .venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= .data

.PHONY: install serve test lint typecheck unit trace-check trace coverage fuzz bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
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

test: lint typecheck unit trace-check

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

clean:
	rm -rf $(VENV) .data .trace .pytest_cache .mypy_cache .ruff_cache
