"""Connectivity check of a routed sky130 layout against the gate netlist (KLayout), independent of the router.

qrouter can report "No failed routes" while an open remains, so a layout is trusted only after a check
that reads the layout itself. There is no magic technology file or netgen setup for sky130 here, so this
check does what LVS does for the wiring, with KLayout:

1. Flatten the GDS (cells with their real layouts, routing, pin-access pads) and extract the nets formed
   by li1, mcon, met1, via, met2, ... met5 (:data:`CONNECTIONS`).
2. For every pin of every instance in the gate-level netlist, probe the layout at a point inside the
   pin's li1 shape (LEF pin geometry moved to the instance's DEF placement and orientation); for every
   top-level port, probe at its DEF pin position; for every cell's power and ground pins, probe their rails.
3. Compare: each netlist net must be one layout net (else an **open**), and each layout net may carry
   only one netlist net (else a **short**). A pin with no metal under its probe point is an open too.

Cell internals (transistors, poly, diffusion) are not compared: the cells come from SkyWater's library.
The placement is taken from the DEF (which instance sits where); the wiring is checked only in the GDS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .klayout_drc import GDS_LAYERS
from .pin_access import macro_shapes

#: The layers that form wires, in order; neighbours connect through the cut between them.
CONNECTIONS = ("li1", "mcon", "met1", "via", "met2", "via2", "met3", "via3", "met4", "via4", "met5")
PIN_LAYERS = ("li1", "met1", "met2", "met3", "met4", "met5")

# DEF orientation -> (mirror x about the cell's vertical axis, mirror y about its horizontal axis)
ORIENTATIONS = {"N": (False, False), "S": (True, True), "FN": (True, False), "FS": (False, True)}


@dataclass
class ConnectivityResult:
    nets: int = 0
    pins: int = 0
    opens: list[str] = field(default_factory=list)
    shorts: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.opens and not self.shorts

    def summary(self) -> str:
        return f"{self.nets} nets, {self.pins} pins: {len(self.opens)} opens, {len(self.shorts)} shorts"


def netlist_instances(verilog: str) -> dict[str, tuple[str, dict[str, str]]]:
    """instance -> (cell, pin -> net) of a flat gate-level Verilog netlist."""
    body = verilog[verilog.find(";") + 1:]
    instances = {}
    for match in re.finditer(r"^\s*([A-Za-z_][\w$]*)\s+([\\A-Za-z_][^\s(]*)\s*\((.*?)\);", body, re.M | re.S):
        cell, name, ports = match.groups()
        if cell in ("module", "input", "output", "inout", "wire", "assign"):
            continue
        pins = {pin: net.strip() for pin, net in re.findall(r"\.(\w+)\s*\(\s*([^()]*?)\s*\)", ports)}
        instances[name] = (cell, pins)
    return instances


def def_placements(def_text: str) -> tuple[float, dict[str, tuple[str, float, float, str]]]:
    """(DEF units per um, instance -> (cell, x um, y um, orientation))."""
    units = float(re.search(r"UNITS\s+DISTANCE\s+MICRONS\s+(\d+)", def_text).group(1))
    section = def_text[def_text.find("\nCOMPONENTS"):def_text.find("END COMPONENTS")]
    placed = {}
    for match in re.finditer(r"^- (\S+) (\S+) \+ (?:PLACED|FIXED) \( (-?\d+) (-?\d+) \) (\w+)", section, re.M):
        name, cell, x, y, orient = match.groups()
        placed[name] = (cell, int(x) / units, int(y) / units, orient)
    return units, placed


def def_ports(def_text: str, units: float) -> dict[str, tuple[str, float, float]]:
    """net -> (layer, x um, y um) of each DEF PIN (bus bits written as name[3], as in the netlist)."""
    section = def_text[def_text.find("\nPINS"):def_text.find("END PINS")]
    ports = {}
    for block in section.split("\n- ")[1:]:
        net = re.search(r"\+ NET (\S+)", block)
        name = (net.group(1) if net else block.split()[0]).replace("<", "[").replace(">", "]")
        layer = re.search(r"\+ LAYER (\S+)", block)
        placed = re.search(r"\+ (?:PLACED|FIXED) \( (-?\d+) (-?\d+) \)", block)
        if layer and placed:
            ports[name] = (layer.group(1), int(placed.group(1)) / units, int(placed.group(2)) / units)
    return ports


def lef_pins(lef_text: str) -> dict[str, tuple[float, float, dict[str, tuple[str, tuple]]]]:
    """cell -> (width, height, pin -> (layer, rect)): one rectangle per pin to probe, li1 preferred."""
    cells = {}
    for macro in re.finditer(r"^MACRO\s+(\S+).*?^END\s+\1", lef_text, re.M | re.S):
        shapes = macro_shapes(macro.group(0))
        pins = {}
        for pin, layers in {**shapes.pins, **shapes.power}.items():
            layer = next((name for name in PIN_LAYERS if layers.get(name)), None)
            if layer is not None:
                pins[pin] = (layer, layers[layer][0])
        cells[macro.group(1)] = (shapes.width, shapes.height, pins)
    return cells


def pin_point(rect: tuple, width: float, height: float, x: float, y: float, orient: str) -> tuple[float, float]:
    """The centre of a LEF pin rectangle, placed at DEF (x, y) with a DEF orientation."""
    if orient not in ORIENTATIONS:
        raise ValueError(f"DEF orientation {orient} is not supported (N, S, FN, FS)")
    flip_x, flip_y = ORIENTATIONS[orient]
    cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    return x + (width - cx if flip_x else cx), y + (height - cy if flip_y else cy)


def extract_nets(layout):
    """The nets of the flat top cell of ``layout`` through li1, met1..met5 and their cuts (KLayout
    ``LayoutToNetlist``): the extractor and its layer regions by name, for ``probe_net``."""
    import klayout.db as kdb

    l2n = kdb.LayoutToNetlist(kdb.RecursiveShapeIterator(layout, layout.top_cell(), []))
    regions = {}
    for name in CONNECTIONS:
        index = layout.find_layer(*GDS_LAYERS[name])
        regions[name] = l2n.make_layer(index, name) if index is not None else l2n.make_layer(name)
    for lower, upper in zip(CONNECTIONS, CONNECTIONS[1:]):
        l2n.connect(regions[lower])
        l2n.connect(regions[lower], regions[upper])
    l2n.connect(regions[CONNECTIONS[-1]])
    l2n.extract_netlist()
    return l2n, regions


def check(gds: Path, def_file: Path, netlist: Path, lef: Path, power: str, ground: str,
          report: Path | None = None) -> ConnectivityResult:
    """Compare the layout's connectivity with the netlist (see the module text)."""
    import klayout.db as kdb

    layout = kdb.Layout()
    layout.read(str(gds))
    top = layout.top_cell()
    top.flatten(True)
    l2n, regions = extract_nets(layout)

    def_text = def_file.read_text(errors="replace")
    units, placed = def_placements(def_text)
    macros = lef_pins(lef.read_text(errors="replace"))
    result = ConnectivityResult()
    probes: list[tuple[str, str, str, float, float]] = []        # (netlist net, where, layer, x, y)
    for name, (cell, pins) in netlist_instances(netlist.read_text(errors="replace")).items():
        if name not in placed:
            result.opens.append(f"{name} ({cell}): in the netlist but not placed in the DEF")
            continue
        if cell not in macros:
            result.opens.append(f"{name}: cell {cell} is not in the LEF")
            continue
        _, x, y, orient = placed[name]
        width, height, shapes = macros[cell]
        for pin, net in pins.items():
            if pin in shapes and net:
                layer, rect = shapes[pin]
                probes.append((net, f"{name}/{pin}", layer, *pin_point(rect, width, height, x, y, orient)))
    for name, (cell, x, y, orient) in placed.items():             # rails of every cell, fill and taps too
        if cell not in macros:
            continue
        width, height, shapes = macros[cell]
        for pin in (power, ground):
            if pin in shapes:
                layer, rect = shapes[pin]
                probes.append((pin, f"{name}/{pin}", layer, *pin_point(rect, width, height, x, y, orient)))
    for port, (layer, x, y) in def_ports(def_text, units).items():
        if layer in regions:
            probes.append((port, f"port {port}", layer, x, y))

    # probe_net answers with the net of whatever connected shape is near, even where the probed layer has
    # no shape; so first find, per layer and in one pass, which probe points really sit on that layer.
    dbu = layout.dbu
    on_layer: set[tuple[str, int, int]] = set()
    for layer in {probe[2] for probe in probes}:
        points = kdb.Region()
        points.merged_semantics = False          # keep coincident and neighbouring probes apart
        for _, _, probe_layer, x, y in probes:
            if probe_layer == layer:
                px, py = round(x / dbu), round(y / dbu)
                points.insert(kdb.Box(px - 1, py - 1, px + 1, py + 1))
        for polygon in points.interacting(regions[layer]).each():
            box = polygon.bbox()
            on_layer.add((layer, box.left + 1, box.bottom + 1))

    members: dict[str, set] = {}          # netlist net -> layout nets
    carried: dict[str, set] = {}          # layout net -> netlist nets
    for net, where, layer, x, y in probes:
        result.pins += 1
        found = None
        if (layer, round(x / dbu), round(y / dbu)) in on_layer:
            found = l2n.probe_net(regions[layer], kdb.DPoint(x, y))
        if found is None:
            result.opens.append(f"{where} (net {net}): no {layer} at the pin")
            continue
        members.setdefault(net, set()).add(found.expanded_name())
        carried.setdefault(found.expanded_name(), set()).add(net)

    result.nets = len(members)
    for net, layout_nets in sorted(members.items()):
        if len(layout_nets) > 1:
            result.opens.append(f"net {net}: split into {len(layout_nets)} pieces in the layout")
    for layout_net, nets in sorted(carried.items()):
        if len(nets) > 1:
            result.shorts.append(f"layout net {layout_net} joins {', '.join(sorted(nets)[:4])}"
                                 + (" ..." if len(nets) > 4 else ""))
    if report is not None:
        report.write_text(json.dumps({"gds": str(gds), "nets": result.nets, "pins": result.pins,
                                      "opens": result.opens, "shorts": result.shorts}, indent=1) + "\n")
    return result
