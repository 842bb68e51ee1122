# Two commands matter: `make run` and `make test`. Both build their own virtual environment.
PYTHON ?= python3
# Two workers: the suite (SQLite, PostgreSQL, Chromium) runs in about half the time on 2 cores.
PYTEST_ARGS ?= -n 2
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := wsgi.py

.PHONY: run test lint typecheck pytest chromium translations clean bench lock audit

# The exact versions CI tested (requirements.lock), then the project itself without resolving.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## Re-resolve requirements.lock after changing the dependencies in pyproject.toml.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock pyproject.toml

## Known vulnerabilities in the locked versions (pip-audit needs the internet: OSV or PyPI).
audit: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit --requirement requirements.lock --strict --desc

## Serve the app on http://127.0.0.1:5000 with SQLite and the demo data.
run: $(STAMP)
	$(BIN)/pybabel compile -d ticketing/translations -f --statistics >/dev/null 2>&1 || true
	$(BIN)/flask db upgrade
	$(BIN)/flask regions load
	$(BIN)/flask categories defaults
	$(BIN)/flask demo seed --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## ruff, mypy and the whole pytest suite.
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pybabel compile -d ticketing/translations -f >/dev/null
	$(BIN)/pytest $(PYTEST_ARGS)

## Debian's Chromium for the browser tests, Graphviz for the help page's diagram (CI calls this before `make test`).
chromium:
	@(command -v chromium && command -v dot) >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium graphviz >/dev/null)

## Extract, update and compile the Indonesian and English catalogues.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_plural:1,2 -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d ticketing/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d ticketing/translations -f

## The national-scale benchmark (needs wrk for the load test; see docs/performance.md).
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
