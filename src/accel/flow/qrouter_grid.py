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

:func:`trim_stripes` narrows the power stripes and the via stacks qflow drops on them. qrouter keeps a wire
``spacing + half a wire`` away from an obstruction's edge but puts a via, whose pad is wider than the wire,
on the same track: a sky130 met4 via pad beside a 1.84 um stripe was 0.295 um from it (Met4 2: 0.3), and
a met3 via pad beside a stripe's via stack 0.27 um. Each stripe edge is pulled back until the first grid
point qrouter will use clears it by the spacing plus the widest via pad.
"""

from __future__ import annotations

import math
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


def def_die(def_text: str) -> tuple[int, int, int, int] | None:
    """The DEF's DIEAREA corners (x1, y1, x2, y2) in DEF units, if it has one."""
    die = re.search(r"DIEAREA\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)", def_text)
    return tuple(int(v) for v in die.groups()) if die else None


def off_pitch_obstructions(def_text: str, units: float, layers: list[str]) -> list[str]:
    """qrouter ``obstruction x1 y1 x2 y2 layer`` lines (um) for the off-track grid lines of ``layers``."""
    die = def_die(def_text)
    if not die:
        return []
    x1, y1, x2, y2 = die
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


@dataclass(frozen=True)
class LayerClearance:
    """What a routing layer needs beside an obstruction, in um: qrouter keeps ``spacing + wire_half``; a via
    pad needs ``spacing + pad_half``."""
    spacing: float
    wire_half: float
    pad_half: float


def _trimmed_half(center: int, half: int, positions: list[int], need: LayerClearance, units: float) -> int:
    """The largest half-width <= ``half`` of an obstruction centred at ``center`` whose edges clear the via
    pads on the grid points qrouter will use beside it (both sides, so the shape stays centred)."""
    keep_wire = need.spacing + need.wire_half
    keep_pad = need.spacing + need.pad_half
    new = half
    for side in (1, -1):
        edge = center + side * half
        mirrored = sorted(side * p for p in positions)
        for point in (p for p in mirrored if p > side * edge):
            gap = (point - side * edge) / units
            if gap + 1e-9 < keep_wire:
                continue                            # qrouter leaves this grid point free of the layer
            if gap + 1e-9 < keep_pad:
                new = min(new, math.floor(point - keep_pad * units - side * center + 1e-6))
            break
    return new


def trim_stripes(def_text: str, units: float, layers: dict[str, LayerClearance]) -> tuple[str, int]:
    """Narrow the vertical power stripes of ``def_text`` (SPECIALNETS wires ``( x y ) ( * y2 )``) and the
    rectangles of the vias placed on them (see the module text). Grid points beside a stripe are the
    layer's own X tracks, or qrouter's finest X tracks for a horizontal layer. Returns the new DEF text and
    how many stripe and via rectangles got narrower."""
    tracks = def_tracks(def_text)
    x_tracks = [t for t in tracks if t.axis == "X"]
    if not x_tracks:
        return def_text, 0
    finest = min(x_tracks, key=lambda t: t.step)

    def positions(layer: str) -> list[int]:
        own = [t for t in x_tracks if t.layer == layer]
        t = own[0] if own else finest
        return [t.start + k * t.step for k in range(t.count)]

    special = re.search(r"^SPECIALNETS\b.*?^END SPECIALNETS", def_text, re.M | re.S)
    if not special:
        return def_text, 0
    stripe = re.compile(r"((?:NEW|ROUTED|FIXED)\s+(\w+)\s+)(\d+)(\s+\(\s*(-?\d+)\s+-?\d+\s*\)\s+\(\s*\*\s+-?\d+\s*\))")
    via_at = re.compile(r"\(\s*(-?\d+)\s+-?\d+\s*\)\s+\(\s*\*\s+\*\s*\)\s+(\S+)")
    centres = sorted({int(m.group(5)) for m in stripe.finditer(special.group(0)) if m.group(2) in layers})
    changed = 0

    def narrow_stripe(m: re.Match) -> str:
        nonlocal changed
        layer, width, x = m.group(2), int(m.group(3)), int(m.group(5))
        if layer not in layers:
            return m.group(0)
        half = _trimmed_half(x, width // 2, positions(layer), layers[layer], units)
        if 2 * half >= width:
            return m.group(0)
        changed += 1
        return f"{m.group(1)}{2 * half}{m.group(4)}"

    body = stripe.sub(narrow_stripe, special.group(0))
    text = def_text[:special.start()] + body + def_text[special.end():]
    # Vias placed on the stripes: narrow each of their rectangles as the tightest stripe needs.
    on_stripes = {name for x, name in via_at.findall(special.group(0)) if int(x) in centres}
    vias = re.search(r"^VIAS\b.*?^END VIAS", text, re.M | re.S)
    if not vias or not on_stripes:
        return text, changed
    rect = re.compile(r"(\+\s*RECT\s+(\w+)\s+\(\s*)(-?\d+)(\s+-?\d+\s*\)\s+\(\s*)(-?\d+)(\s+-?\d+\s*\))")

    def narrow_via(block: re.Match) -> str:
        if block.group(1) not in on_stripes:
            return block.group(0)

        def one(m: re.Match) -> str:
            nonlocal changed
            layer, x1, x2 = m.group(2), int(m.group(3)), int(m.group(5))
            if layer not in layers or x1 != -x2:
                return m.group(0)
            half = min(_trimmed_half(c, x2, positions(layer), layers[layer], units) for c in centres)
            if half >= x2:
                return m.group(0)
            changed += 1
            return f"{m.group(1)}{-half}{m.group(4)}{half}{m.group(6)}"

        return rect.sub(one, block.group(0))

    new_vias = re.sub(r"^- (\S+)\s*\n.*?;", narrow_via, vias.group(0), flags=re.M | re.S)
    return text[:vias.start()] + new_vias + text[vias.end():], changed


PIN = re.compile(r"^(- \S+ \+ NET \S+[^;]*?\+ LAYER (\w+) )\( (-?\d+) (-?\d+) \) \( (-?\d+) (-?\d+) \)"
                 r"([^;]*?\+ PLACED \( (-?\d+) (-?\d+) \))", re.M)


def size_pins(def_text: str, units: float, halves: dict[str, float]) -> tuple[str, int]:
    """Make each pin of the DEF's PINS on a layer in ``halves`` hold a via (half-size in um) on the
    router's first grid point inside the die, next to the pin. arrangepins draws 0.3 um square pins on the
    core's edge, where qflow's edge obstructions keep the router's via off the pin's own grid point: the
    router then reached the pin from the next grid point with an offset via and a stub running past it,
    0.215 um from the next pin's route where Met3 2 asks 0.3. The pin grows towards the inside by one grid
    pitch plus the via's half-size, and to the via's half-size across. Returns the new DEF and how many
    pins changed."""
    pins_section = re.search(r"^PINS\b.*?^END PINS", def_text, re.M | re.S)
    die = def_die(def_text)
    tracks = def_tracks(def_text)
    if not pins_section or not die or not tracks:
        return def_text, 0
    dx1, dy1, dx2, dy2 = die
    pitch_x = min((t.step for t in tracks if t.axis == "X"), default=0)
    pitch_y = min((t.step for t in tracks if t.axis == "Y"), default=0)
    grown = 0

    def grow(m: re.Match) -> str:
        nonlocal grown
        layer = m.group(2)
        if layer not in halves:
            return m.group(0)
        x1, y1, x2, y2, px, py = (int(v) for v in m.group(3, 4, 5, 6, 8, 9))
        half = math.ceil(halves[layer] * units)
        nx1, ny1, nx2, ny2 = min(x1, -half), min(y1, -half), max(x2, half), max(y2, half)
        side = min((px - dx1, "left"), (dx2 - px, "right"), (py - dy1, "bottom"), (dy2 - py, "top"))[1]
        if side == "left":
            nx2 = max(nx2, pitch_x + half)
        elif side == "right":
            nx1 = min(nx1, -pitch_x - half)
        elif side == "bottom":
            ny2 = max(ny2, pitch_y + half)
        else:
            ny1 = min(ny1, -pitch_y - half)
        if (nx1, ny1, nx2, ny2) == (x1, y1, x2, y2):
            return m.group(0)
        grown += 1
        return f"{m.group(1)}( {nx1} {ny1} ) ( {nx2} {ny2} ){m.group(7)}"

    body = PIN.sub(grow, pins_section.group(0))
    return def_text[:pins_section.start()] + body + def_text[pins_section.end():], grown


OBSTRUCTION = re.compile(r"^obstruction\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(\S+)\s*$", re.M)


def loosen_fence(script: str, keep: dict[str, float]) -> tuple[str, int]:
    """Pull the inner edge of qflow's fence around the design (the ``obstruction`` strips along the die's
    sides in qrouter's script) back by ``keep`` um on each layer, so the router may drop a via on the grid
    line at the core's edge, where the pins are. With the fence up to that line a met3 pin could not get
    its met2 via on its own grid point: qrouter took the next one with an offset and a stub running past
    the via, 0.215 um from the neighbouring pin's route where Met3 2 asks 0.3. ``keep`` is a via pad's
    half-size plus the spacing, so the strip still keeps every route off the grid line beyond the edge.
    Returns the new script and how many strips moved."""
    moved = 0

    def loosen(m: re.Match) -> str:
        nonlocal moved
        x1, y1, x2, y2 = (float(v) for v in m.group(1, 2, 3, 4))
        layer = m.group(5)
        if layer not in keep:
            return m.group(0)
        pull = keep[layer]
        if y2 - y1 > x2 - x1:                      # a strip along a left or right side
            if x1 < 0 or x2 <= 0:                   # left: its inner edge is x2
                x2 -= pull
            else:
                x1 += pull
        else:                                       # along the bottom or the top
            if y2 <= 0:
                y2 -= pull
            else:
                y1 += pull
        if x2 <= x1 or y2 <= y1:
            return m.group(0)
        moved += 1
        return f"obstruction {x1:g} {y1:g} {x2:g} {y2:g} {layer}"

    head, marker, tail = script.partition("\nread_def")
    return OBSTRUCTION.sub(loosen, head) + marker + tail, moved
