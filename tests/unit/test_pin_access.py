"""Pin-access pads (accel.flow.pin_access): found only where the grid cannot reach a pin, and legal."""

import pytest

from accel.flow import pin_access as pa

TECH = """
LAYER li1
  TYPE ROUTING ;
  DIRECTION VERTICAL ;
  PITCH 0.46 0.34 ;
  OFFSET 0.23 0.17 ;
  WIDTH 0.17 ;          # LI 1
  SPACINGTABLE
     PARALLELRUNLENGTH 0
     WIDTH 0 0.17 ;
END li1

LAYER mcon
  TYPE CUT ;
  WIDTH 0.17 ;                # Mcon 1
  ENCLOSURE ABOVE 0.03 0.06 ; # Met1 4 / Met1 5
END mcon

LAYER met1
  TYPE ROUTING ;
  DIRECTION HORIZONTAL ;
  PITCH 0.34 ;
  OFFSET 0.17 ;
  WIDTH 0.14 ;
  SPACINGTABLE
     PARALLELRUNLENGTH 0
     WIDTH 0 0.14 ;
  AREA 0.083 ;
END met1
"""

# dfxtp_1's D pin between li1 tracks (x 1.61 is the nearest), with li1 obstructions on both sides.
MACRO = """MACRO flop
  SIZE 2.760000 BY 2.720000 ;
  PIN D
    DIRECTION INPUT ;
    PORT
      LAYER li1 ;
        RECT 1.370000 0.715000 1.650000 1.665000 ;
    END
  END D
  PIN Q
    DIRECTION OUTPUT ;
    PORT
      LAYER li1 ;
        RECT 2.400000 0.400000 2.700000 2.300000 ;
    END
  END Q
  PIN VGND
    USE GROUND ;
    PORT
      LAYER met1 ;
        RECT 0.000000 -0.240000 2.760000 0.240000 ;
    END
  END VGND
  OBS
    LAYER li1 ;
      RECT 1.015000 0.345000 1.200000 2.465000 ;
      RECT 1.820000 0.675000 1.990000 1.910000 ;
  END
END flop
"""


def test_rules_come_from_the_technology_lef():
    rules = pa.rules_from_tech(TECH)
    assert (rules.x_offset, rules.x_pitch, rules.y_offset, rules.y_pitch) == (0.23, 0.46, 0.17, 0.34)
    assert (rules.li1_spacing, rules.met1_spacing, rules.cut, rules.enclosure) == (0.17, 0.14, 0.17, 0.06)
    assert rules.pad_half == pytest.approx(0.145)                 # 0.29 um pad: area 0.084 >= 0.083


def test_off_grid_pin_gets_a_legal_pad_and_a_reachable_one_none():
    rules = pa.rules_from_tech(TECH)
    shapes = pa.macro_shapes(MACRO)
    assert not pa.li1_reachable(shapes, "D", rules)
    assert pa.li1_reachable(shapes, "Q", rules)                   # the track at x 2.53 is inside Q
    pads = pa.pin_access_pads({"flop": MACRO}, TECH)
    assert set(pads) == {"flop"} and set(pads["flop"]) == {"D"}
    cut, pad = pads["flop"]["D"]["mcon"], pads["flop"]["D"]["met1"]
    pin = (1.37, 0.715, 1.65, 1.665)
    assert pin[0] <= cut[0] and cut[2] <= pin[2] and pin[1] <= cut[1] and cut[3] <= pin[3]   # cut on the pin
    assert cut[2] - cut[0] == pytest.approx(0.17)
    for side in (cut[0] - pad[0], pad[2] - cut[2], cut[1] - pad[1], pad[3] - cut[3]):
        assert side >= 0.06 - 1e-9                                 # met1 encloses the cut
    centre_y = (pad[1] + pad[3]) / 2
    assert round((centre_y - 0.17) / 0.34, 6).is_integer()         # on a met1 track
    assert any(pad[0] + 0.07 <= 0.23 + k * 0.46 <= pad[2] - 0.07 for k in range(6))   # over a vertical track
    assert pa.gap(pad, (0.0, -0.24, 2.76, 0.24)) >= 0.14           # clear of the ground rail


def test_pad_goes_into_the_pins_first_port():
    pads = pa.pin_access_pads({"flop": MACRO}, TECH)["flop"]
    text = pa.add_pads_to_macro(MACRO, pads)
    d_pin = text[text.index("PIN D"):text.index("END D")]
    assert "LAYER met1" in d_pin and "LAYER met1" not in text[text.index("PIN Q"):text.index("END Q")]
    with pytest.raises(ValueError, match="pin X"):
        pa.add_pads_to_macro(MACRO, {"X": pads["D"]})
