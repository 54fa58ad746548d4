# eventsite: `make run` sets up and serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
PYTEST_ARGS ?=
PORT ?= 5000
BENCH_ARGS ?=
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
BABEL_EXTRACT := $(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --project=eventsite --version=0.1.0 --copyright-holder=eventsite --msgid-bugs-address=-


.PHONY: install install-prod run test test-postgres test-pgbouncer e2e icons lint mutation translations translations-check bench bench-judges bench-province bench-scale bench-sms clean

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

test-postgres: install  ## the suite on a fresh PostgreSQL database at 127.0.0.1:5432 (and Redis at REDIS_URL)
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest -m "not e2e and not pgbouncer and not servers" -n 2 $(PYTEST_ARGS)

# Apart from the suite: their servers' connections beside the suite's 70-connection rushes would
# take PostgreSQL past its 100.
test-pgbouncer: install  ## the app through PgBouncer, and two app servers on one database and Redis
	DATABASE_URL=$(POSTGRES_URL) PGBOUNCER_REQUIRED=1 $(BIN)/pytest -m "pgbouncer or servers" $(PYTEST_ARGS)

# The browser tests' own tools from the npm registry (axe-core for the accessibility checks):
# never served, never needed to run the app.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

e2e: install $(NODE_STAMP)  ## end-to-end tests in headless Chromium (/usr/bin/chromium), with axe-core
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

icons: install $(NODE_STAMP)  ## rebuild static/icons.svg from lucide-static: the icons the templates use
	$(BIN)/python -m eventsite.core.icon_sprite

lint: install  ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Mutation testing of the rules modules: mutmut (configured in pyproject.toml) mutates one module
# at a time and runs only the rules' own fast tests against each mutant; then every mutant not
# killed and a score per module (killed / mutants tested; a timeout counts as killed). Each run
# starts afresh: mutmut would keep a survivor's old verdict and run a changed test only against
# what it covered before. MUTATION_JOBS: mutants tested in parallel; MUTATION_MODULES: a subset.
# `.venv/bin/mutmut show NAME` shows what a mutant changed.
MUTATION_MODULES ?= eventsite.events.rules eventsite.mixers.rules eventsite.competitions.rules eventsite.sportsmeet.rules eventsite.sportsmeet.entry_rules eventsite.sms.rules eventsite.membership.rules eventsite.questions.rules eventsite.statistics.rules eventsite.outbox.rules eventsite.health.rules eventsite.backups.rules eventsite.feedback.rules eventsite.printing.rules eventsite.organizations.rules eventsite.posters.rules eventsite.sharing.rules eventsite.core.typesetting
MUTATION_JOBS ?= 1

mutation: install  ## mutate the rules modules, run their fast tests; score per module (slow)
	rm -rf mutants
	@for module in $(MUTATION_MODULES); do \
	  $(BIN)/mutmut run --max-children $(MUTATION_JOBS) "$$module.*" || exit 1; \
	done
	@echo; echo "Mutants not killed:"; $(BIN)/mutmut results | grep -v ': not checked$$' || true
	@echo; printf '%-34s %7s %9s %9s %6s %6s %7s\n' module killed survived "no tests" other tested score
	@$(BIN)/mutmut results --all true | awk -F': ' '\
	  { name = $$1; sub(/^ +/, "", name); sub(/\.[^.]*$$/, "", name); status = $$2; \
	    if (status == "not checked") next; tested[name]++; \
	    if (status == "killed" || status == "timeout" || status == "caught by type check") killed[name]++; \
	    else if (status == "survived") survived[name]++; \
	    else if (status == "no tests") untested[name]++; \
	    else other[name]++ } \
	  END { for (m in tested) printf "%-34s %7d %9d %9d %6d %6d %6.1f%%\n", m, killed[m], \
	        survived[m], untested[m], other[m], tested[m], 100 * killed[m] / tested[m] }' | sort

translations: install  ## extract messages, update the zh_Hans_CN and en catalogs, compile them
	$(BABEL_EXTRACT) -o eventsite/translations/messages.pot .
	$(BIN)/pybabel -q update -i eventsite/translations/messages.pot -d eventsite/translations --no-fuzzy-matching
	$(BIN)/pybabel compile --statistics -d eventsite/translations

translations-check: install  ## fail if the catalogs lack a message the code uses
	$(BABEL_EXTRACT) -o $(VENV)/messages-check.pot .
	$(BIN)/pybabel -q update --check -i $(VENV)/messages-check.pot -d eventsite/translations --no-fuzzy-matching

bench: install  ## benchmarks against PostgreSQL under gunicorn; see docs/performance.md
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-judges: install  ## judges' and referees' saves: CPU per save in-process; 40 judges autosaving on 2 workers
	$(BIN)/python bench/judges.py $(BENCH_ARGS)

bench-province: install  ## a province (5,000 organizations, 400,000 registrations): statistics pages; docs/performance.md
	$(BIN)/python bench/province.py $(BENCH_ARGS)

bench-scale: install  ## the same mixed load on 1, 2 and 4 gunicorn processes, scheduler and Redis beside; docs/performance.md
	$(BIN)/python bench/scale.py $(BENCH_ARGS)

bench-sms: install  ## drain 5,000 queued texts through the Tencent SDK, two senders; docs/performance.md
	$(BIN)/python bench/sms_drain.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants
