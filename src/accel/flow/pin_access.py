"""Pin-access pads: a met1 landing pad over one mcon on the few sky130 cell pins qrouter cannot reach.

qrouter reaches a pin by dropping a via at a routing-grid point inside it. A few sky130_fd_sc_hd pins
sit between the li1 tracks so that no grid point leaves room for the via's li1 pad: dfxtp_1's D pin
(x 1.37-1.65 um in the cell) has the track at 1.61, where the pad comes within 0.125 um of the li1
obstruction at 1.82 (rule LI 3: 0.17). Routing a placed PE failed on every flip-flop's D input that way.

For each such pin this module finds a place for one mcon inside the pin's li1 and a met1 pad around it,
centred on a met1 track and covering a vertical track, clear of the cell's own metal. The routing view
(LEF) gets the pad as part of the pin and the layout gets the mcon and the pad, so the router lands on
met1 and the pin is reached through a real, rule-checked contact. All numbers come from the technology
LEF: track offsets and pitches, li1 width and spacing, met1 spacing and minimum area, mcon size and
met1's enclosure of it. With them, a placed PE routed completely (58 failed nets before).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

Rect = tuple[float, float, float, float]
EPS = 1e-9


@dataclass(frozen=True)
class AccessRules:
    x_offset: float          # vertical li1 tracks: offset + k * x_pitch, relative to the cell origin
    x_pitch: float
    y_offset: float          # horizontal met1 tracks
    y_pitch: float
    li1_width: float
    li1_spacing: float
    met1_width: float
    met1_spacing: float
    met1_area: float
    cut: float               # mcon width
    enclosure: float         # met1 around mcon (the larger of the two values, on every side)

    @property
    def pad_half(self) -> float:
        half = self.cut / 2 + self.enclosure
        return max(half, math.sqrt(self.met1_area) / 2)


def rules_from_tech(tech_lef: str) -> AccessRules:
    from .sky130 import lef_layers, lef_number, min_spacing

    layers = dict(lef_layers(tech_lef))
    li1, met1, mcon = layers["li1"], layers["met1"], layers["mcon"]
    enclosure = re.search(r"ENCLOSURE\s+ABOVE\s+([\d.]+)\s+([\d.]+)", mcon)
    return AccessRules(
        x_offset=lef_number(li1, r"OFFSET\s+([\d.]+)", "li1"), x_pitch=lef_number(li1, r"PITCH\s+([\d.]+)", "li1"),
        y_offset=lef_number(met1, r"OFFSET\s+([\d.]+)", "met1"),
        y_pitch=lef_number(met1, r"PITCH\s+([\d.]+)", "met1"),
        li1_width=lef_number(li1, r"WIDTH\s+([\d.]+)\s*;", "li1"), li1_spacing=min_spacing(li1, "li1"),
        met1_width=lef_number(met1, r"WIDTH\s+([\d.]+)\s*;", "met1"), met1_spacing=min_spacing(met1, "met1"),
        met1_area=lef_number(met1, r"AREA\s+([\d.]+)", "met1"),
        cut=lef_number(mcon, r"WIDTH\s+([\d.]+)", "mcon"),
        enclosure=max(float(enclosure.group(1)), float(enclosure.group(2))) if enclosure else 0.0)


@dataclass
class MacroShapes:
    width: float
    height: float
    pins: dict[str, dict[str, list[Rect]]]      # signal pins: layer -> rects
    power: dict[str, dict[str, list[Rect]]]     # power and ground pins: layer -> rects
    obs: dict[str, list[Rect]]                  # obstructions: layer -> rects

    def fixed(self, layer: str) -> list[Rect]:
        """What no signal may touch on ``layer``: obstructions and power pins."""
        return self.obs.get(layer, []) + [r for shapes in self.power.values() for r in shapes.get(layer, [])]


def _rects(block: str) -> dict[str, list[Rect]]:
    found: dict[str, list[Rect]] = {}
    layer = None
    for line in block.splitlines():
        match = re.match(r"\s*LAYER\s+(\S+)", line)
        if match:
            layer = match.group(1)
            continue
        match = re.match(r"\s*RECT\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", line)
        if match and layer:
            found.setdefault(layer, []).append(tuple(float(v) for v in match.groups()))
    return found


def macro_shapes(macro: str) -> MacroShapes:
    """Pins and obstructions of one LEF MACRO block."""
    size = re.search(r"SIZE\s+([\d.]+)\s+BY\s+([\d.]+)", macro)
    pins, power = {}, {}
    for match in re.finditer(r"^\s*PIN\s+(\S+)(.*?)^\s*END\s+\1\b", macro, re.M | re.S):
        kind = power if re.search(r"USE\s+(POWER|GROUND)", match.group(2)) else pins
        kind[match.group(1)] = _rects(match.group(2))
    obs = re.search(r"^\s*OBS\b(.*?)^\s*END\b", macro, re.M | re.S)
    return MacroShapes(float(size.group(1)), float(size.group(2)), pins, power, _rects(obs.group(1)) if obs else {})


def gap(a: Rect, b: Rect) -> float:
    """Euclidean distance between two rectangles (0 when they touch or overlap)."""
    dx = max(b[0] - a[2], a[0] - b[2], 0.0)
    dy = max(b[1] - a[3], a[1] - b[3], 0.0)
    return math.hypot(dx, dy)


def _tracks(offset: float, pitch: float, limit: float) -> list[float]:
    count = int((limit - offset) / pitch) + 1
    return [round(offset + k * pitch, 6) for k in range(count) if offset + k * pitch < limit - EPS]


def _others(shapes: MacroShapes, pin: str, layer: str) -> list[Rect]:
    return shapes.fixed(layer) + [r for name, layers in shapes.pins.items() if name != pin
                                  for r in layers.get(layer, [])]


def li1_reachable(shapes: MacroShapes, pin: str, rules: AccessRules) -> bool:
    """A routing-grid point inside the pin where a via's li1 pad keeps its spacing to other li1."""
    half, others = rules.li1_width / 2, _others(shapes, pin, "li1")
    for x in _tracks(rules.x_offset, rules.x_pitch, shapes.width):
        for y in _tracks(rules.y_offset, rules.y_pitch, shapes.height):
            inside = any(r[0] - EPS <= x <= r[2] + EPS and r[1] - EPS <= y <= r[3] + EPS
                         for r in shapes.pins[pin].get("li1", []))
            pad = (x - half, y - half, x + half, y + half)
            if inside and all(gap(pad, o) >= rules.li1_spacing - EPS for o in others):
                return True
    return False


def access_pad(shapes: MacroShapes, pin: str, rules: AccessRules) -> tuple[Rect, Rect] | None:
    """(mcon cut, met1 pad) for a pin, or None: cut inside the pin's li1, pad on a met1 track and over a
    vertical track, clear of the cell's met1 and inside the cell by half a spacing."""
    half_cut, half_pad = rules.cut / 2, rules.pad_half
    reach = half_pad - rules.met1_width / 2          # how far a track may sit from the pad's centre
    others = _others(shapes, pin, "met1")
    margin = rules.met1_spacing / 2
    candidates = []
    for r in shapes.pins[pin].get("li1", []):
        for y in _tracks(rules.y_offset, rules.y_pitch, shapes.height):
            if not (r[1] + half_cut - EPS <= y <= r[3] - half_cut + EPS):
                continue
            for track in _tracks(rules.x_offset, rules.x_pitch, shapes.width):
                low, high = r[0] + half_cut, r[2] - half_cut
                if low > high + EPS:
                    continue
                x = round(min(max(track, low), high), 4)
                if abs(x - track) > reach + EPS:
                    continue
                pad = (x - half_pad, y - half_pad, x + half_pad, y + half_pad)
                if pad[0] < margin - EPS or pad[2] > shapes.width - margin + EPS:
                    continue
                if all(gap(pad, o) >= rules.met1_spacing - EPS for o in others):
                    candidates.append((abs(x - track), (x - half_cut, y - half_cut, x + half_cut, y + half_cut),
                                       pad))
    if not candidates:
        return None
    _, cut, pad = min(candidates)
    return tuple(round(v, 4) for v in cut), tuple(round(v, 4) for v in pad)


def pin_access_pads(macros: dict[str, str], tech_lef: str) -> dict[str, dict[str, dict[str, Rect]]]:
    """cell -> pin -> {"mcon": cut, "met1": pad} for the signal pins without clean li1 access on the grid.

    The test here is stricter than qrouter, which also reaches pins by short li1 stubs and offset vias
    (inv_1's A pin, 0.005 um beside a track, routes that way): a pin that fails it but has no room for a
    pad is left to qrouter, and the connectivity check after routing has the last word."""
    rules = rules_from_tech(tech_lef)
    pads: dict[str, dict[str, dict[str, Rect]]] = {}
    for cell, macro in macros.items():
        shapes = macro_shapes(macro)
        for pin, layers in shapes.pins.items():
            if "li1" not in layers or li1_reachable(shapes, pin, rules):
                continue
            found = access_pad(shapes, pin, rules)
            if found is not None:
                pads.setdefault(cell, {})[pin] = {"mcon": found[0], "met1": found[1]}
    return pads


def add_pads_to_macro(macro: str, pins: dict[str, dict[str, Rect]]) -> str:
    """The MACRO with each padded pin's met1 pad added to its first PORT (the routing view)."""
    for pin, shapes in pins.items():
        x1, y1, x2, y2 = shapes["met1"]
        pattern = re.compile(rf"(^\s*PIN\s+{re.escape(pin)}\b.*?^\s*PORT\s*\n)", re.M | re.S)
        macro, count = pattern.subn(
            lambda m: m.group(1) + f"      LAYER met1 ;\n        RECT {x1:.6f} {y1:.6f} {x2:.6f} {y2:.6f} ;\n",
            macro, count=1)
        if count != 1:
            raise ValueError(f"pin {pin}: no PORT to add the access pad to")
    return macro
