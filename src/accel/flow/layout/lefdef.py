"""The one reader (and text editor) of LEF and DEF in accel.

KLayout's ``klayout.db`` reads LEF/DEF into geometry, and the flow uses it for that (the sky130 stream-out,
the checks); it does not expose what the flow also needs as records: a LEF layer's rules (width, minimum
spacing incl. spacing tables, area, pitch, offset, enclosure, sheet R/C and the SkyWater rule named in a
comment), a via's rectangles, a macro's pins and obstructions; a DEF's units, die, tracks, components,
pins, nets with their wires and vias, special nets and via definitions. Those are read here, and every
edit the flow makes to a DEF or LEF (components replaced, stripes narrowed, pins grown, paths rewritten,
macros reshaped) is a function here, so no other module parses either format.

Coordinates: LEF in microns (floats), DEF in database units (ints) unless a function says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

Rect = tuple  # (x1, y1, x2, y2)

# --------------------------------------------------------------------------------------------- LEF


def lef_blocks(text: str, kind: str) -> list[tuple[str, str]]:
    """``(name, body)`` of every ``<kind> name ... END name`` block (LAYER, VIA, MACRO, SITE), in order."""
    return [m.groups() for m in re.finditer(rf"^{kind}\s+(\S+)[^\n]*\n(.*?)^END\s+\1\b", text, re.M | re.S)]


@dataclass(frozen=True)
class LefStatement:
    """One ``;``-terminated statement of a LEF block: its words, and the comment on the line it ends on."""
    words: tuple[str, ...]
    comment: str

    def numbers(self) -> list[float]:
        return [float(w) for w in self.words[1:] if re.fullmatch(r"-?[\d.]+(?:[eE][-+]?\d+)?", w)]


def lef_statements(body: str) -> tuple[list[LefStatement], list[str]]:
    """The statements of a block body (comments stripped) and the comments of its comment-only lines."""
    statements, pending, commented = [], [], []
    for line in body.splitlines():
        code, hash_, comment = line.partition("#")
        if hash_ and not code.strip():
            commented.append(comment.strip())
        parts = code.split(";")
        for i, part in enumerate(parts):
            pending += part.split()
            if i < len(parts) - 1:
                if pending:
                    statements.append(LefStatement(tuple(pending), comment.strip()))
                pending = []
    return statements, commented


@dataclass(frozen=True)
class LefLayer:
    """One LAYER of a LEF. Distances in um; ``sources`` names the rule (a LEF comment) per kind."""
    name: str
    type: str                         # ROUTING, CUT, MASTERSLICE, ...
    direction: str = ""               # "horizontal" / "vertical" for routing layers
    pitch: float | None = None        # the first value (li1: x)
    offset: float | None = None
    width: float | None = None
    spacing: float | None = None      # minimum: the spacing table's entry for width 0, else SPACING
    spacing_table: bool = False
    area: float | None = None
    rpersq: float | None = None       # ohm / square
    cpersq: float | None = None       # pF / um^2
    enclosure_below: tuple[float, ...] = ()
    enclosure_above: tuple[float, ...] = ()
    sources: dict = field(default_factory=dict, hash=False, compare=False)


def _layer(name: str, body: str) -> LefLayer:
    statements, commented = lef_statements(body)

    def first(*keys: str) -> LefStatement | None:
        return next((s for s in statements if s.words[:len(keys)] == keys), None)

    def value(*keys: str) -> float | None:
        found = first(*keys)
        numbers = found.numbers() if found else []
        return numbers[0] if numbers else None

    sources = {}
    for kind, keys in (("width", ("WIDTH",)), ("area", ("AREA",)), ("spacing", ("SPACING",)),
                       ("enclosure_below", ("ENCLOSURE", "BELOW")), ("enclosure_above", ("ENCLOSURE", "ABOVE"))):
        found = first(*keys)
        if found is not None:
            sources[kind] = found.comment or "tech LEF"
    table = first("SPACINGTABLE")
    table_value = None
    if table is not None:
        words = table.words
        for i, word in enumerate(words[:-2]):
            if word == "WIDTH" and words[i + 1] == "0":
                table_value = float(words[i + 2])
                break
        # The plain rule stays in SkyWater's LEF as a comment naming it: "# SPACING 0.14 ; # Met1 2".
        named = next((m.group(1).strip() for c in commented
                      if (m := re.match(r"SPACING\s+[\d.]+\s*;\s*#\s*(.+)", c))), None)
        sources["spacing"] = named or "SPACINGTABLE"
    kind = first("TYPE")
    direction = first("DIRECTION")
    below, above = first("ENCLOSURE", "BELOW"), first("ENCLOSURE", "ABOVE")
    return LefLayer(
        name=name, type=kind.words[1] if kind else "", direction=direction.words[1].lower() if direction else "",
        pitch=value("PITCH"), offset=value("OFFSET"), width=value("WIDTH"),
        spacing=table_value if table_value is not None else value("SPACING"), spacing_table=table_value is not None,
        area=value("AREA"), rpersq=value("RESISTANCE", "RPERSQ"), cpersq=value("CAPACITANCE", "CPERSQDIST"),
        enclosure_below=tuple(below.numbers()) if below else (), enclosure_above=tuple(above.numbers()) if above else (),
        sources=sources)


def lef_layers(text: str) -> dict[str, LefLayer]:
    """Every LAYER of a LEF, in order."""
    return {name: _layer(name, body) for name, body in lef_blocks(text, "LAYER")}


def routing_layers(text: str) -> list[LefLayer]:
    return [layer for layer in lef_layers(text).values() if layer.type == "ROUTING"]


def lef_vias(text: str) -> dict[str, dict[str, list[Rect]]]:
    """Every fixed VIA: layer -> its rectangles (um, relative to the via's origin)."""
    return {name: _rects(body) for name, body in lef_blocks(text, "VIA")}


def lef_site(text: str, name: str) -> tuple[float, float] | None:
    """(width, height) of SITE ``name``."""
    found = re.search(rf"SITE\s+{re.escape(name)}\b.*?SIZE\s+([\d.]+)\s+BY\s+([\d.]+)", text, re.S)
    return (float(found.group(1)), float(found.group(2))) if found else None


@dataclass
class Macro:
    """Pins and obstructions of one LEF MACRO, um."""
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


def macro_texts(text: str) -> dict[str, str]:
    """MACRO name -> its whole ``MACRO ... END name`` block."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^MACRO\s+(\S+).*?^END\s+\1\b", text, re.M | re.S)}


def macro(block: str) -> Macro:
    """Pins and obstructions of one MACRO block."""
    size = re.search(r"SIZE\s+([\d.]+)\s+BY\s+([\d.]+)", block)
    if not size:
        raise ValueError(f"MACRO {block.split()[1] if len(block.split()) > 1 else '?'} has no SIZE")
    pins, power = {}, {}
    for match in re.finditer(r"^\s*PIN\s+(\S+)(.*?)^\s*END\s+\1\b", block, re.M | re.S):
        kind = power if re.search(r"USE\s+(POWER|GROUND)", match.group(2)) else pins
        kind[match.group(1)] = _rects(match.group(2))
    obs = re.search(r"^\s*OBS\b(.*?)^\s*END\b", block, re.M | re.S)
    return Macro(float(size.group(1)), float(size.group(2)), pins, power, _rects(obs.group(1)) if obs else {})


def lef_macros(text: str) -> dict[str, Macro]:
    return {name: macro(block) for name, block in macro_texts(text).items()}


def macro_widths(text: str) -> dict[str, float]:
    """MACRO name -> its width (um)."""
    return {name: float(size) for name, size in re.findall(r"^MACRO\s+(\S+).*?^\s*SIZE\s+([\d.]+)\s+BY", text,
                                                           re.M | re.S)}


# LEF edits ---------------------------------------------------------------------------------------

def macro_add_port_rect(block: str, pin: str, layer: str, rect: Rect) -> str:
    """The MACRO with ``rect`` on ``layer`` added to pin ``pin``'s first PORT."""
    x1, y1, x2, y2 = rect
    pattern = re.compile(rf"(^\s*PIN\s+{re.escape(pin)}\b.*?^\s*PORT\s*\n)", re.M | re.S)
    block, count = pattern.subn(
        lambda m: m.group(1) + f"      LAYER {layer} ;\n        RECT {x1:.6f} {y1:.6f} {x2:.6f} {y2:.6f} ;\n",
        block, count=1)
    if count != 1:
        raise ValueError(f"pin {pin}: no PORT to add a rectangle to")
    return block


def macro_without_layer(block: str, layer: str) -> str:
    """The MACRO without its shapes on ``layer``, and without the pin ports that held only those."""
    block = re.sub(rf"^\s*LAYER {re.escape(layer)} ;\n(?:\s*(?:RECT|POLYGON)[^;]*;\n)*", "", block, flags=re.M)
    return re.sub(r"^\s*PORT\n\s*END\n", "", block, flags=re.M)


def macro_without_pins(block: str, pins: tuple[str, ...]) -> str:
    names = "|".join(re.escape(p) for p in pins)
    return re.sub(rf"^  PIN ({names})\b.*?^  END \1\n", "", block, flags=re.M | re.S)


def lef_layer_as(text: str, layer: str, old_type: str, new_type: str) -> str:
    """The LEF with LAYER ``layer``'s TYPE changed."""
    return re.sub(rf"^(LAYER {re.escape(layer)}\s*\n\s*TYPE ){old_type}", rf"\g<1>{new_type}", text, flags=re.M)


def lef_without_vias(text: str, prefix: str) -> str:
    """The LEF without its VIA and VIARULE blocks whose names start with ``prefix``."""
    return re.sub(rf"^(VIA|VIARULE) ({re.escape(prefix)}\S*)\b.*?^END \2\s*\n", "", text, flags=re.M | re.S)


LEF_HEADER = 'VERSION 5.7 ;\nNAMESCASESENSITIVE ON ;\nBUSBITCHARS "[]" ;\nDIVIDERCHAR "/" ;\n\n'


# --------------------------------------------------------------------------------------------- DEF

def def_units(text: str) -> int:
    """DEF database units per micron."""
    units = re.search(r"UNITS\s+DISTANCE\s+MICRONS\s+(\d+)", text)
    if not units:
        raise ValueError("no UNITS DISTANCE MICRONS")
    return int(units.group(1))


def def_die(text: str) -> tuple[int, int, int, int] | None:
    """The DIEAREA corners (x1, y1, x2, y2), if there is one."""
    die = re.search(r"DIEAREA\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)", text)
    return tuple(int(v) for v in die.groups()) if die else None


def def_die_size(text: str) -> tuple[float, float]:
    """(width, height) of the die in um."""
    units, die = def_units(text), def_die(text)
    if not die:
        raise ValueError("no DIEAREA")
    x1, y1, x2, y2 = die
    return (x2 - x1) / units, (y2 - y1) / units


@dataclass(frozen=True)
class Tracks:
    axis: str           # "X": vertical tracks at x = start + k * step; "Y": horizontal ones
    start: int
    count: int
    step: int
    layer: str


def def_tracks(text: str) -> list[Tracks]:
    return [Tracks(axis, int(float(start)), int(count), int(float(step)), layer) for axis, start, count, step, layer
            in re.findall(r"^TRACKS\s+([XY])\s+(-?[\d.]+)\s+DO\s+(\d+)\s+STEP\s+([\d.]+)\s+LAYER\s+(\S+)\s*;",
                          text, re.M)]


@dataclass
class Component:
    name: str
    cell: str
    status: str
    x: int
    y: int
    orient: str

    def line(self) -> str:
        return f"- {self.name} {self.cell} + {self.status} ( {self.x} {self.y} ) {self.orient} ;"


COMPONENT = re.compile(r"^- (\S+) (\S+) \+ (PLACED|FIXED) \( (-?\d+) (-?\d+) \) (\w+)")


def _section_lines(lines: list[str], name: str) -> tuple[int, int]:
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{name} "))
        end = next(i for i in range(start, len(lines)) if lines[i].startswith(f"END {name}"))
    except StopIteration:
        raise ValueError(f"the DEF has no {name} section") from None
    return start, end


def def_components(text: str) -> list[Component]:
    """The placed components, one ``- name cell + PLACED ( x y ) orient ;`` line each (as qflow writes)."""
    lines = text.splitlines()
    start, end = _section_lines(lines, "COMPONENTS")
    components = []
    for line in lines[start + 1:end]:
        if not line.strip():
            continue
        match = COMPONENT.match(line.strip())
        if not match:
            raise ValueError(f"cannot read the DEF component line {line.strip()!r}")
        name, cell, status, x, y, orient = match.groups()
        components.append(Component(name, cell, status, int(x), int(y), orient))
    return components


def replace_components(text: str, components: list[Component]) -> str:
    """The DEF with its COMPONENTS section holding ``components``."""
    lines = text.splitlines()
    start, end = _section_lines(lines, "COMPONENTS")
    out = "\n".join(lines[:start] + [f"COMPONENTS {len(components)} ;"] + [c.line() for c in components] + lines[end:])
    return out + ("\n" if text.endswith("\n") else "")


@dataclass(frozen=True)
class DefPin:
    """A PIN of the design: its net, layer, rectangle (relative to its position) and position."""
    name: str
    net: str
    layer: str
    rect: tuple[int, int, int, int]
    x: int
    y: int


#: ``- name + NET net ... + LAYER layer ( x1 y1 ) ( x2 y2 ) ... + PLACED ( x y )``
PIN = re.compile(r"^(- (\S+) \+ NET (\S+)[^;]*?\+ LAYER (\w+) )\( (-?\d+) (-?\d+) \) \( (-?\d+) (-?\d+) \)"
                 r"([^;]*?\+ (?:PLACED|FIXED) \( (-?\d+) (-?\d+) \))", re.M)


def _pins_section(text: str) -> re.Match | None:
    return re.search(r"^PINS\b.*?^END PINS", text, re.M | re.S)


def def_pins(text: str) -> list[DefPin]:
    section = _pins_section(text)
    if not section:
        return []
    return [DefPin(m.group(2), m.group(3), m.group(4), tuple(int(v) for v in m.group(5, 6, 7, 8)),
                   int(m.group(10)), int(m.group(11))) for m in PIN.finditer(section.group(0))]


def edit_pin_rects(text: str, new_rect: Callable[[DefPin], tuple[int, int, int, int] | None]) -> tuple[str, int]:
    """The DEF with each pin's rectangle replaced by ``new_rect(pin)`` where that is not None; and how many."""
    section = _pins_section(text)
    if not section:
        return text, 0
    changed = 0

    def one(m: re.Match) -> str:
        nonlocal changed
        pin = DefPin(m.group(2), m.group(3), m.group(4), tuple(int(v) for v in m.group(5, 6, 7, 8)),
                     int(m.group(10)), int(m.group(11)))
        rect = new_rect(pin)
        if rect is None or tuple(rect) == pin.rect:
            return m.group(0)
        changed += 1
        return f"{m.group(1)}( {rect[0]} {rect[1]} ) ( {rect[2]} {rect[3]} ){m.group(9)}"

    body = PIN.sub(one, section.group(0))
    return text[:section.start()] + body + text[section.end():], changed


def def_vias(text: str) -> dict[str, dict[str, Rect]]:
    """The VIAS section's via definitions: layer -> the bounding box of its rectangles."""
    start = text.find("\nVIAS")
    if start < 0:
        return {}
    vias = {}
    for block in text[start:text.find("END VIAS", start)].split("\n- ")[1:]:
        pads: dict[str, Rect] = {}
        for layer, *xy in re.findall(r"RECT\s+(\S+)\s+\(\s*(-?\d+)\s+(-?\d+)\s*\)\s*\(\s*(-?\d+)\s+(-?\d+)", block):
            r = tuple(int(v) for v in xy)
            old = pads.get(layer, r)
            pads[layer] = (min(old[0], r[0]), min(old[1], r[1]), max(old[2], r[2]), max(old[3], r[3]))
        vias[block.split()[0]] = pads
    return vias


def edit_via_rects(text: str, names: set[str], new_half: Callable[[str, int], int | None]) -> tuple[str, int]:
    """The DEF with the x-symmetric rectangles (-h .. h) of the VIAS named ``names`` narrowed to
    ``new_half(layer, h)`` where that is not None; and how many changed."""
    vias = re.search(r"^VIAS\b.*?^END VIAS", text, re.M | re.S)
    if not vias or not names:
        return text, 0
    rect = re.compile(r"(\+\s*RECT\s+(\w+)\s+\(\s*)(-?\d+)(\s+-?\d+\s*\)\s+\(\s*)(-?\d+)(\s+-?\d+\s*\))")
    changed = 0

    def block(b: re.Match) -> str:
        if b.group(1) not in names:
            return b.group(0)

        def one(m: re.Match) -> str:
            nonlocal changed
            layer, x1, x2 = m.group(2), int(m.group(3)), int(m.group(5))
            if x1 != -x2:
                return m.group(0)
            half = new_half(layer, x2)
            if half is None or half >= x2:
                return m.group(0)
            changed += 1
            return f"{m.group(1)}{-half}{m.group(4)}{half}{m.group(6)}"

        return rect.sub(one, b.group(0))

    body = re.sub(r"^- (\S+)\s*\n.*?;", block, vias.group(0), flags=re.M | re.S)
    return text[:vias.start()] + body + text[vias.end():], changed


# Special nets -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpecialWire:
    net: str
    layer: str
    width: int
    points: list
    via: str | None


TOKEN = re.compile(r"\(|\)|[^\s()]+")


def special_wires(text: str) -> list[SpecialWire]:
    """Every wire of SPECIALNETS (power stripes, their via stacks, qrouter's pin stubs)."""
    start = text.find("\nSPECIALNETS")
    if start < 0:
        return []
    section = text[start:text.find("END SPECIALNETS", start)]
    wires = []
    for block in section.split("\n- ")[1:]:
        name = block.split()[0]
        for layer, width, rest in re.findall(r"(?:ROUTED|FIXED|COVER|SHIELD|NEW)\s+(\w+)\s+(\d+)\s+([^\n;]*)", block):
            path = parse_path([layer, *TOKEN.findall(rest.split("+")[0])], -1)
            wires.append(SpecialWire(name, layer, int(width), path.points, path.via))
    return wires


#: A vertical stripe: ``ROUTED layer width ( x y ) ( * y2 )``.
STRIPE = re.compile(r"((?:NEW|ROUTED|FIXED)\s+(\w+)\s+)(\d+)(\s+\(\s*(-?\d+)\s+-?\d+\s*\)\s+\(\s*\*\s+-?\d+\s*\))")
#: A via dropped at a point: ``( x y ) ( * * ) VIA``.
VIA_AT = re.compile(r"\(\s*(-?\d+)\s+-?\d+\s*\)\s+\(\s*\*\s+\*\s*\)\s+(\S+)")


def vertical_stripes(text: str) -> tuple[list[tuple[str, int, int]], list[tuple[int, str]]]:
    """SPECIALNETS' vertical stripes as (layer, width, x) and the vias dropped on points as (x, via)."""
    special = re.search(r"^SPECIALNETS\b.*?^END SPECIALNETS", text, re.M | re.S)
    if not special:
        return [], []
    body = special.group(0)
    return ([(m.group(2), int(m.group(3)), int(m.group(5))) for m in STRIPE.finditer(body)],
            [(int(x), name) for x, name in VIA_AT.findall(body)])


def edit_stripe_widths(text: str, new_width: Callable[[str, int, int], int | None]) -> tuple[str, int]:
    """The DEF with each vertical stripe's width replaced by ``new_width(layer, width, x)`` where that is
    not None and smaller; and how many changed."""
    special = re.search(r"^SPECIALNETS\b.*?^END SPECIALNETS", text, re.M | re.S)
    if not special:
        return text, 0
    changed = 0

    def one(m: re.Match) -> str:
        nonlocal changed
        width = new_width(m.group(2), int(m.group(3)), int(m.group(5)))
        if width is None or width >= int(m.group(3)):
            return m.group(0)
        changed += 1
        return f"{m.group(1)}{width}{m.group(4)}"

    body = STRIPE.sub(one, special.group(0))
    return text[:special.start()] + body + text[special.end():], changed


# Regular nets -------------------------------------------------------------------------------------

@dataclass
class Statement:
    """One ``ROUTED``/``NEW`` path of a net: its layer, points, and the via at its end (if any)."""
    layer: str
    points: list[tuple[int, int]]
    via: str | None
    line: int                      # index into the DEF's lines where the statement starts (-1: not from it)

    def shapes(self, tech) -> list[tuple[str, Rect]]:
        """(layer, rectangle) of each wire segment (ends extended by half the width, as DEF says) and of
        each pad of the via, in DEF units; ``tech`` gives half widths and via pads (layout.routed.Tech).
        A lone point with no via is a square of the wire's width."""
        h = tech.half_width[self.layer]
        out = []
        pts = self.points if len(self.points) > 1 or self.via else self.points * 2
        for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
            out.append((self.layer, (min(x1, x2) - h, min(y1, y2) - h, max(x1, x2) + h, max(y1, y2) + h)))
        if self.via:
            out += tech.via_pads(self.via, *self.points[-1]).items()
        return out


def parse_path(tokens: list[str], line: int) -> Statement:
    """A DEF path (``metal1 ( x y ) ( * y2 ) VIA``) from its tokens; ``*`` repeats the last coordinate.
    Only a via at the end is understood (qrouter writes nothing else)."""
    layer, points, via, x, y, i = tokens[0], [], None, None, None, 1
    while i < len(tokens):
        if tokens[i] == "(":
            if via is not None:
                raise ValueError(f"line {line + 1}: a path that goes on after its via ({via}) is not supported")
            x = x if tokens[i + 1] == "*" else int(tokens[i + 1])
            y = y if tokens[i + 2] == "*" else int(tokens[i + 2])
            points.append((x, y))
            i = tokens.index(")", i) + 1
        else:
            via = tokens[i]
            i += 1
    return Statement(layer, points, via, line)


def format_path(path: Statement, first: bool) -> str:
    """A path as a DEF ``+ ROUTED``/``NEW`` line (``*`` for a repeated coordinate)."""
    pts, previous = [], None
    for x, y in path.points:
        if previous is None:
            pts.append(f"( {x} {y} )")
        else:
            pts.append(f"( {x if x != previous[0] else '*'} {y if y != previous[1] else '*'} )")
        previous = (x, y)
    via = f" {path.via}" if path.via else ""
    return f"{'+ ROUTED' if first else '  NEW'} {path.layer} {' '.join(pts)}{via} "


@dataclass
class Net:
    name: str
    pins: list[tuple[str, str]]
    paths: list[Statement]


def parse_nets(lines: list[str]) -> tuple[list[Net], int, int]:
    """Regular nets of a routed DEF (its lines): pins and route statements, with the line each starts on."""
    start, end = _section_lines(lines, "NETS")
    nets, net = [], None
    for i in range(start + 1, end):
        line = lines[i].strip()
        if line.startswith("- "):
            net = Net(line[2:].split()[0], [], [])
            nets.append(net)
            continue
        if line.startswith("(") and net is not None:
            net.pins += [(inst, pin) for inst, pin in re.findall(r"\(\s*(\S+)\s+(\S+)\s*\)", line) if inst != "PIN"]
        found = re.match(r"(?:\+\s*ROUTED|NEW)\s+(.*?)\s*;?\s*$", line)
        if found and net is not None:
            net.paths.append(parse_path(TOKEN.findall(found.group(1)), i))
    return nets, start, end


def def_wirelength(text: str) -> float:
    """Total routed wire length (um) of the NETS section (sum of segment lengths)."""
    units = def_units(text)
    nets = text[text.find("\nNETS"):]
    total = 0
    for path in re.finditer(r"(?:ROUTED|NEW)\s+\w+((?:\s*\(\s*[-\d*]+\s+[-\d*]+(?:\s+[-\d*]+)?\s*\)|\s+\w+)*)", nets):
        points = re.findall(r"\(\s*([-\d*]+)\s+([-\d*]+)", path.group(1))
        x = y = None
        for px, py in points:
            nx = x if px == "*" else int(px)
            ny = y if py == "*" else int(py)
            if x is not None:
                total += abs(nx - x) + abs(ny - y)
            x, y = nx, ny
    return total / units
