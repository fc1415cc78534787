"""Fences for qrouter's coarse layers (accel.flow.qrouter_grid): every grid line off a coarse layer's
tracks is obstructed on that layer, its own tracks and the other layers stay free."""

from accel.flow.qrouter_grid import def_tracks, off_pitch_obstructions

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
