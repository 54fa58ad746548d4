# eventsite: `make run` sets up and serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
PORT ?= 5000
BENCH_ARGS ?=
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
BABEL_EXTRACT := $(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --project=eventsite --version=0.1.0 --copyright-holder=eventsite --msgid-bugs-address=-


.PHONY: install install-prod run test test-postgres e2e lint mutation translations translations-check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the app with its test tools; compile the catalogs
	$(BIN)/pybabel -q compile -d eventsite/translations

install-prod:  ## production: .venv with the app only (no test tools), compiled catalogs
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .  # templates/ and static/ are served from this checkout
	$(BIN)/pybabel -q compile -d eventsite/translations

run: install  ## migrate, load the demo data, serve on http://127.0.0.1:$(PORT) (default 5000)
	$(FLASK) db upgrade
	$(FLASK) demo load
	SCHEDULER_IN_PROCESS=1 $(FLASK) run --debug --host 127.0.0.1 --port $(PORT)

test: install  ## the whole suite but the browser tests, on SQLite (or DATABASE_URL)
	$(BIN)/pytest -m "not e2e" -n 2 $(PYTEST_ARGS)

test-postgres: install  ## the suite on a fresh PostgreSQL database at 127.0.0.1:5432
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest -m "not e2e" -n 2 $(PYTEST_ARGS)

e2e: install  ## end-to-end tests in headless Chromium (/usr/bin/chromium)
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

lint: install  ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Mutation testing of the rules modules: mutmut (configured in pyproject.toml) mutates one module
# at a time and runs only the rules' own fast tests against each mutant; then a score per module
# (killed / all mutants) and every mutant that was not killed. Results are kept in mutants/, so a
# second run only tests what changed. MUTATION_JOBS: mutants tested in parallel.
MUTATION_MODULES ?= eventsite.events.rules eventsite.mixers.rules eventsite.competitions.rules eventsite.sportsmeet.rules eventsite.sportsmeet.entry_rules
MUTATION_JOBS ?= 1

mutation: install  ## mutate the rules modules, run their fast tests; score per module (slow)
	@for module in $(MUTATION_MODULES); do \
	  $(BIN)/mutmut run --max-children $(MUTATION_JOBS) "$$module.*" || exit 1; \
	done
	@echo; echo "Mutants not killed:"; $(BIN)/mutmut results
	@echo; $(BIN)/mutmut results --all true | awk -F': ' '\
	  { name = $$1; sub(/^ +/, "", name); sub(/\.[^.]*$$/, "", name); total[name]++; \
	    if ($$2 == "killed" || $$2 == "timeout") killed[name]++; else if ($$2 == "not checked") open_[name]++ } \
	  END { for (m in total) printf "%-34s %4d / %4d killed  %5.1f %%%s\n", m, killed[m], total[m], \
	        100 * killed[m] / total[m], open_[m] ? sprintf("  (%d not run yet)", open_[m]) : "" }' | sort

translations: install  ## extract messages, update the zh_Hans_CN and en catalogs, compile them
	$(BABEL_EXTRACT) -o eventsite/translations/messages.pot .
	$(BIN)/pybabel -q update -i eventsite/translations/messages.pot -d eventsite/translations --no-fuzzy-matching
	$(BIN)/pybabel compile --statistics -d eventsite/translations

translations-check: install  ## fail if the catalogs lack a message the code uses
	$(BABEL_EXTRACT) -o $(VENV)/messages-check.pot .
	$(BIN)/pybabel -q update --check -i $(VENV)/messages-check.pot -d eventsite/translations --no-fuzzy-matching

bench: install  ## benchmarks against PostgreSQL under gunicorn; see docs/performance.md
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants
