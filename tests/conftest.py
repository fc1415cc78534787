"""Markers a CI engineer can select on, set from where a test lives and what it runs (pyproject.toml
lists them): ``lint`` (tests/rtl: Verilator lint, no simulation), ``icarus`` (a simulation under Icarus),
``smoke`` (a quick cross-section: the unit tests, one lint and one short simulation per simulator)."""

import pytest

#: Beyond tests/unit: the lint of the smallest block and one short simulation on each simulator.
SMOKE = ("tests/rtl/test_rtl.py::test_generated_verilog_lints_clean[tiny--pe]",
         "tests/cocotb/test_core.py::test_core[tiny-verilator-test_gemm_extremes]",
         "tests/cocotb/test_core.py::test_core[tiny-icarus-test_gemm_extremes]")


def pytest_collection_modifyitems(config, items):
    smoke_found = set()
    for item in items:
        path = item.nodeid.split("::")[0]
        if path.startswith("tests/rtl/") and "sim" not in item.keywords:
            item.add_marker(pytest.mark.lint)
        if "sim" in item.keywords and "icarus" in item.nodeid:
            item.add_marker(pytest.mark.icarus)
        if path.startswith("tests/unit/") or item.nodeid in SMOKE:
            item.add_marker(pytest.mark.smoke)
            smoke_found.add(item.nodeid)
    missing = [nodeid for nodeid in SMOKE if nodeid not in smoke_found
               and any(item.nodeid.startswith(nodeid.split("::")[0]) for item in items)]
    if missing:                   # a renamed test must not silently drop out of the smoke set
        raise pytest.UsageError(f"tests/conftest.py SMOKE names tests that do not exist: {missing}")
