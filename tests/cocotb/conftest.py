"""Shared by the cocotb benches' pytest wrappers: one compiled model per block and config per session."""

import pytest

from accel.config import load_config
from accel.sim import runner


@pytest.fixture(scope="session")
def sim_build():
    """``sim_build(config_name, overrides, top, simulator)``: the compiled model, generated once per session
    (``runner.build`` also reuses compiled models across sessions)."""
    cache = {}

    def get(config_name, overrides=(), top="core", simulator="verilator"):
        key = (config_name, tuple(overrides), top, simulator)
        if key not in cache:
            cache[key] = runner.build(load_config(config_name, list(overrides)), top, simulator)
        return cache[key]

    return get
