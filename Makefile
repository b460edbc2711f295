# parkscope: two commands set everything up on a fresh machine with Python 3.11.
#   make demo   creates .venv, installs parkscope, runs `parkscope demo` (the Humboldt-Universität campus in
#               Berlin-Adlershof, from the bundled extract) -> out/demo/
#   make test   creates .venv, installs parkscope with its test dependencies (and Debian's chromium,
#               chromium-driver and fonts-noto-cjk for the browser test), runs the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

demo: install
	$(BIN)/parkscope demo -o out/demo

test: install-test
	bash scripts/install-browser.sh
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check src tests bench scripts

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/accessibility.py

clean:
	rm -rf $(VENV) out build src/*.egg-info
