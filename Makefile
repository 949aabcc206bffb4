# The README's two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test setup setup-dev vendor locales messages db seed lint format bench audit clean

run: setup db
	$(BIN)/kursk-tracker serve --host $(HOST) --port $(PORT)

test: setup-dev
	$(BIN)/ruff check app tests migrations bench audit
	$(BIN)/ruff format --check app tests migrations bench audit
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

# A stamp per install kind: re-run pip only when pyproject.toml changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.installed-run

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Third-party browser files come from the npm registry, never from git. The map's country
# borders are built from Natural Earth (the world-atlas package) by scripts/geography.mjs.
static/vendor/.stamp: node_modules/.package-lock.json scripts/geography.mjs
	mkdir -p static/vendor/leaflet static/vendor/leaflet.markercluster static/vendor/swagger-ui static/vendor/geography
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp -R node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images static/vendor/leaflet/
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js node_modules/leaflet.markercluster/dist/MarkerCluster.css static/vendor/leaflet.markercluster/
	node scripts/geography.mjs static/vendor/geography/borders.geojson
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css static/vendor/swagger-ui/
	touch $@

vendor: static/vendor/.stamp

# The translations: .po catalogs live in the repository, their compiled .mo files do not.
PO_FILES := $(wildcard app/locales/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
app/locales/%/LC_MESSAGES/messages.mo: app/locales/%/LC_MESSAGES/messages.po | $(VENV)/.installed-run
	$(BIN)/pybabel compile --domain messages --input-file $< --output-file $@ --locale $*
locales: $(MO_FILES)

# After adding or changing messages in code or templates: refresh the template catalog and
# every language's catalog from it (new messages arrive untranslated; docs/TRANSLATING.md).
# Babel skips folders whose names start with "_" unless told which to skip: templates/_partials
# holds messages too.
messages: setup-dev
	$(BIN)/pybabel extract --mapping-file babel.cfg --no-location --sort-by-file --omit-header \
		--ignore-dirs '.* __pycache__ node_modules' \
		--keywords N_ --output-file app/locales/messages.pot .
	$(BIN)/pybabel update --domain messages --input-file app/locales/messages.pot \
		--output-dir app/locales --ignore-obsolete --no-fuzzy-matching

setup: $(VENV)/.installed-run vendor locales
setup-dev: $(VENV)/.installed-dev vendor locales

# Migrate, then load the demo data only into an empty database.
db: setup
	$(BIN)/kursk-tracker db upgrade
	$(BIN)/kursk-tracker seed --if-empty

lint: setup-dev
	$(BIN)/ruff check app tests migrations bench audit

format: setup-dev
	$(BIN)/ruff format app tests migrations bench audit
	$(BIN)/ruff check --fix app tests migrations bench audit

bench: setup-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Outside auditors (axe-core, Lighthouse, the Nu HTML checker, which needs Java:
# Debian's default-jre-headless); writes docs/AUDIT.md. Not part of `make test`.
AUDIT_ARGS ?=
audit: setup-dev
	cd audit && npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python audit/run.py $(AUDIT_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor var .pytest_cache
