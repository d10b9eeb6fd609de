# mtpy: `make run` to try it, `make test` to test it. See README.md.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8080
HOST ?= 127.0.0.1
DEMO_CONFIG ?= demo/mt.cfg
# Debian packages the tests drive for real (web servers, browser).
TEST_SYSTEM_PACKAGES ?= lighttpd apache2 libapache2-mod-fcgid libapache2-mod-passenger nginx fcgiwrap chromium curl \
	postgresql faketime
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Python keeps the modules it compiles (__pycache__) for the tests and benchmarks,
# even where the shell says not to: otherwise every CGI process, test worker and
# benchmark run compiles mtpy again (pytest's collection took 5 s instead of 1).
unexport PYTHONDONTWRITEBYTECODE

# Other Pythons to run the smoke part of the suite on, when pyenv has them.
OTHER_PYTHONS ?= 3.9 3.10 3.12 3.13
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
SMOKE_TESTS ?= tests/test_store.py tests/test_form.py tests/test_ping_protocol.py tests/test_cms.py tests/test_web.py \
	tests/test_publish.py tests/test_check.py
# The oldest and newest run all of the smoke part; those between (where the
# language changed less) its ping path: the store, forms and the protocol.
FULL_SMOKE_PYTHONS ?= 3.9 3.13
QUICK_SMOKE_TESTS ?= tests/test_store.py tests/test_form.py tests/test_ping_protocol.py tests/test_web.py
# On the other Pythons: the scripts end to end under lighttpd (not mtpy serve),
# SQLite and flat files, within make test's 10 minutes.
SMOKE_SELECTION ?= not postgres and not mtpy-serve

# The tests that render dates, again with the clock of every process they start
# (CGI scripts included: tests/conftest.py) set by libfaketime to the 1st of a
# month, then to New Year's Eve: a test that assumes today's date fails on any
# day, not on nine days a month. "@" starts the clock there and lets it run;
# FAKETIME_DONT_RESET keeps one clock for all the processes.
FIRST_OF_MONTH ?= 2027-03-01 00:30:00
NEW_YEARS_EVE ?= 2026-12-31 23:30:00
FAKE_CLOCK_TESTS ?= tests/test_dates.py tests/test_mtml.py tests/test_default_templates.py tests/test_publish.py \
	tests/test_weblog_templates.py tests/test_importexport.py tests/test_ping_protocol.py::test_listing_popup
NEW_YEAR_TESTS ?= tests/test_dates.py tests/test_publish.py tests/test_ping_protocol.py::test_listing_popup
FAKE_CLOCK = FAKETIME_DONT_RESET=1 faketime -f

.PHONY: run test test-fast test-fake-clock test-clock-first-of-month test-clock-new-years-eve test-pythons test-system-packages venv clean bench screenshots stress dist \
	wordpress-check wordpress-system-packages

run: $(VENV)/.installed
	$(VENV)/bin/mtpy --config $(DEMO_CONFIG) demo --host $(HOST) --port $(PORT)
	$(VENV)/bin/mtpy --config $(DEMO_CONFIG) serve --host $(HOST) --port $(PORT)

# Tests run in this many worker processes (pytest-xdist; many wait on servers and
# processes, so more than the cores; 6 was slower than 4 here); 0 runs them in
# pytest's own. An idle worker takes tests from a busy one (worksteal): the long
# tests (Chromium walks, bursts of pings) no longer end the run alone (237 s -> 218 s).
PYTEST_WORKERS ?= 4
PARALLEL = -n $(PYTEST_WORKERS) $(if $(filter 0,$(PYTEST_WORKERS)),,--dist worksteal)

# After the main run, the fake-clock runs and the other Pythons' go side by side
# (each mostly waits on servers), each one's output shown when it ends.
test: $(VENV)/.installed-test test-system-packages
	$(VENV)/bin/python -m pytest $(PARALLEL) $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-fake-clock test-pythons

# What answers in seconds: no web server, no Chromium, no PostgreSQL (markers
# set by tests/conftest.py from what each test uses; docs/development.md).
# make test runs these too, and everything else.
test-fast: $(VENV)/.installed-test
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not server and not browser and not postgres" $(PARALLEL) $(PYTEST_ARGS)

# faketime names its semaphore and shared memory after a pid, and a run leaves
# some behind; a later faketime given that pid stops ("sem_open: File exists").
# Before each run, those of processes that are gone are removed.
define remove_faketime_leftovers
@for leftover in /dev/shm/sem.faketime_sem_* /dev/shm/faketime_shm_*; do \
  [ -O "$$leftover" ] || continue; kill -0 "$${leftover##*_}" 2>/dev/null || rm -f "$$leftover"; done
endef

# The two clocks run side by side, each in a faketime of its own, on SQLite and
# flat files (the dates a page shows do not depend on the backend, which the
# real clock's run covers).
FAKE_CLOCK_SELECTION ?= not postgres
test-fake-clock: $(VENV)/.installed-test test-system-packages
	$(remove_faketime_leftovers)
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-clock-first-of-month test-clock-new-years-eve

test-clock-first-of-month test-clock-new-years-eve: $(VENV)/.installed-test
	@echo "== The clock at $(if $(findstring first,$@),$(FIRST_OF_MONTH),$(NEW_YEARS_EVE))"
	$(FAKE_CLOCK) '@$(if $(findstring first,$@),$(FIRST_OF_MONTH),$(NEW_YEARS_EVE))' $(VENV)/bin/python -m pytest -q \
		-p no:cacheprovider $(PARALLEL) -m "$(FAKE_CLOCK_SELECTION)" $(if $(findstring first,$@),$(FAKE_CLOCK_TESTS),$(NEW_YEAR_TESTS))

# The scripts end to end (lighttpd, SQLite and flat stores) on each other Python
# present, all at once (setting up its venv, then its tests, which mostly wait on
# servers), each one's output shown when all have ended. One pip at a time: an
# editable install writes into the checkout. PostgreSQL (psycopg is not installed there) is tested on the
# main one.
OTHER_PYTHON_WORKERS ?= 2
test-pythons: test-system-packages
	@pids=""; versions=""; \
	for version in $(OTHER_PYTHONS); do \
	  python=$$(ls -d $(PYENV_ROOT)/versions/$$version.*/bin/python3 2>/dev/null | sort -V | tail -n 1); \
	  if [ -z "$$python" ]; then echo "Python $$version: not installed here, not tested"; continue; fi; \
	  venv=$(VENV)/other-pythons/$$version; mkdir -p $$venv; \
	  case " $(FULL_SMOKE_PYTHONS) " in *" $$version "*) tests="$(SMOKE_TESTS)";; *) tests="$(QUICK_SMOKE_TESTS)";; esac; \
	  ( { [ -x $$venv/bin/python ] || $$python -m venv $$venv; } && \
	    { [ -f $$venv/.installed ] && [ ! setup.cfg -nt $$venv/.installed ] || \
	      { flock $(VENV)/other-pythons/.pip-lock $$venv/bin/python -m pip install -q -e . pytest pytest-xdist \
	        && touch $$venv/.installed; }; } && \
	    $$venv/bin/python -m pytest -q -p no:cacheprovider -n $(OTHER_PYTHON_WORKERS) -k "$(SMOKE_SELECTION)" \
	      $$tests; echo $$? > $$venv/test.status ) > $$venv/test.log 2>&1 & \
	  pids="$$pids $$!"; versions="$$versions $$version"; \
	done; \
	wait $$pids; failed=0; \
	for version in $$versions; do \
	  venv=$(VENV)/other-pythons/$$version; \
	  echo "== Python $$version"; cat $$venv/test.log; \
	  [ "$$(cat $$venv/test.status)" = 0 ] || failed=1; \
	done; \
	exit $$failed

# bench/ping.py measures the code before issue 21 (BENCH_AGAINST) alongside, in the same run;
# BENCH_AGAINST= measures this tree alone.
BENCH_AGAINST ?= 1f07e27
bench: $(VENV)/.installed-test test-system-packages
	$(VENV)/bin/python bench/rebuild.py
	$(VENV)/bin/python bench/ping.py $(if $(BENCH_AGAINST),--against $(BENCH_AGAINST))
	$(VENV)/bin/python bench/fastcgi.py
	$(VENV)/bin/python bench/cms.py

# Nothing lost under load and SIGKILL, and the spam run, at full size (make test
# runs them smaller): bench/stress.py sends 10,000 pings per backend by default,
# e.g. make stress STRESS_ARGS="--pings 1000 --seed 42" for a shorter run.
STRESS_ARGS ?=
stress: $(VENV)/.installed-test test-system-packages
	$(VENV)/bin/python bench/spam_run.py
	$(VENV)/bin/python bench/stress.py $(STRESS_ARGS)
	$(VENV)/bin/python bench/mention_stress.py $(MENTION_STRESS_ARGS)

# mtpy and stock WordPress 6.1 (Debian's, with its own MariaDB, lighttpd and
# php-cgi on 127.0.0.1, all removed afterwards) telling each other of links by
# TrackBack and Pingback: bench/wordpress_check.py, PASS or FAIL per flow.
# Not part of make test (docs/development.md).
WORDPRESS_SYSTEM_PACKAGES ?= wordpress mariadb-server php-cgi php-mysql php-curl php-xml php-mbstring lighttpd
WORDPRESS_CHECK_ARGS ?=
wordpress-check: $(VENV)/.installed-test wordpress-system-packages
	$(VENV)/bin/python bench/wordpress_check.py $(WORDPRESS_CHECK_ARGS)

wordpress-system-packages:
	@$(MAKE) --no-print-directory test-system-packages TEST_SYSTEM_PACKAGES="$(WORDPRESS_SYSTEM_PACKAGES)"

# The README's pictures of mt.cgi, taken from the running application, and the
# new-owner walk's (tests/test_owner_walk.py), each screen at 1280 and 360 px.
screenshots: $(VENV)/.installed-test test-system-packages
	MTPY_SCREENSHOTS=$(CURDIR)/docs/screenshots $(VENV)/bin/python -m pytest -q -p no:xdist tests/test_owner_walk.py

# The release to upload to a shared host (README: Installing over FTP):
# dist/mtpy-VERSION.zip and .tar.gz, the same bytes from the same sources
# (tools/dist.py; extlib/ holds the wheels pinned in tools/extlib.txt, fetched once
# into build/extlib-wheels/).
dist: $(VENV)/.installed
	$(VENV)/bin/python tools/dist.py dist

venv: $(VENV)/.installed

# python3 -m venv needs Debian's python3-venv (ensurepip); install it when missing.
$(VENV)/bin/python:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python setup.cfg pyproject.toml
	$(VENV)/bin/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	touch $@

test-system-packages:
	@missing=""; for package in $(TEST_SYSTEM_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf $(VENV) demo .pytest_cache
