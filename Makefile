# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test bench clean

$(BIN)/syncready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/syncready

install: $(BIN)/syncready

demo: install
	$(BIN)/syncready demo

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/bench_loudness.py
	$(BIN)/python bench/bench_check.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
