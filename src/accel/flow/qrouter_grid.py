"""Obstructions that keep qrouter on the tracks of its coarser layers.

qrouter 1.4 routes every layer on one grid, the finest pitch in each direction (sky130: 0.46 um in x from
met2, 0.34 um in y from met1). A layer with a coarser pitch (met3 at 0.68 um, met4 at 0.92 um) is meant to
use one grid line in N, but ``create_obstructions_from_variable_pitch`` only blocks the grid points that are
off the layer's tracks in *both* x and y. A via may still land on a point that is off-track in one
direction: a routed PE had met3 vias half a met3 pitch apart, 0.13 um where Met3 2 asks 0.3 (36 via pairs,
most of 188 met3 spacing errors).

:func:`off_pitch_obstructions` returns a thin obstruction for qrouter's configuration on every grid line of
such a layer that is not one of its DEF tracks, so nothing of that layer is placed there; the tracks
themselves stay free (the obstruction is narrower than the distance to the next track less half a wire).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Tracks:
    axis: str           # "X": vertical tracks at x = start + k * step; "Y": horizontal ones
    start: int          # DEF units
    count: int
    step: int
    layer: str


def def_tracks(def_text: str) -> list[Tracks]:
    return [Tracks(axis, int(float(start)), int(count), int(float(step)), layer) for axis, start, count, step, layer
            in re.findall(r"^TRACKS\s+([XY])\s+(-?[\d.]+)\s+DO\s+(\d+)\s+STEP\s+([\d.]+)\s+LAYER\s+(\S+)\s*;",
                          def_text, re.M)]


def off_pitch_obstructions(def_text: str, units: float, layers: list[str]) -> list[str]:
    """qrouter ``obstruction x1 y1 x2 y2 layer`` lines (um) for the off-track grid lines of ``layers``."""
    die = re.search(r"DIEAREA\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)", def_text)
    if not die:
        return []
    x1, y1, x2, y2 = (int(v) for v in die.groups())
    tracks = def_tracks(def_text)
    lines = []
    for t in tracks:
        if t.layer not in layers:
            continue
        finer = [o for o in tracks if o.axis == t.axis and o.step < t.step]
        if not finer:
            continue
        base = min(finer, key=lambda o: o.step)
        if t.step % base.step or (t.start - base.start) % base.step:
            continue                  # not a multiple of the grid: qrouter would not route it 1-in-N either
        half = max(1, base.step // 8)
        own = {t.start + k * t.step for k in range(t.count)}
        for k in range(base.count):
            line = base.start + k * base.step
            if line in own or not (t.start <= line <= t.start + (t.count - 1) * t.step):
                continue
            if t.axis == "Y":
                box = (x1, line - half, x2, line + half)
            else:
                box = (line - half, y1, line + half, y2)
            lines.append("obstruction " + " ".join(f"{v / units:g}" for v in box) + f" {t.layer}")
    return lines
