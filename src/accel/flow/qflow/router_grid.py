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

from ..layout.lefdef import (DefPin, def_die, def_tracks, edit_pin_rects, edit_stripe_widths, edit_via_rects,
                             lef_vias, routing_layers, vertical_stripes)


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

    stripes, dropped = vertical_stripes(def_text)
    centres = sorted({x for layer, _, x in stripes if layer in layers})

    def narrow_stripe(layer: str, width: int, x: int) -> int | None:
        if layer not in layers:
            return None
        return 2 * _trimmed_half(x, width // 2, positions(layer), layers[layer], units)

    text, changed = edit_stripe_widths(def_text, narrow_stripe)
    # Vias placed on the stripes: narrow each of their rectangles as the tightest stripe needs.
    on_stripes = {name for x, name in dropped if x in centres}

    def narrow_via(layer: str, half: int) -> int | None:
        if layer not in layers:
            return None
        return min(_trimmed_half(c, half, positions(layer), layers[layer], units) for c in centres)

    text, vias = edit_via_rects(text, on_stripes, narrow_via)
    return text, changed + vias


def size_pins(def_text: str, units: float, halves: dict[str, float]) -> tuple[str, int]:
    """Make each pin of the DEF's PINS on a layer in ``halves`` hold a via (half-size in um) on the
    router's first grid point inside the die, next to the pin. arrangepins draws 0.3 um square pins on the
    core's edge, where qflow's edge obstructions keep the router's via off the pin's own grid point: the
    router then reached the pin from the next grid point with an offset via and a stub running past it,
    0.215 um from the next pin's route where Met3 2 asks 0.3. The pin grows towards the inside by one grid
    pitch plus the via's half-size, and to the via's half-size across. Returns the new DEF and how many
    pins changed."""
    die = def_die(def_text)
    tracks = def_tracks(def_text)
    if not die or not tracks:
        return def_text, 0
    dx1, dy1, dx2, dy2 = die
    pitch_x = min((t.step for t in tracks if t.axis == "X"), default=0)
    pitch_y = min((t.step for t in tracks if t.axis == "Y"), default=0)

    def grow(pin: DefPin) -> tuple[int, int, int, int] | None:
        if pin.layer not in halves:
            return None
        (x1, y1, x2, y2), px, py = pin.rect, pin.x, pin.y
        half = math.ceil(halves[pin.layer] * units)
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
        return nx1, ny1, nx2, ny2

    return edit_pin_rects(def_text, grow)


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


def via_pad_halves(tech_lef: str, metals: tuple[str, ...]) -> dict[str, float]:
    """Layer -> the largest half-extent (um, either axis) of the rectangles on it of the VIAs between
    ``metals``: how far a via pad can reach from its grid point, whichever way the router turns the via."""
    routing = {layer.name for layer in routing_layers(tech_lef)}
    halves: dict[str, float] = {}
    for shapes in lef_vias(tech_lef).values():
        if any(layer in routing and layer not in metals for layer in shapes):
            continue                         # a via to a layer the router does not use
        for layer, rects in shapes.items():
            for rect in rects:
                halves[layer] = max(halves.get(layer, 0.0), max(abs(v) for v in rect))
    return halves


def stripe_clearances(tech_lef: str, metals: tuple[str, ...]) -> dict[str, LayerClearance]:
    """What each routing layer of ``metals`` needs beside a power stripe (:func:`trim_stripes`)."""
    pads = via_pad_halves(tech_lef, metals)
    return {layer.name: LayerClearance(layer.spacing, layer.width / 2, pads.get(layer.name, layer.width / 2))
            for layer in routing_layers(tech_lef) if layer.name in metals}
