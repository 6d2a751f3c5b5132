# Mentoring Space — one task runner for people and CI.
#   make demo   install everything, then run the tool with its built-in demo LMS on SQLite
#   make test   install the dev dependencies (and Chromium for the browser tests), then run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export FLASK_APP := lti_tool

.PHONY: demo test install install-dev browser-deps lint typecheck migrate bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask db upgrade heads

demo: install migrate
	$(BIN)/flask sandbox seed
	@echo ""
	@echo "  Demo LMS:        http://localhost:$(PORT)/sandbox/"
	@echo "  Mentoring Space: http://127.0.0.1:$(PORT)/"
	@echo ""
	PUBLIC_URL=http://127.0.0.1:$(PORT) $(BIN)/flask run --host 127.0.0.1 --port $(PORT) --with-threads

browser-deps:
	@bash scripts/browser-deps.sh

test: install-dev browser-deps
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check lti_tool tests benchmarks

typecheck: install-dev
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python benchmarks/launch.py

lock: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
