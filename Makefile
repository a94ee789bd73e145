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

# $(call apt_install,package,why it is needed,what else to do): install a Debian package as
# root or through passwordless sudo (updating the package lists only if the first try fails),
# or say what was missing and stop.
apt_install = if ! command -v apt-get >/dev/null 2>&1; then echo "$(2)" >&2; exit 1; fi; \
	SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO="sudo -n"; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1) >/dev/null 2>&1 || \
	{ $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1) >/dev/null; } || \
	{ echo "could not install Debian's '$(1)' package (needs root or passwordless sudo)$(3)" >&2; exit 1; }

# Debian's zookeeper package (3.8) runs the real servers the tests compare against.
ZK_NEEDED := make test needs a real ZooKeeper: install Debian's 'zookeeper' package or set ZOOKEEPER_HOME to an unpacked Apache ZooKeeper 3.8 release
ZK_ELSE := : install it, or set ZOOKEEPER_HOME
zookeeper:
	@if [ -n "$$ZOOKEEPER_HOME" ] || { [ -e /usr/share/java/zookeeper.jar ] && [ -e /usr/share/zookeeper/bin/zkCli.sh ]; }; then exit 0; fi; \
	$(call apt_install,zookeeper,$(ZK_NEEDED),$(ZK_ELSE))

# Debian's chromium runs the browser test (Playwright drives it; no browser download).
CHROMIUM_NEEDED := make test needs Debian's 'chromium' package at /usr/bin/chromium for the browser test
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	$(call apt_install,chromium,$(CHROMIUM_NEEDED))

# lint and type check first (a few seconds; both configured in pyproject.toml), then the tests
test: $(STAMP) zookeeper chromium
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest $(PYTEST_ARGS)

lab: $(STAMP)
	$(PY) -m zkexplore.cli lab

bench: $(STAMP) zookeeper
	$(PY) benchmarks/ensembles.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
