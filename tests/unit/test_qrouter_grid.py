"""Fences for qrouter's coarse layers (accel.flow.qflow.router_grid): every grid line off a coarse layer's
tracks is obstructed on that layer, its own tracks and the other layers stay free."""

from accel.flow.qflow.router_grid import (LayerClearance, def_tracks, loosen_fence, off_pitch_obstructions, size_pins,
                                     trim_stripes)

DEF = """UNITS DISTANCE MICRONS 200 ;
DIEAREA ( -184 -136 ) ( 1000 800 ) ;
TRACKS Y -136 DO 14 STEP 68 LAYER met1 ;
TRACKS X -184 DO 13 STEP 92 LAYER met2 ;
TRACKS Y -136 DO 7 STEP 136 LAYER met3 ;
TRACKS X -184 DO 7 STEP 184 LAYER met4 ;
"""


def _boxes(lines):
    return [(tuple(float(v) for v in line.split()[1:5]), line.split()[5]) for line in lines]


def test_tracks_are_read_from_the_def():
    tracks = def_tracks(DEF)
    assert [(t.axis, t.start, t.count, t.step, t.layer) for t in tracks][2] == ("Y", -136, 7, 136, "met3")


def test_off_track_lines_of_coarse_layers_are_fenced():
    boxes = _boxes(off_pitch_obstructions(DEF, 200, ["met3", "met4"]))
    met3 = [box for box, layer in boxes if layer == "met3"]
    met4 = [box for box, layer in boxes if layer == "met4"]
    # met3 tracks at -0.68 + 0.68k; the met1 grid lines between them (-0.34 + 0.68k) are fenced
    centres = sorted(round((b[1] + b[3]) / 2, 3) for b in met3)
    assert centres == [round(-0.34 + 0.68 * k, 3) for k in range(6)]
    assert all(b[0] == -0.92 and b[2] == 5.0 for b in met3)                    # across the whole die
    assert all((b[3] - b[1]) / 2 + 0.15 < 0.34 for b in met3)     # with qrouter's half-wire halo: tracks free
    assert sorted(round((b[0] + b[2]) / 2, 3) for b in met4) == [round(-0.46 + 0.92 * k, 3) for k in range(6)]
    assert {layer for _, layer in boxes} == {"met3", "met4"}


def test_layers_on_the_finest_pitch_are_never_fenced():
    assert off_pitch_obstructions(DEF, 200, ["met1", "met2"]) == []
    assert off_pitch_obstructions("no tracks", 200, ["met3"]) == []


STRIPED = DEF + """VIAS 1 ;
- M3M4_PR_post
+ RECT via3 ( -20 -20 ) ( 20 20 )
+ RECT met3 ( -184 -37 ) ( 184 37 )
+ RECT met4 ( -184 -33 ) ( 184 33 ) ;
END VIAS
SPECIALNETS 1 ;
- VPWR
+ FIXED met3 66 ( 460 34 ) ( * * ) M3M4_PR_post
  NEW met4 368 ( 460 -136 ) ( * 800 )
 ;
END SPECIALNETS
"""
CLEARANCE = {"met3": LayerClearance(0.3, 0.15, 0.19), "met4": LayerClearance(0.3, 0.15, 0.165)}


def test_stripes_are_narrowed_until_the_via_pads_beside_them_clear():
    new, trimmed = trim_stripes(STRIPED, 200, CLEARANCE)
    # met4 tracks at -0.92 + 0.92k: the 1.84 um stripe centred at 2.3 um leaves the next track (3.68) 0.46 um
    # from its edge, enough for qrouter's wire (0.3 + 0.15) but not for a via pad (0.3 + 0.165): 5 nm off
    assert "NEW met4 366 ( 460 -136 )" in new
    # the via stack's met3 beside met3 via pads on the 0.46 um grid: 0.3 + 0.19 from the next usable point
    assert "RECT met3 ( -178 -37 ) ( 178 37 )" in new and "RECT met4 ( -183 -33 ) ( 183 33 )" in new
    assert "RECT via3 ( -20 -20 ) ( 20 20 )" in new and trimmed == 3
    # already clear: nothing changes
    assert trim_stripes(new, 200, CLEARANCE) == (new, 0)
    assert trim_stripes(DEF, 200, CLEARANCE) == (DEF, 0)




PINNED = DEF + """PINS 4 ;
- VPWR + NET VPWR
  + LAYER met4 ( -184 -92 ) ( 184 92 )
  + PLACED ( 460 -44 ) N ;
- a + NET a
  + LAYER met3 ( -30 -30 ) ( 30 30 )
  + PLACED ( 0 408 ) N ;
- b + NET b
  + LAYER met3 ( -30 -30 ) ( 30 30 )
  + PLACED ( 1000 408 ) N ;
- c + NET c
  + LAYER met2 ( -30 -30 ) ( 30 30 )
  + PLACED ( 460 800 ) N ;
END PINS
"""


def test_pins_grow_to_hold_a_via_on_their_own_and_the_next_grid_point():
    new, grown = size_pins(PINNED, 200, {"met2": 0.185, "met3": 0.19})
    # a met3 via pad is 0.38 x 0.32 either way round: half 38 units; one grid pitch inwards is 92 units in
    # x (the finest X tracks) and 68 in y
    assert "- a + NET a\n  + LAYER met3 ( -38 -38 ) ( 130 38 )" in new          # left side: grows right
    assert "- b + NET b\n  + LAYER met3 ( -130 -38 ) ( 38 38 )" in new          # right side: grows left
    assert "- c + NET c\n  + LAYER met2 ( -37 -105 ) ( 37 37 )" in new          # top side: grows down
    assert "LAYER met4 ( -184 -92 ) ( 184 92 )" in new and grown == 3
    assert size_pins(new, 200, {"met2": 0.185, "met3": 0.19}) == (new, 0)


def test_the_fence_around_the_design_moves_back_from_the_core_edge():
    script = ("via stack 1\nobstruction -1.38 -0.06 0.0 193.46 met2\nobstruction 205.62 -0.06 206.08 193.46 met2\n"
              "obstruction -1.38 -1.02 206.08 -0.06 met1\nobstruction 0.0 193.46 205.62 194.14 met3\n"
              "obstruction 205.62 -0.06 206.08 193.46 met4\nread_def x.def\nobstruction 0 0 1 1 met2\n")
    new, moved = loosen_fence(script, {"met1": 0.3, "met2": 0.325, "met3": 0.49, "met4": 0.465})
    lines = new.splitlines()
    assert lines[1] == "obstruction -1.38 -0.06 -0.325 193.46 met2"         # left: inner edge moves left
    assert lines[2] == "obstruction 205.945 -0.06 206.08 193.46 met2"       # right: moves right
    assert lines[3] == "obstruction -1.38 -1.02 206.08 -0.36 met1"          # bottom: moves down
    assert lines[4] == "obstruction 0 193.95 205.62 194.14 met3"            # top: moves up
    assert lines[5] == "obstruction 205.62 -0.06 206.08 193.46 met4"        # too thin to move: kept
    assert lines[-1] == "obstruction 0 0 1 1 met2" and moved == 4           # after read_def: not the fence
