# Two commands for a fresh machine (Debian-like, Python 3.11, root):
#   make run    install everything, build, run the main job
#   make test   install everything, build, run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.deps-installed

.PHONY: run test build deps system-deps demo clean

run: build
	$(VENV)/bin/layersplit demo

test: build
	$(PY) -m pytest -q

build: deps
	$(PIP) install --no-build-isolation -q -e '.[test]' -Cbuild-dir=build/{wheel_tag}

deps: $(STAMP)

# Debian packages: libzmq for the ZeroMQ baseline of benchmarks/bridge_rtt.py.
system-deps:
	@if [ ! -f /usr/include/zmq.h ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libzmq3-dev cmake g++ >/dev/null; fi

$(STAMP): pyproject.toml Makefile | system-deps
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# ns-3 without cppyy (its Python bindings compile for minutes and are not used here)
	$(PIP) install -q --no-deps ns3==3.44.post0
	# build requirements of pyproject.toml, installed here because the build runs without isolation
	$(PIP) install -q "scikit-build-core>=0.10" "pybind11>=2.12"
	touch $(STAMP)

clean:
	rm -rf build $(VENV)
