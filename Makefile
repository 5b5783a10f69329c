# tastebud: `make demo` and `make test` are all a new user needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch is installed first, so nothing pulls a multi-GB CUDA build.
# Another build: make TORCH_SPEC='torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128'
TORCH_SPEC ?= torch==2.13.0
MUSICNN_SPEC ?= musicnn==0.1.0
STAMP := $(VENV)/.installed
CONFIG ?= config.toml

.PHONY: venv demo test test-slow chromium web run once dashboard doctor lint format bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(TORCH_SPEC)
	$(BIN)/python -m pip install -q -e '.[dev]'
	# musicnn ships the pretrained weights; its TensorFlow 1 requirements are not wanted.
	$(BIN)/python -m pip install -q --no-deps $(MUSICNN_SPEC)
	touch $@

demo: $(STAMP)
	$(BIN)/python -m daemon.demo

# make test: the fast tier on 3 pytest-xdist workers (TEST_WORKERS=0 runs it in this
# process): many of its tests wait on sockets and child processes, so a third worker helps
# even on 2 cores (there: 130 s with 2 workers, 110 s with 3, 114 s with 4).
# make test-slow: the tests marked slow, one at a time.
TEST_WORKERS ?= 3
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --maxprocesses=4

test-slow: $(STAMP) chromium
	$(BIN)/python -m pytest -q -m slow

# The web page's browser tests drive Debian's chromium with Playwright's Python package (no
# browser download): installed here when missing (as root, or with passwordless sudo); where
# it cannot be had, those tests are skipped and say so.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
	  echo "make: installing Debian's chromium for the browser tests"; \
	  inst="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium"; \
	  $$inst >/dev/null 2>&1 || { $$sudo apt-get update -qq >/dev/null 2>&1 && $$inst >/dev/null; } \
	  || echo "make: could not install chromium (apt-get install chromium): the browser tests will be skipped"; }

# As root: boots Debian (systemd 252) in a container, installs from this tree as README says and
# checks the units for real (tests/systemd/run.sh). Not part of `make test`.
.PHONY: test-systemd
test-systemd:
	tests/systemd/run.sh

run: $(STAMP)
	$(BIN)/tastebud --config $(CONFIG) run

once: $(STAMP)
	$(BIN)/tastebud --config $(CONFIG) once

dashboard: $(STAMP)
	$(BIN)/tastebud --config $(CONFIG) dashboard

web: $(STAMP)
	$(BIN)/tastebud --config $(CONFIG) web

doctor: $(STAMP)
	$(BIN)/tastebud --config $(CONFIG) doctor

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
