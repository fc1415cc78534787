"""Pure-Python parts of the physical flow: parsers, SPEF repair, step selection, sign-off rules."""

import json
import shutil
import subprocess

import pytest

from accel.config import load_config
from accel.flow.build import select_steps, signoff
from accel.flow.engine.step import render_template
from accel.flow.steps import STEP_NAMES
from accel.flow.checks.netgen import count_mismatches
from accel.flow.checks.timing import parse_sta
from accel.flow.layout.lefdef import def_die_size, def_wirelength
from accel.flow.qflow.project import SCRIPTS as QFLOW_SCRIPTS, private_scripts
from accel.flow.qflow.spef import repair_spef

QFLOW_ANNOTATE = QFLOW_SCRIPTS / "annotate.tcl"

DEF = """VERSION 5.6 ;
DESIGN x ;
UNITS DISTANCE MICRONS 100 ;
DIEAREA ( 0 0 ) ( 20000 10000 ) ;
NETS 2 ;
- a ( U1 A ) ( U2 Y )
+ ROUTED metal1 ( 100 200 ) ( 600 * ) M2_M1
  NEW metal2 ( 600 200 ) ( * 1200 ) ;
- b ( U3 A ) ( U4 Y )
+ ROUTED metal3 ( 0 0 ) ( 0 50 ) ;
END NETS
"""


def test_def_parsers(tmp_path):
    path = tmp_path / "x.def"
    path.write_text(DEF)
    assert def_die_size(path.read_text()) == (200.0, 100.0)
    # (500 + 1000 + 50) DEF units / 100 per um
    assert def_wirelength(path.read_text()) == pytest.approx(15.5)


def test_spef_repair_fixes_units_nodes_and_bus_names():
    raw = ("*C_UNIT 1 FF\n*NAME_MAP\n*1 _12_[3]\n*2 a_in[4]\n*3 clk_bF$buf6\n*4 a_in[7_bF$buf4]\n"
           "*5 _845__bF$buf2\n*D_NET *1 0.01\n*CAP\n1 1_1 0.0003\n"
           "*RES\n1 *2:Y 1_1 1.6\n2 1_1 1_2 0.2\n*END\n")
    fixed = repair_spef(raw, ports={"a_in"})
    assert "*C_UNIT 1 PF" in fixed and "$" not in fixed
    assert "*1 _12__3_" in fixed and "*2 a_in[4]" in fixed
    # qflow's buffered copies, named as blif2Verilog writes them into the netlist
    assert "*3 clk_bF_buf6" in fixed and "*4 a_in_7_bF_buf4_" in fixed and "*5 _845__bF_buf2" in fixed
    assert "1 *1:1 0.0003" in fixed and "2 *1:1 *1:2 0.2" in fixed and "*2:Y" in fixed


def test_sta_parser():
    text = """ACCEL-SECTION setup
   9.8158   data required time
  -3.8868   data arrival time
   5.9290   slack (MET)
ACCEL-SECTION hold
   0.1009   slack (MET)
ACCEL-SECTION summary
wns 0.0000
tns -1.5000
ACCEL-SECTION power
Total                1.2e-02 5.6e-03 1.2e-07 1.78e-02 100.0%
ACCEL-SECTION end
"""
    result = parse_sta(text)
    assert result["setup_ws"] == 5.929 and result["hold_ws"] == 0.1009 and result["tns"] == -1.5
    assert result["power_total"] == pytest.approx(0.0178)


def test_sta_parser_with_path_groups():
    """One path per group: the worst is the design's; each group's worst; the clock skew."""
    text = """ACCEL-SECTION setup
Startpoint: a (input port clocked by clk)
Path Group: in2reg
   7.0000   data arrival time
   2.5000   slack (MET)
Startpoint: r1 (rising edge-triggered flip-flop clocked by clk)
Path Group: reg2reg
   3.0000   data arrival time
   -0.2500   slack (VIOLATED)
ACCEL-SECTION hold
Startpoint: r2 (rising edge-triggered flip-flop clocked by clk)
Path Group: reg2reg
   0.3000   slack (MET)
ACCEL-SECTION groups_setup
max_delay/setup group in2reg

Endpoint                               Delay   Delay   Slack
------------------------------------------------------------
r1/D (DFF)                9.90    7.40    2.5000 (MET)

max_delay/setup group reg2reg

Endpoint                               Delay   Delay   Slack
------------------------------------------------------------
r3/D (DFF)                9.90    10.15    -0.2500 (VIOLATED)

ACCEL-SECTION groups_hold
min_delay/hold group reg2reg

r3/D (DFF)                0.11    0.41    0.3000 (MET)

ACCEL-SECTION skew
Clock clk
Latency      CRPR       Skew
r1/CLK ^
 0.1141
r3/CLK ^
 0.0930    0.0000     0.0211
ACCEL-SECTION summary
ACCEL-SECTION end
"""
    result = parse_sta(text)
    assert result["setup_ws"] == -0.25 and "Startpoint: r1" in result["setup_path"]
    assert result["setup_groups"] == {"in2reg": 2.5, "reg2reg": -0.25} and result["hold_groups"] == {"reg2reg": 0.3}
    assert result["clock_skew"] == pytest.approx(0.0211) and result["arrival"] == 3.0


def test_lvs_json_counting(tmp_path):
    path = tmp_path / "comp.json"
    path.write_text(json.dumps([{"devices": [[["INVX1", 3]], [["INVX1", 2]]], "nets": [10, 9],
                                 "badnets": [{"x": 1}]}]))
    assert count_mismatches(path) == 1 + 1 + 1
    path.write_text(json.dumps([{"devices": [[["INVX1", 3]], [["INVX1", 3]]], "nets": [10, 10]}]))
    assert count_mismatches(path) == 0


def test_step_selection():
    assert [s.name for s in select_steps()] == STEP_NAMES
    assert [s.name for s in select_steps("gds")] == ["gds", "drc", "lvs", "render"]
    assert [s.name for s in select_steps(None, "sta")] == ["elaborate", "synth", "sta"]
    assert [s.name for s in select_steps(only=("drc", "synth"))] == ["synth", "drc"]
    with pytest.raises(ValueError, match="unknown step 'plac'"):
        select_steps("plac")
    with pytest.raises(ValueError, match="comes after"):
        select_steps("route", "synth")


def test_signoff_rules():
    clean = {"route__net__unrouted": 0, "magic__drc_errors": 0, "lvs__mismatches": 0,
             "timing__setup__ws": 0.5, "timing__hold__ws": 0.1}
    assert signoff(clean, ()) == ([], [])
    bad = {**clean, "magic__drc_errors": 3, "timing__setup__ws": -0.2}
    failed, allowed = signoff(bad, ("timing",))
    assert failed == ["drc: DRC errors = 3"] and allowed == ["timing: setup slack (ns) = -0.2"]


def test_templates_refuse_missing_values():
    with pytest.raises(KeyError, match="no value for"):
        render_template("sta/constraints.sdc", period_ns="10")
    sdc = render_template("sta/constraints.sdc", period_ns="5", io_delay_ns="1", output_load_pf="0.02")
    assert "create_clock -name clk -period 5 [get_ports clk]" in sdc


def test_bundled_flow_tops():
    """The embedded default lays out the whole SoC (hours); the others a block that builds in minutes."""
    default = load_config("default").flow
    assert default.top == "soc" and not default.route_cleanup and default.placement_speedup > 1
    assert load_config("array4x4").flow.top == "pe"
    assert load_config("tiny").flow.top == "array"


def test_graywolf_parameters_follow_the_config(tmp_path):
    from accel.flow.pdk import get_pdk
    from accel.flow.engine.step import FlowContext
    from accel.flow.steps.place import write_par

    def par(*overrides):
        cfg = load_config("tiny", list(overrides))
        ctx = FlowContext(cfg, get_pdk(cfg.flow.pdk, tmp_path), "accel_pe", "pe", tmp_path)
        write_par(ctx, tmp_path / "x.par")
        return (tmp_path / "x.par").read_text()

    full = par()
    assert "TWSC*fast" not in full and full.count("TWMC*chip.aspect.ratio : 1") == 1
    quick = par("flow.placement_speedup=8", "flow.aspect_ratio=0.5")
    assert quick.count("TWSC*fast : 8") == 1 and quick.count("TWMC*chip.aspect.ratio : 0.5") == 1
    assert "TWSC*feedThruWidth" in quick      # the PDK's own settings stay


def test_elaborate_key_follows_everything_that_shapes_the_rtl(tmp_path):
    """A changed HBM, network or SoC setting must re-elaborate the SoC (it once reused stale Verilog)."""
    from accel.flow.pdk import get_pdk
    from accel.flow.engine.step import FlowContext
    from accel.flow.steps.elaborate import HW_SOURCES, Elaborate

    def key(*overrides):
        cfg = load_config("default", list(overrides))
        return Elaborate().cache_key(FlowContext(cfg, get_pdk(cfg.flow.pdk, tmp_path), "accel_soc", "soc", tmp_path))

    base = key()
    for change in ("hbm.rows=1024", "soc.unit_queue_depth=2", "network.nodes=2", "array.acc_width=16"):
        assert key(change) != base, change
    for same in ("clock.period_ns=5", "flow.utilization=0.4"):
        assert key(same) == base, same
    sources = {(path.parent.name, path.name) for path in HW_SOURCES}
    assert {("hw", "soc.py"), ("hbm", "controller.py"), ("ctrl", "axil.py"), ("accel", "rtl.py")} <= sources


def test_route_cleanup_can_be_skipped(tmp_path):
    from accel.flow.engine.step import StepError
    from accel.flow.steps.route import skip_route_cleanup

    script = "read_def top.def\nqrouter::standard_route top_route.def false\nquit\n"
    assert "qrouter::standard_route top_route.def false true\n" in skip_route_cleanup(script, tmp_path, tmp_path)
    with pytest.raises(StepError, match="standard_route"):
        skip_route_cleanup("read_def top.def\nquit\n", tmp_path / "top.cfg", tmp_path / "log")


@pytest.mark.skipif(not (shutil.which("tclsh") and QFLOW_ANNOTATE.exists()), reason="needs qflow and tclsh")
def test_fill_cells_are_annotated_once(tmp_path):
    """qflow's annotate.tcl, as the route step runs it, with a net named like the SoC's ``ends[0]``:
    the fill cells go into the SPICE netlist once (the original wrote them again after every such line)."""
    scripts = private_scripts(tmp_path, tmp_path / "route.log")
    assert (scripts / "router.sh").resolve() == QFLOW_SCRIPTS / "router.sh"
    (tmp_path / "antenna.out").write_text(
        "# Fill cell instances\nNet=- Instance=FILL_1 Cell=FILL Pin=-\nNet=- Instance=FILL_2 Cell=FILL Pin=-\n")
    (tmp_path / "top.v").write_text("module top (a);\ninput a;\nINVX1 u1 ( .A(a), .Y(ends[0]) );\nendmodule\n")
    (tmp_path / "top.spc").write_text(".subckt top vdd gnd a\nXINVX1_1 gnd vdd a ends[0] INVX1\n"
                                      "XINVX1_2 gnd vdd ends[0] b INVX1\n.ends top\n")
    (tmp_path / "cells.sp").write_text(".subckt FILL vdd gnd\n.ends\n")
    subprocess.run([str(scripts / "annotate.tcl"), "antenna.out", "top.v", "top.spc", "out.v", "out.spc",
                    "cells.sp"], cwd=tmp_path, check=True, capture_output=True)
    spice = (tmp_path / "out.spc").read_text()
    assert spice.count("XFILL_1 ") == 1 and spice.count("XFILL_2 ") == 1
    assert spice.index("XFILL_2") > spice.index("XINVX1_2") and spice.rstrip().endswith(".ends top")
    assert (tmp_path / "out.v").read_text().count("FILL FILL_1") == 1


def test_spef_repair_keeps_unnamed_endpoints_as_internal_nodes():
    """rc2dly names a route end it cannot match to a pin ERROR (and writes the pin part cut short)."""
    from accel.flow.qflow.spef import ERROR_NODE_BASE, unresolved_endpoints

    raw = ("*C_UNIT 1 FF\n*NAME_MAP\n*1 n1\n*2 U1\n*3 ERROR\n*4 U2\n*D_NET *1 0.01\n*CONN\n*I *2:X O *D buf\n"
           "*I *3:ERRO I *L 0\n*I *4:A I *L 0.001\n*CAP\n1 1_1 0.0003\n*RES\n1 *2:X 1_1 1.6\n"
           "2 1_1 *3:ERRO 0.2\n3 1_1 *4:A 0.5\n*END\n")
    assert unresolved_endpoints(raw) == ["3"]
    fixed = repair_spef(raw, ports=set())
    assert "*I *3:" not in fixed and "ERRO" not in fixed.split("*D_NET")[1]
    assert f"2 *1:1 *1:{ERROR_NODE_BASE + 3} 0.2" in fixed and "3 *1:1 *4:A 0.5" in fixed
