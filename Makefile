# The commands a person types. `make html` builds the site, `make test` runs every test.
# Both create .venv and install the pinned stack (constraints.txt) when it is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPHINX_OPTS ?= -n -W --keep-going
# The site's build machinery (a local Sphinx extension and the build driver) lives beside
# the pages, outside the package.
SITEBUILD := PYTHONPATH=docs/_ext$${PYTHONPATH:+:$$PYTHONPATH} $(BIN)/python -m sitebuild
# MathJax and its font and Pyodide (served by the site) and axe-core (for the accessibility tests), as
# pinned in tests/browser/package-lock.json; npm writes this file once it has installed them.
NPM_STAMP := tests/browser/node_modules/.installed

.PHONY: all html doctest test lint typecheck unit bench serve clean lock

all: html

# pip at -qq prints errors only (its warnings, e.g. about the machine's own pip settings,
# are no news to the person building); a failed install still stops here.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing the pinned packages of constraints.txt into $(VENV) ..."
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -c constraints.txt -e ".[docs,test]"
	@touch $(STAMP)

# Installed when missing (or when the lock changes): the pages typeset their math with
# MathJax, so the site is not built without it.
$(NPM_STAMP): tests/browser/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: the site's MathJax is" \
	  "installed with npm (apt-get install npm)"; exit 1; }
	@echo "installing MathJax, Pyodide and axe-core (tests/browser/package-lock.json) ..."
	@npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

html: $(STAMP) $(NPM_STAMP)
	@$(SITEBUILD) $(SPHINX_OPTS)

doctest: $(STAMP)
	@$(SITEBUILD) --doctest-only $(SPHINX_OPTS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conf.py docs/_ext
	$(BIN)/mypy
	MYPYPATH=docs/_ext $(BIN)/mypy -p sitebuild

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
