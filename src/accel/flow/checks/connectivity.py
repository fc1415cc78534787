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
from dataclasses import dataclass, field
from pathlib import Path

from ..layout.lefdef import def_components, def_pins, def_units, lef_macros
from ..layout.netlist import netlist_instances
from ..layout.nets import extract_nets
from ..layout.routed import ORIENTATIONS


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


def lef_pins(lef_text: str, pin_layers: tuple[str, ...]) -> dict[str, tuple[float, float, dict[str, tuple[str, tuple]]]]:
    """cell -> (width, height, pin -> (layer, rect)): one rectangle per pin to probe, the lowest of
    ``pin_layers`` preferred."""
    cells = {}
    for name, shapes in lef_macros(lef_text).items():
        pins = {}
        for pin, layers in {**shapes.pins, **shapes.power}.items():
            layer = next((layer for layer in pin_layers if layers.get(layer)), None)
            if layer is not None:
                pins[pin] = (layer, layers[layer][0])
        cells[name] = (shapes.width, shapes.height, pins)
    return cells


def pin_point(rect: tuple, width: float, height: float, x: float, y: float, orient: str) -> tuple[float, float]:
    """The centre of a LEF pin rectangle, placed at DEF (x, y) with a DEF orientation."""
    if orient not in ORIENTATIONS:
        raise ValueError(f"DEF orientation {orient} is not supported (N, S, FN, FS)")
    flip_x, flip_y = ORIENTATIONS[orient]
    cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    return x + (width - cx if flip_x else cx), y + (height - cy if flip_y else cy)


def check(gds: Path, def_file: Path, netlist: Path, lef: Path, power: str, ground: str,
          gds_layers: dict[str, tuple[int, int]], stack: tuple[str, ...],
          report: Path | None = None) -> ConnectivityResult:
    """Compare the layout's connectivity with the netlist (see the module text). ``stack``: the wiring
    layers bottom up, metals and cuts alternating; ``gds_layers``: their GDS layer/datatype."""
    import klayout.db as kdb     # heavy optional module: only the KLayout checks need it

    layout = kdb.Layout()
    layout.read(str(gds))
    top = layout.top_cell()
    top.flatten(True)
    l2n, regions = extract_nets(layout, gds_layers, stack)

    def_text = def_file.read_text(errors="replace")
    units = def_units(def_text)
    placed = {c.name: (c.cell, c.x / units, c.y / units, c.orient) for c in def_components(def_text)}
    macros = lef_pins(lef.read_text(errors="replace"), stack[::2])
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
    for pin in def_pins(def_text):
        port = pin.net.replace("<", "[").replace(">", "]")   # bus bits written as name[3], as in the netlist
        if pin.layer in regions:
            probes.append((port, f"port {port}", pin.layer, pin.x / units, pin.y / units))

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
