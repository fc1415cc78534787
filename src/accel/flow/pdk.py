"""PDK descriptors: everything the physical flow needs to know about a standard-cell library.

Only OSU 0.18 um (Debian ``qflow-tech-osu018``) is complete here. Keep every library-specific fact in a
descriptor so another PDK is one more entry, not edits across the steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..tools import ToolMissing


@dataclass(frozen=True)
class Pdk:
    name: str
    qflow_tech: str             # technology name qflow's scripts know
    tech_dir: Path
    lef: str                    # file names inside tech_dir
    liberty: str
    spice: str
    verilog: str
    magicrc: str
    netgen_setup: str
    package: str                # what to install when the files are missing
    power: str = "vdd"
    ground: str = "gnd"
    site_height_um: float = 10.0
    layers: tuple[str, ...] = ("metal1", "metal2", "metal3", "metal4", "metal5", "metal6")
    caveat: str = ""
    extra: dict = field(default_factory=dict)

    def path(self, attr: str) -> Path:
        return self.tech_dir / getattr(self, attr)

    def check(self) -> "Pdk":
        for attr in ("lef", "liberty", "spice", "verilog", "magicrc", "netgen_setup"):
            if not self.path(attr).is_file():
                raise ToolMissing(f"PDK {self.name}: {self.path(attr)} not found: apt-get install {self.package}")
        return self

    @cached_property
    def cell_areas(self) -> dict[str, float]:
        """Cell name -> area (um^2) from the Liberty file."""
        areas: dict[str, float] = {}
        current = None
        for line in self.path("liberty").read_text(errors="replace").splitlines():
            match = re.match(r"\s*cell\s*\(\s*\"?([\w$]+)\"?\s*\)", line)
            if match:
                current = match.group(1)
                continue
            match = re.match(r"\s*area\s*:\s*([\d.eE+-]+)", line)
            if match and current is not None and current not in areas:
                areas[current] = float(match.group(1))
        return areas


OSU018 = Pdk(
    name="osu018",
    qflow_tech="osu018",
    tech_dir=Path("/usr/share/qflow/tech/osu018"),
    lef="osu018_stdcells.lef",
    liberty="osu018_stdcells.lib",
    spice="osu018_stdcells.sp",
    verilog="osu018_stdcells.v",
    magicrc="osu018.magicrc",
    netgen_setup="osu018_setup.tcl",
    package="qflow-tech-osu018",
    caveat=("Debian's qflow-tech-osu018 ships no cell GDS: the layout holds the routing over the cells' "
            "LEF abstracts (pins, obstructions), not transistor layouts. A verified flow, not a mask."),
    extra={"fill_cell": "FILL"},
)

PDKS = {"osu018": OSU018}


def get_pdk(name: str) -> Pdk:
    return PDKS[name].check()
