"""Pin-access pads: every sky130 signal pin is reached through one mcon and a met1 pad chosen here.

The sky130_fd_sc_hd pins are li1. Letting qrouter route li1 and drop its own li1-met1 via on them went
wrong three ways on a placed PE: pins between the li1 tracks were unreachable (every dfxtp_1 D input),
its pin vias ignored other nets' vias on the next met1 track in the same column (300 spacing errors of
0.095 um), and its li1 wires jogged into neighbouring pins. So the router never sees li1
(accel.flow.pdk.sky130hd.routing_tech_lef): for each signal pin of each cell this module places one mcon inside
the pin's li1 and a met1 pad around it on a met1 track, across the met1 of the via the router drops
there, clear of the cell's own metal and of the cell's other pads. The routing view (LEF) has the pad
as the pin and the layout gets the mcon and the pad, so the router lands on met1 and every pin is
reached through a real, rule-checked contact. All numbers come from the technology LEF: track offsets
and pitches, met1 spacing and minimum area, mcon size, spacing and met1's enclosure of it, and
the met1-met2 via's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..layout.lefdef import Macro, Rect, lef_layers, macro

EPS = 1e-9
GRID = 0.005              # sky130's manufacturing grid, um


@dataclass(frozen=True)
class AccessRules:
    x_offset: float          # vertical tracks: offset + k * x_pitch, relative to the cell origin
    x_pitch: float
    y_offset: float          # horizontal met1 tracks
    y_pitch: float
    met1_spacing: float
    met1_area: float
    cut: float               # mcon width
    cut_spacing: float       # mcon to mcon
    via_met1: tuple[float, float]    # half width and half height of the met1 of the met1-met2 via
    enclosure: tuple[float, float]   # met1 around mcon: (on every side, on two opposite sides)

    def pad_sizes(self) -> list[tuple[float, float]]:
        """Half width and half height of the pads to try, each with met1's minimum area on its own (an
        unconnected pin's pad stands alone): first as low as the enclosure allows, widened to the area,
        so wires keep using the next met1 tracks; then square, for pins whose neighbours leave no room."""
        low = self.cut / 2 + self.enclosure[0]
        wide = max(self.cut / 2 + self.enclosure[1], self.met1_area / (4 * low))
        square = max(self.cut / 2 + self.enclosure[1], math.sqrt(self.met1_area) / 2)
        up = lambda v: round(math.ceil(v / GRID - EPS) * GRID, 4)       # noqa: E731
        return [(up(wide), low), (up(square), up(square))]


def rules_from_tech(tech_lef: str) -> AccessRules:
    layers = lef_layers(tech_lef)
    li1, met1, mcon, via = layers["li1"], layers["met1"], layers["mcon"], layers["via"]
    small, big = sorted(via.enclosure_below) if len(via.enclosure_below) == 2 else (0.0, 0.0)
    needed = {"li1 OFFSET": li1.offset, "li1 PITCH": li1.pitch, "met1 OFFSET": met1.offset,
              "met1 PITCH": met1.pitch, "met1 spacing": met1.spacing, "met1 AREA": met1.area,
              "mcon WIDTH": mcon.width, "mcon SPACING": mcon.spacing, "via WIDTH": via.width}
    missing = [what for what, value in needed.items() if value is None]
    if missing:
        raise ValueError(f"technology LEF: no {', '.join(missing)}")
    via_half = via.width / 2
    return AccessRules(
        x_offset=li1.offset, x_pitch=li1.pitch, y_offset=met1.offset, y_pitch=met1.pitch,
        met1_spacing=met1.spacing, met1_area=met1.area, cut=mcon.width, cut_spacing=mcon.spacing,
        via_met1=(round(via_half + big, 4), round(via_half + small, 4)),
        enclosure=tuple(sorted(mcon.enclosure_above)) if len(mcon.enclosure_above) == 2 else (0.0, 0.0))


def gap(a: Rect, b: Rect) -> float:
    """Euclidean distance between two rectangles (0 when they touch or overlap)."""
    dx = max(b[0] - a[2], a[0] - b[2], 0.0)
    dy = max(b[1] - a[3], a[1] - b[3], 0.0)
    return math.hypot(dx, dy)


def _tracks(offset: float, pitch: float, limit: float) -> list[float]:
    count = int((limit - offset) / pitch) + 1
    return [round(offset + k * pitch, 6) for k in range(count) if offset + k * pitch < limit - EPS]


def pad_candidates(shapes: Macro, pin: str, rules: AccessRules) -> list[tuple[Rect, Rect, Rect]]:
    """Every (mcon cut, met1 pad) for a pin, best first: the cut inside the pin's li1 and as near a vertical
    track as the pin allows, the pad centred on a met1 track and reaching across the met1 of the via the
    router drops on the grid point (a pad narrower than that via on one side made qrouter shift the via off
    the grid and patch the gap, which broke the spacing to the next track), clear of the cell's own met1
    and inside the cell by half a spacing. The third rectangle is that via's met1: it must clear the cell's
    metal by more than the spacing, or qrouter takes the point away and the pin has no way in."""
    half_cut, (via_x, via_y) = rules.cut / 2, rules.via_met1
    others = shapes.fixed("met1")
    margin = rules.met1_spacing / 2
    found = []
    tracks_y = _tracks(rules.y_offset, rules.y_pitch, shapes.height)
    for rank, (half_x, half_y) in enumerate(rules.pad_sizes()):
        for r in shapes.pins[pin].get("li1", []):
            low, high = r[0] + half_cut, r[2] - half_cut
            bottom, top = r[1] + half_cut, r[3] - half_cut
            if low > high + EPS or bottom > top + EPS:
                continue
            for y in tracks_y:
                # the cut as near the track as the pin allows; a pad reaching a track one pitch away
                # covers a pin that has no usable track of its own
                y_cut = min(max(round(y / GRID) * GRID, bottom), top)
                if abs(y_cut - y) > rules.y_pitch + EPS:
                    continue
                for track in _tracks(rules.x_offset, rules.x_pitch, shapes.width):
                    x = min(max(round(min(max(track, low), high) / GRID) * GRID, low), high)
                    if abs(x - track) > rules.x_pitch / 2 + EPS:
                        continue
                    # across the via's width at the track and the cut's enclosure: a pad narrower than
                    # the via on one side makes qrouter shift the via off the grid
                    left = min(track - via_x, x - half_cut - rules.enclosure[1])
                    right = max(track + via_x, x + half_cut + rules.enclosure[1])
                    grow = max(0.0, 2 * half_x - (right - left))      # to the width the area asks
                    left = max(margin, left - grow / 2)
                    right = max(right, left + 2 * half_x)
                    if right > shapes.width - margin + EPS:
                        left, right = left - (right - shapes.width + margin), shapes.width - margin
                    pad = (round(left, 4), min(y, y_cut) - half_y, round(right, 4), max(y, y_cut) + half_y)
                    if pad[0] < margin - EPS or pad[0] > track - via_x + EPS or pad[2] < track + via_x - EPS:
                        continue
                    via = (track - via_x, y - via_y, track + via_x, y + via_y)
                    if via[0] < margin - EPS or via[2] > shapes.width - margin + EPS:
                        continue
                    if all(gap(pad, o) >= rules.met1_spacing - EPS and gap(via, o) >= rules.met1_spacing + GRID - EPS
                           for o in others):
                        found.append((rank + abs(y_cut - y) / rules.y_pitch * 2, abs(x - track),
                                      abs(y - (r[1] + r[3]) / 2),
                                      (x - half_cut, y_cut - half_cut, x + half_cut, y_cut + half_cut), pad, via))
    found.sort(key=lambda c: c[:3])
    return [tuple(tuple(round(v, 4) for v in rect) for rect in c[3:]) for c in found]


def macro_pads(shapes: Macro, rules: AccessRules) -> tuple[dict[str, dict[str, Rect]], list[str]]:
    """One pad per signal pin of a cell, the pads clear of each other: ({pin: {"mcon", "met1"}}, pins without).

    Pins with the fewest places go first, and a search with backtracking over the candidates keeps the
    choice exact for the few pins a cell has."""
    pins = [pin for pin, layers in shapes.pins.items() if "li1" in layers]
    options = {pin: pad_candidates(shapes, pin, rules) for pin in pins}
    order = sorted((pin for pin in pins if options[pin]), key=lambda pin: len(options[pin]))
    chosen: dict[str, tuple[Rect, Rect, Rect]] = {}

    def clear(cut: Rect, pad: Rect, via: Rect) -> bool:
        return all(gap(pad, o_pad) >= rules.met1_spacing - EPS and gap(cut, o_cut) >= rules.cut_spacing - EPS
                   for o_cut, o_pad, _ in chosen.values())

    def place(index: int) -> bool:
        if index == len(order):
            return True
        for candidate in options[order[index]]:
            if clear(*candidate):
                chosen[order[index]] = candidate
                if place(index + 1):
                    return True
                del chosen[order[index]]
        return False

    if not place(0):
        chosen.clear()
    missing = [pin for pin in pins if pin not in chosen]
    return {pin: {"mcon": cut, "met1": pad} for pin, (cut, pad, _) in chosen.items()}, missing


def pin_access_pads(macros: dict[str, str], tech_lef: str) -> tuple[dict[str, dict[str, dict[str, Rect]]],
                                                                      dict[str, list[str]]]:
    """cell -> pin -> {"mcon": cut, "met1": pad} for every signal pin, and cell -> pins that found no pad."""
    rules = rules_from_tech(tech_lef)
    pads: dict[str, dict[str, dict[str, Rect]]] = {}
    missing: dict[str, list[str]] = {}
    for cell, block in macros.items():
        found, lost = macro_pads(macro(block), rules)
        if found:
            pads[cell] = found
        if lost:
            missing[cell] = lost
    return pads, missing
