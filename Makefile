# Wishboard — `make run` serves the demo town, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast lint fmt translations messages clean bench screenshots html-checker audit

# pip is brought up to date first: the newer one installs the test extras in 10 s rather than the
# 16 s of the pip a venv comes with (measured, 1.5 s to upgrade it).
$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Wishboard needs Python 3.11 or newer"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
		{ echo "Could not create $(VENV): on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip

# pip compiles what it installs on one core: compileall then does it on all of them (2.3 s less
# on 2 cores), leaving out what neither the site nor the tests import: pip, setuptools, the
# packages' own tests, pygments' lexers (1.4 s less). A file left out, or one it cannot compile,
# is compiled when imported, as without it.
COMPILE := $(BIN)/python -m compileall -qq -j 0 \
	-x '/site-packages/(pip|setuptools|pkg_resources|pygments/lexers)/|/tests?/' $(VENV)/lib || true

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet --no-compile -e .
	$(COMPILE)
	touch $@

# The test extras include the app: one pip run installs both (and stands for `.installed`).
$(VENV)/.test-installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet --no-compile -e '.[test]'
	$(COMPILE)
	touch $(VENV)/.installed $@

translations: $(VENV)/.installed
	$(BIN)/pybabel --quiet compile -d translations

# A secret key made once for this checkout, so that sessions survive a restart of `make run`.
instance/secret_key:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@

# The last lines before the site's own say where to open it and where its e-mails are; the site
# logs each request itself (plain lines here, WISHBOARD_LOG_FORMAT=json to see the JSON).
run: $(VENV)/.installed translations instance/secret_key
	SECRET_KEY=$$(cat instance/secret_key) $(BIN)/wishboard db upgrade
	SECRET_KEY=$$(cat instance/secret_key) $(BIN)/wishboard demo
	@echo
	@if [ -n "$$MAIL_SERVER" ]; then \
		echo "Open http://$(HOST):$(PORT) — e-mails are sent through $$MAIL_SERVER"; \
	else \
		echo "Open http://$(HOST):$(PORT) — e-mails are printed below in this terminal"; \
	fi
	@echo "(Ctrl+C stops the site)"
	@echo
	@SECRET_KEY=$$(cat instance/secret_key) WISHBOARD_LOG_FORMAT=$${WISHBOARD_LOG_FORMAT:-text} \
		$(BIN)/gunicorn --workers 2 --log-level warning --bind $(HOST):$(PORT) wsgi:app

# One pytest process per core (pytest-xdist); TEST_WORKERS=0 runs everything in this process.
# Each test module goes whole to one worker (loadfile), in the order of collection, where modules
# with a `long` test come first: what a module sets up once (the layout guard's town and signed-in
# tabs, a page loaded at 360 px then measured again at 1280 px) is then done once, not once per
# worker. Handing out single tests took about 10 CPU seconds more (2 runs each on 2 cores:
# 292 and 288 CPU seconds, against 278 and 280).
# (xdist_group, which would keep chosen tests together, is not honoured with pytest 9.2 and
# pytest-xdist 3.8: xdist renames `item._nodeid`, which pytest 9.2 no longer reads.)
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: $(VENV)/.test-installed translations html-checker
	$(PYTEST) $(PYTEST_ARGS)

# The edit-run loop: everything but the tests that drive Chromium (and a short hypothesis run).
test-fast: $(VENV)/.test-installed translations html-checker
	$(PYTEST) -m "not browser" $(PYTEST_ARGS)

# The Nu Html Checker for tests/test_valid_html.py, from npm (tests/html/package.json), run with
# Java (apt-get install default-jre-headless). Without npm the test says what is missing and skips
# (CI, with WISHBOARD_REQUIRE_ALL=1, fails). --ignore-scripts: its install script would download
# a Java of its own; Debian's is used.
VNU_JAR := tests/html/node_modules/vnu-jar/build/dist/vnu.jar
html-checker: $(VNU_JAR)
$(VNU_JAR): tests/html/package.json tests/html/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/html --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm is missing: the HTML check will be skipped (apt-get install npm)"; \
	fi

# Lighthouse's four scores (performance, accessibility, best practices, SEO) for the main pages
# of the demo town served by gunicorn; for a person before a release, not part of `make test`.
# Needs npm and Debian's Chromium; see "Checks" in README.md.
LIGHTHOUSE := scripts/audit/node_modules/.bin/lighthouse
audit: $(VENV)/.installed translations $(LIGHTHOUSE)
	$(BIN)/python -m scripts.audit $(AUDIT_ARGS)
$(LIGHTHOUSE): scripts/audit/package.json scripts/audit/package-lock.json
	@command -v npm >/dev/null || { echo "make audit needs npm: apt-get install npm"; exit 1; }
	npm ci --prefix scripts/audit --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# City-scale data served by gunicorn, measured by wrk and Chromium; see "Benchmark" in README.md.
bench: $(VENV)/.test-installed translations
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Every page of every role at 360 × 740 and 1280 × 800, in French, as PNG files in
# $(SCREENSHOTS); see "Screenshots" in README.md.
SCREENSHOTS ?= screenshots
screenshots: $(VENV)/.test-installed translations
	$(BIN)/python -m scripts.screenshots --output $(SCREENSHOTS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance/*.sqlite3* tests/html/node_modules scripts/audit/node_modules

# Extract the texts of the code and templates, and update both catalogues.
messages: $(VENV)/.installed
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot \
		--no-location --sort-output wishboard templates
	$(BIN)/python scripts/update_catalogues.py
