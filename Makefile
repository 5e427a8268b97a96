# Two commands set up a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo web test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml examples/plugin-hello/pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet ./examples/plugin-hello
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/tour.py
	@echo "--- roc run examples/session.idoc (the ext_session guide's script, in DPML)"
	$(BIN)/roc run examples/session.idoc

web: $(STAMP)
	$(BIN)/roc serve --config examples/web/roc.toml $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check kernel schemes dpml tests bench examples
	$(BIN)/ruff format --check kernel schemes dpml tests bench examples
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
