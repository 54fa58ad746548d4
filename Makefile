# eventsite: `make run` sets up and serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test test-postgres e2e lint translations translations-check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pybabel compile --use-fuzzy -d eventsite/translations >/dev/null
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the app with its test tools
	$(BIN)/pybabel compile -d eventsite/translations >/dev/null

run: install  ## migrate, load the demo data, serve on http://127.0.0.1:5000
	$(FLASK) db upgrade
	$(FLASK) demo load
	SCHEDULER_IN_PROCESS=1 $(FLASK) run --debug --host 127.0.0.1 --port 5000

test: install  ## the whole suite but the browser tests, on SQLite (or DATABASE_URL)
	$(BIN)/pytest -m "not e2e" -n 2 $(PYTEST_ARGS)

test-postgres: install  ## the suite on a fresh PostgreSQL database at 127.0.0.1:5432
	TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres $(BIN)/pytest -m "not e2e" -n 2 $(PYTEST_ARGS)

e2e: install  ## end-to-end tests in headless Chromium (/usr/bin/chromium)
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check eventsite tests bench wsgi.py

translations: install  ## extract messages and update the catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o eventsite/translations/messages.pot .
	$(BIN)/pybabel update -i eventsite/translations/messages.pot -d eventsite/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d eventsite/translations

bench: install  ## benchmarks against PostgreSQL under gunicorn; see docs/performance.md
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
