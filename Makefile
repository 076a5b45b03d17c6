# Two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime  ## Migrate and serve on http://$(HOST):$(PORT) (embedded PostgreSQL unless DATABASE_URL is set)
	$(BIN)/todochat serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev  ## The whole suite against a real PostgreSQL (DATABASE_URL, else embedded)
	$(BIN)/pytest

lint: $(VENV)/.dev  ## ruff, mypy and the layering contracts
	$(BIN)/ruff check src tests bench eval
	$(BIN)/ruff format --check src tests bench eval
	$(BIN)/mypy
	$(BIN)/lint-imports

eval: $(VENV)/.runtime  ## The offline model's evaluation sets through the real chat endpoint (>= 95% each)
	$(BIN)/python eval/run.py --threshold 0.95
	$(BIN)/python eval/run.py --threshold 0.95 --cases eval/heldout.json
	$(BIN)/python eval/run.py --threshold 0.95 --cases eval/heldout_b4.json
	$(BIN)/python eval/run.py --threshold 0.95 --cases eval/heldout_b5.json
	$(BIN)/python eval/run.py --threshold 0.95 --cases eval/heldout_b6.json
	$(BIN)/python eval/run.py --threshold 0.95 --cases eval/heldout_b7.json
	$(BIN)/python eval/run.py --threshold 0.95 --cases eval/repeats.json

bench: $(VENV)/.dev  ## Benchmarks against a throwaway database (BENCH_ARGS=--full for the 10,000-turn memory run)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
