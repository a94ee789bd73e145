# zkexplore: `make test` and `make lab` work on a fresh machine.
# They create .venv, install the package, and (for the tests) the Debian packages
# the tests need: `zookeeper` (a real server to compare against) and, later,
# `chromium` (the browser test).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.zkexplore-installed
PYTEST_ARGS ?=

.PHONY: test lab venv zookeeper chromium clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# Debian's zookeeper package (3.8) runs the real servers the tests compare against.
zookeeper:
	@if [ -n "$$ZOOKEEPER_HOME" ] || { [ -e /usr/share/java/zookeeper.jar ] && [ -e /usr/share/zookeeper/bin/zkCli.sh ]; }; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make test needs a real ZooKeeper: install Debian's 'zookeeper' package or set ZOOKEEPER_HOME to an unpacked Apache ZooKeeper 3.8 release" >&2; exit 1; fi; \
	SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO="sudo -n"; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q zookeeper >/dev/null 2>&1 || \
	{ $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q zookeeper >/dev/null; } || \
	{ echo "could not install Debian's 'zookeeper' package (needs root or passwordless sudo): install it, or set ZOOKEEPER_HOME" >&2; exit 1; }

# Debian's chromium runs the browser test (Playwright drives it; no browser download).
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make test needs Debian's 'chromium' package at /usr/bin/chromium for the browser test" >&2; exit 1; fi; \
	SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO="sudo -n"; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	{ $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || \
	{ echo "could not install Debian's 'chromium' package (needs root or passwordless sudo)" >&2; exit 1; }

test: $(STAMP) zookeeper chromium
	$(PY) -m pytest $(PYTEST_ARGS)

lab: $(STAMP)
	$(PY) -m zkexplore.cli lab

bench: $(STAMP) zookeeper
	$(PY) benchmarks/ensembles.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
