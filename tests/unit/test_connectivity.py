"""The layout-vs-netlist connectivity check (accel.flow.checks.connectivity) on a hand-made two-cell layout:
clean as drawn, and each deliberate break (a deleted via, a moved wire, a bridge) is caught."""

import pytest

kdb = pytest.importorskip("klayout.db")

from accel.flow.checks import connectivity as conn              # noqa: E402
from accel.flow.layout.lefdef import def_components, def_pins, def_units   # noqa: E402
from accel.flow.layout.netlist import netlist_instances         # noqa: E402
from accel.flow.pdk.sky130hd import CUTS, GDS_LAYERS             # noqa: E402

STACK = ("li1", "mcon", "met1", "via", "met2", "via2", "met3", "via3", "met4", "via4", "met5")

LEF = """MACRO buf
  SIZE 1.380000 BY 2.720000 ;
  PIN A
    PORT
      LAYER li1 ;
        RECT 0.200000 1.000000 0.400000 1.400000 ;
    END
  END A
  PIN X
    PORT
      LAYER li1 ;
        RECT 0.900000 1.000000 1.100000 1.400000 ;
    END
  END X
  PIN VPWR
    USE POWER ;
    PORT
      LAYER li1 ;
        RECT 0.000000 2.635000 1.380000 2.805000 ;
    END
  END VPWR
  PIN VGND
    USE GROUND ;
    PORT
      LAYER li1 ;
        RECT 0.000000 -0.085000 1.380000 0.085000 ;
    END
  END VGND
END buf
"""

NETLIST = """module top (in, out);
input in; output out;
wire n1;
buf u1 ( .A(in), .X(n1) );
buf u2 ( .A(n1), .X(out) );
endmodule
"""

DEF = """VERSION 5.6 ;
UNITS DISTANCE MICRONS 1000 ;
COMPONENTS 2 ;
- u1 buf + PLACED ( 0 0 ) N ;
- u2 buf + PLACED ( 1380 0 ) FN ;
END COMPONENTS
PINS 2 ;
- in + NET in + DIRECTION INPUT
  + LAYER met1 ( -100 -100 ) ( 100 100 ) + PLACED ( 300 1200 ) N ;
- out + NET out + DIRECTION OUTPUT
  + LAYER met1 ( -100 -100 ) ( 100 100 ) + PLACED ( 1760 1200 ) N ;
END PINS
END DESIGN
"""


def make_layout(path, drop=(), move=None, extra=()):
    """Two buffers in a row; in -> u1 -> n1 -> u2 -> out. u2 is mirrored (FN), so its A sits on the right."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    layer = {name: layout.layer(*GDS_LAYERS[name]) for name in ("li1", "mcon", "met1")}
    cell = layout.create_cell("buf")
    for box in ((0.2, 1.0, 0.4, 1.4), (0.9, 1.0, 1.1, 1.4), (0, 2.635, 1.38, 2.805), (0, -0.085, 1.38, 0.085)):
        cell.shapes(layer["li1"]).insert(kdb.DBox(*box))
    top = layout.create_cell("top")
    top.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DTrans(0, False, 0, 0)))
    top.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DTrans(kdb.DTrans.M90, 1.38 + 1.38, 0)))
    shapes = {      # name -> (layer, box): n1 leaves u1/X upwards, runs at y 2, comes down on u2/A
        "via_in": ("mcon", (0.215, 1.115, 0.385, 1.285)), "pad_in": ("met1", (0.15, 1.05, 0.45, 1.35)),
        "via_u1x": ("mcon", (0.915, 1.115, 1.085, 1.285)), "via_u2a": ("mcon", (2.375, 1.115, 2.545, 1.285)),
        "wire_up": ("met1", (0.9, 1.1, 1.1, 2.1)), "wire_across": ("met1", (0.9, 1.9, 2.56, 2.1)),
        "wire_down": ("met1", (2.36, 1.1, 2.56, 2.1)),
        "via_out": ("mcon", (1.675, 1.115, 1.845, 1.285)), "pad_out": ("met1", (1.61, 1.05, 1.91, 1.35)),
    }
    for name, (layer_name, box) in shapes.items():
        if name in drop:
            continue
        if move and name == move[0]:
            box = (box[0] + move[1], box[1] + move[2], box[2] + move[1], box[3] + move[2])
        top.shapes(layer[layer_name]).insert(kdb.DBox(*box))
    for layer_name, box in extra:
        top.shapes(layer[layer_name]).insert(kdb.DBox(*box))
    layout.write(str(path))
    return path


def run(tmp_path, **changes):
    files = {"lef": LEF, "def": DEF, "v": NETLIST}
    for suffix, text in files.items():
        (tmp_path / f"top.{suffix}").write_text(text)
    gds = make_layout(tmp_path / "top.gds", **changes)
    return conn.check(gds, tmp_path / "top.def", tmp_path / "top.v", tmp_path / "top.lef", "VPWR", "VGND",
                      GDS_LAYERS, STACK, tmp_path / "report.json")


def test_pin_points_follow_the_def_orientation():
    rect = (0.2, 1.0, 0.4, 1.4)
    assert conn.pin_point(rect, 1.38, 2.72, 10, 20, "N") == pytest.approx((10.3, 21.2))
    assert conn.pin_point(rect, 1.38, 2.72, 10, 20, "FN") == pytest.approx((11.08, 21.2))
    assert conn.pin_point(rect, 1.38, 2.72, 10, 20, "FS") == pytest.approx((10.3, 21.52))
    assert conn.pin_point(rect, 1.38, 2.72, 10, 20, "S") == pytest.approx((11.08, 21.52))
    with pytest.raises(ValueError, match="orientation E"):
        conn.pin_point(rect, 1.38, 2.72, 0, 0, "E")


def test_netlist_and_def_readers():
    assert netlist_instances(NETLIST) == {"u1": ("buf", {"A": "in", "X": "n1"}),
                                               "u2": ("buf", {"A": "n1", "X": "out"})}
    assert def_units(DEF) == 1000
    placed = {c.name: (c.cell, c.x, c.y, c.orient) for c in def_components(DEF)}
    assert placed["u2"] == ("buf", 1380, 0, "FN")
    out = next(pin for pin in def_pins(DEF) if pin.net == "out")
    assert (out.layer, out.x, out.y) == ("met1", 1760, 1200)


def test_the_pdk_stack_is_the_checked_stack():
    from accel.flow.pdk import PDKS
    assert STACK[1::2] == tuple(CUTS)
    assert tuple(name for cut, (below, _) in CUTS.items() for name in (below, cut)) + ("met5",) == STACK
    assert PDKS["osu018"](None).wiring_stack == ()


def test_the_layout_as_drawn_is_clean(tmp_path):
    result = run(tmp_path)
    assert result.clean, (result.opens, result.shorts)
    assert result.nets == 5 and result.pins == 4 + 4 + 2       # signal pins, rails, ports


def test_a_deleted_via_is_an_open(tmp_path):
    result = run(tmp_path, drop=("via_u2a",))
    assert not result.shorts
    assert any("net n1" in line for line in result.opens), result.opens


def test_a_moved_wire_is_an_open(tmp_path):
    result = run(tmp_path, move=("wire_across", 0.0, 0.5))
    assert any("net n1" in line for line in result.opens), result.opens


def test_a_bridge_between_two_nets_is_a_short(tmp_path):
    result = run(tmp_path, extra=(("met1", (1.7, 1.3, 1.8, 2.0)),))
    assert any("n1" in line and "out" in line for line in result.shorts), result.shorts


def test_missing_pin_metal_is_an_open(tmp_path):
    result = run(tmp_path, drop=("pad_in",))
    assert any("port in" in line for line in result.opens), result.opens
