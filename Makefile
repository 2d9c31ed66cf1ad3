# The commands a person types. `make html` builds the site, `make test` runs every test.
# Both create .venv and install the pinned stack (constraints.txt) when it is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPHINX_OPTS ?= -n -W --keep-going

.PHONY: all html doctest test lint typecheck unit bench serve clean lock

all: html

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[docs,test]"
	touch $(STAMP)

html: $(STAMP)
	$(BIN)/python docs/_ext/sitebuild.py $(SPHINX_OPTS)

doctest: $(STAMP)
	$(BIN)/python docs/_ext/sitebuild.py --doctest-only $(SPHINX_OPTS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conf.py
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

# The site build (HTML + every doctest of pages and API) is part of the tests; the browser
# tests then visit the pages it wrote.
test: $(STAMP) lint html
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

serve: html
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html 8000

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf _build .jupyter_cache .pytest_cache .mypy_cache .ruff_cache test-artifacts bench-results
