"""Pin-access pads (accel.flow.pdk.pin_access): one legal met1 pad per signal pin, clear of each other."""

import pytest

from accel.flow.layout.lefdef import macro_add_port_rect
from accel.flow.pdk import pin_access as pa

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
  SPACING 0.19 ;              # Mcon 2
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

LAYER via
  TYPE CUT ;
  WIDTH 0.15 ;                  # Via 1a
  ENCLOSURE BELOW 0.055 0.085 ; # Via 4a / Via 5a
END via
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
    assert (rules.met1_spacing, rules.cut, rules.cut_spacing) == (0.14, 0.17, 0.19)
    assert rules.enclosure == (0.03, 0.06) and rules.via_met1 == (0.16, 0.13)
    (wide_x, wide_y), (square_x, square_y) = rules.pad_sizes()
    assert (wide_x, wide_y) == (0.185, 0.115)                     # 0.37 x 0.23 um: area 0.085 >= 0.083
    assert square_x == square_y == 0.145                           # 0.29 um square: area 0.084


def _inside(inner, outer):
    return outer[0] - 1e-9 <= inner[0] and inner[2] <= outer[2] + 1e-9 and \
        outer[1] - 1e-9 <= inner[1] and inner[3] <= outer[3] + 1e-9


def test_every_signal_pin_gets_a_legal_pad():
    pads, missing = pa.pin_access_pads({"flop": MACRO}, TECH)
    assert missing == {} and set(pads["flop"]) == {"D", "Q"}
    rails = (0.0, -0.24, 2.76, 0.24)
    for pin, li1 in (("D", (1.37, 0.715, 1.65, 1.665)), ("Q", (2.4, 0.4, 2.7, 2.3))):
        cut, pad = pads["flop"][pin]["mcon"], pads["flop"][pin]["met1"]
        assert _inside(cut, li1) and cut[2] - cut[0] == pytest.approx(0.17)       # the cut lands on the pin
        sides = sorted([cut[0] - pad[0], pad[2] - cut[2]]), sorted([cut[1] - pad[1], pad[3] - cut[3]])
        assert min(sides[0]) >= 0.06 - 1e-9 and min(sides[1]) >= 0.03 - 1e-9     # Met1 4 / Met1 5
        assert (pad[2] - pad[0]) * (pad[3] - pad[1]) >= 0.083 - 1e-9                # Met1 6 on its own
        assert any(pad[0] - 1e-9 <= 0.23 + k * 0.46 - 0.16 and 0.23 + k * 0.46 + 0.16 <= pad[2] + 1e-9
                   for k in range(6))                 # across the router's via (0.32 um) on a vertical track
        assert any(pad[1] <= 0.17 + k * 0.34 <= pad[3] for k in range(8))          # and a met1 track
        assert pa.gap(pad, rails) >= 0.14 and 0.07 <= pad[0] and pad[2] <= 2.76 - 0.07
    d, q = pads["flop"]["D"], pads["flop"]["Q"]
    assert pa.gap(d["met1"], q["met1"]) >= 0.14 and pa.gap(d["mcon"], q["mcon"]) >= 0.19


def test_pins_on_the_track_next_to_a_rail_reach_one_track_further():
    """A via on the track next to the rail would sit exactly at the spacing: qrouter drops such grid
    points, so the pad stretches from the cut to the next track instead."""
    macro = MACRO.replace("RECT 2.400000 0.400000 2.700000 2.300000", "RECT 2.400000 0.400000 2.700000 0.620000")
    pads, missing = pa.pin_access_pads({"flop": macro}, TECH)
    pad = pads["flop"]["Q"]["met1"]
    assert missing == {} and pad[1] < 0.51 and pad[3] >= 0.85 + 0.07 - 1e-9   # cut at 0.51, reached at 0.85


def test_a_boxed_in_pin_is_reported():
    macro = MACRO.replace("  OBS\n", "  OBS\n    LAYER met1 ;\n      RECT 1.000000 0.300000 1.900000 2.400000 ;\n")
    pads, missing = pa.pin_access_pads({"flop": macro}, TECH)
    assert missing == {"flop": ["D"]} and set(pads["flop"]) == {"Q"}


def test_pad_goes_into_the_pins_first_port():
    pads = pa.pin_access_pads({"flop": MACRO}, TECH)[0]["flop"]
    text = macro_add_port_rect(MACRO, "D", "met1", pads["D"]["met1"])
    d_pin = text[text.index("PIN D"):text.index("END D")]
    assert "LAYER met1" in d_pin and "LAYER met1" not in text[text.index("PIN Q"):text.index("END Q")]
    with pytest.raises(ValueError, match="pin X"):
        macro_add_port_rect(MACRO, "X", "met1", pads["D"]["met1"])
