"""accel build with the real tools on small designs: outputs, sign-off, caching, failures.

A single PE (~2.2k cells) builds in about two minutes; the 2x2 tiny array is marked slow.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accel.config import load_config
from accel.flow.build import run_flow
from accel.flow.steps import STEP_NAMES

pytestmark = pytest.mark.flow

CLI = [sys.executable, "-m", "accel.cli"]


def check_build(root: Path, top: str, metrics: dict) -> None:
    import klayout.db as kdb

    gds = root / "gds" / f"{top}.gds"
    layout = kdb.Layout()
    layout.read(str(gds))
    assert layout.top_cell().name == top
    assert layout.top_cell().dbbox().area() > 0
    png = root / "render" / f"{top}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (root / "report.html").read_text()
    assert "data:image/png;base64," in report and top in report and "sign-off clean" in report
    assert "Layout operations" in report and "<code>min_area_pads</code>" in report
    assert "<code>notch_fills</code>" not in report              # a sky130hd operation: not listed on osu018
    on_disk = json.loads((root / "metrics.json").read_text())
    assert on_disk == metrics
    assert metrics["magic__drc_errors"] == 0
    assert metrics["lvs__mismatches"] == 0 and metrics["lvs__match"] is True
    assert metrics["route__net__unrouted"] == 0
    assert metrics["route__check__opens"] == 0 and metrics["route__check__crowded_vias"] == 0
    assert {"repair__pin_vias__count", "repair__via_moves__count", "repair__min_area_pads__count"} <= set(metrics)
    assert metrics["timing__setup__ws"] > 0 and metrics["timing__hold__ws"] >= 0
    assert metrics["synth__design__instance__count"] > 100
    assert 0 < metrics["design__instance__area"] < metrics["design__die__area"]
    assert 0.1 < metrics["design__instance__utilization"] < 1
    assert metrics["route__wirelength"] > 0 and metrics["power__total"] > 0
    # fmax from register-to-register paths, the propagated (routed) clock, both worst paths in the report
    assert metrics["timing__fmax__source"] == "reg2reg"
    assert metrics["timing__fmax"] == pytest.approx(
        1000 / (metrics["clock__period"] - metrics["timing__setup__ws__reg2reg"]), rel=1e-3)
    assert metrics["timing__setup__ws"] == min(metrics[f"timing__setup__ws__{g}"] for g in ("reg2reg", "in2reg", "reg2out"))
    assert metrics["timing__clock__skew"] >= 0 and metrics["parasitics__unresolved_endpoints"] == 0
    assert "clock network delay (propagated)" in (root / "sta_post" / "setup_path.txt").read_text()
    assert "Worst hold path" in report and "Path Type: min" in report
    for step in STEP_NAMES:
        assert metrics[f"flow__step__{step}__runtime"] >= 0
    assert metrics["flow__tool__yosys__version"] not in ("", "unknown")


@pytest.fixture(scope="module")
def pe_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("flow") / "pe"
    config = load_config("tiny", ["flow.top=pe"])
    return config, root, run_flow(config, root)


def test_pe_builds_clean(pe_build):
    config, root, result = pe_build
    assert not result.failed_checks
    check_build(root, "accel_pe", result.metrics)


def test_unchanged_rebuild_runs_no_tool(pe_build):
    config, root, _ = pe_build
    result = run_flow(config, root)
    assert all(record["cached"] for record in result.steps)


def test_clock_change_reruns_only_timing(pe_build):
    config, root, _ = pe_build
    faster = load_config("tiny", ["flow.top=pe", "clock.period_ns=6"])
    result = run_flow(faster, root)
    rerun = [r["step"] for r in result.steps if not r["cached"]]
    assert rerun == ["sta", "sta_post"]
    assert result.metrics["clock__period"] == 6
    run_flow(config, root)  # back to the fixture's clock for the other tests


def test_an_operation_switched_off_reruns_from_its_step(pe_build, tmp_path):
    """flow.repairs.min_area_pads off: placement and routing are reused, gds reruns without it."""
    config, root, _ = pe_build
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    off = load_config("tiny", ["flow.top=pe", "flow.repairs.min_area_pads=false"])
    result = run_flow(off, copy)
    rerun = [r["step"] for r in result.steps if not r["cached"]]
    assert rerun[0] == "gds" and "route" not in rerun and "place" not in rerun
    assert "repair__min_area_pads__count" not in result.metrics
    assert "off (flow.repairs.min_area_pads)" in (copy / "report.html").read_text()


def test_broken_layout_fails_signoff(pe_build, tmp_path):
    """Delete the routing of one net in the routed DEF: LVS must catch the open."""
    config, root, _ = pe_build
    broken = tmp_path / "broken"
    shutil.copytree(root, broken)
    def_file = broken / "route" / "layout" / "accel_pe.def"
    text = def_file.read_text()
    nets = text[text.index("\nNETS"):]
    victim = re.search(r"\n- (\S+)\s+\([^;]*?\+ ROUTED[^;]*;", nets)
    assert victim, "no routed net found"
    opened = victim.group(0)[:victim.group(0).index("+ ROUTED")] + ";"
    def_file.write_text(text.replace(victim.group(0), opened, 1))
    result = run_flow(config, broken, start="gds")
    assert any(check.startswith("lvs:") for check in result.failed_checks), result.metrics
    assert result.metrics["lvs__match"] is False
    assert result.metrics["route__check__opens"] >= 1        # the gds step's DEF check saw it too
    allowed = run_flow(config, broken, start="gds", allow=("lvs",))
    assert not allowed.failed_checks and any(c.startswith("lvs:") for c in allowed.allowed_checks)


def run_cli(*args, env=None, cwd=None):
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, cwd=cwd)
    return proc.returncode, proc.stdout + proc.stderr


def test_failing_tool_gives_one_line(pe_build, tmp_path):
    config, root, _ = pe_build
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "sta").write_text("#!/bin/sh\necho 'Error: license server exploded'\nexit 3\n")
    (fake / "sta").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    code, out = run_cli("build", "tiny", "--set", "flow.top=pe", "-o", str(root), "--only", "sta", "--force",
                        env=env)
    assert code == 1
    lines = [line for line in out.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in out
    assert "step sta failed" in lines[0] and "license server exploded" in lines[0] and "sta.log" in lines[0]
    assert (root / "sta.failed" / "sta.log").exists()
    assert (root / "sta" / "step.json").exists()  # the good result of the earlier run is untouched


def test_missing_tool_names_the_package(tmp_path):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    code, out = run_cli("build", "tiny", "-o", str(tmp_path / "b"), env=env)
    assert code == 1 and "not found: apt-get install" in out and "Traceback" not in out
    assert not (tmp_path / "b" / "synth").exists()


def test_bad_config_refused_before_any_tool(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("flow:\n  utilisation: 0.5\n")
    code, out = run_cli("build", str(bad), "-o", str(tmp_path / "b"))
    assert code == 2 and "flow.utilisation: unknown key (did you mean 'utilization'?)" in out
    assert not (tmp_path / "b").exists()


def test_bad_step_name_is_a_usage_error(tmp_path):
    code, out = run_cli("build", "tiny", "--from", "plac", "-o", str(tmp_path / "b"))
    assert code == 2 and "unknown step 'plac'" in out


@pytest.mark.slow
def test_tiny_array_builds_clean(tmp_path):
    config = load_config("tiny")
    result = run_flow(config, tmp_path / "tiny")
    assert not result.failed_checks, result.failed_checks
    check_build(tmp_path / "tiny", "accel_array", result.metrics)
