# Every target creates the virtual environment on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo lint types unit package-check bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make test: lint, format check, mypy --strict, the package build check, and pytest
## (both anyio backends, warnings as errors, per-test timeout, branch coverage >= 90%).
test: lint types package-check unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy -p actorgraph
	$(BIN)/mypy tests examples benchmarks

unit: $(STAMP)
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

## make demo: the quickstart graph (Send fan-out, a reducer, a loop, live progress, mermaid).
demo: $(STAMP)
	$(BIN)/python -m examples.quickstart

## The layout relies on links inside actorgraph/: prove a wheel and an sdist carry real files.
package-check: $(STAMP)
	$(BIN)/python tests/packaging/check_dist.py

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

## make bench: every workload on actorgraph (asyncio, trio, uvloop) and LangGraph, side by side;
## writes benchmarks/RESULTS.md. make bench-quick: the small sizes, asyncio and trio.
bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.bench_actors

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf $(VENV) build dist .coverage .coverage.* .mypy_cache .ruff_cache .hypothesis
