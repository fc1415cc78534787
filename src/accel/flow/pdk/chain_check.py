"""Sanity check of a characterised Liberty: an inverter chain timed by OpenSTA and simulated by ngspice.

The same chain (``stages`` inverters, each driving the next, the last one a fixed load) is timed twice:
OpenSTA from the Liberty tables (input slew and output load as in the simulation, ideal wires), and an
ngspice transient of the cells' transistor netlists with the same models. The two delays (input 50 % to
output 50 %, both edges) should agree within a few percent; a table mix-up (units, index order,
thresholds) shows as a large error.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .characterize import CORNER, CharacterizeError, Sky130Package, write_model_deck


@dataclass(frozen=True)
class ChainResult:
    cell: str
    stages: int
    slew_ns: float
    load_pf: float
    sta_rise_ns: float      # output rising (the input falls for an odd chain)
    sta_fall_ns: float
    spice_rise_ns: float
    spice_fall_ns: float

    @property
    def errors(self) -> tuple[float, float]:
        """Relative error of STA against ngspice, output rising and falling."""
        return (self.sta_rise_ns / self.spice_rise_ns - 1, self.sta_fall_ns / self.spice_fall_ns - 1)

    def table(self) -> str:
        rise, fall = self.errors
        return (f"{self.stages} x {self.cell}, input slew {self.slew_ns} ns, load {self.load_pf * 1000:g} fF\n"
                f"  output rise: OpenSTA {self.sta_rise_ns:.4f} ns, ngspice {self.spice_rise_ns:.4f} ns, "
                f"{rise:+.1%}\n"
                f"  output fall: OpenSTA {self.sta_fall_ns:.4f} ns, ngspice {self.spice_fall_ns:.4f} ns, "
                f"{fall:+.1%}")


def chain_verilog(cell: str, stages: int) -> str:
    nets = [f"n{i}" for i in range(stages + 1)]
    lines = ["module chain (input n0, output n%d);" % stages]
    lines += [f"  wire {net};" for net in nets[1:-1]]
    lines += [f"  {cell} u{i} (.A({nets[i]}), .Y({nets[i + 1]}));" for i in range(stages)]
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def sta_delays(liberty: Path, cell: str, stages: int, slew_ns: float, load_pf: float,
               work: Path) -> tuple[float, float]:
    """OpenSTA's n0 -> n<stages> delay for the output rising and falling."""
    (work / "chain.v").write_text(chain_verilog(cell, stages))
    script = work / "chain.tcl"
    script.write_text("\n".join([
        f"read_liberty {liberty}", f"read_verilog {work / 'chain.v'}", "link_design chain",
        f"set_input_transition {slew_ns} [get_ports n0]", f"set_load {load_pf} [get_ports n{stages}]",
        "create_clock -name virtual -period 100", "set_input_delay 0 -clock virtual [get_ports n0]",
        f"set_output_delay 0 -clock virtual [get_ports n{stages}]",
        f"report_checks -from [get_ports n0] -rise_to [get_ports n{stages}] -digits 5",
        f"report_checks -from [get_ports n0] -fall_to [get_ports n{stages}] -digits 5",
        "exit", ""]))
    result = subprocess.run(["sta", "-no_init", "-exit", str(script)], capture_output=True, text=True,
                            timeout=300, cwd=work)
    (work / "sta.log").write_text(result.stdout + result.stderr)
    arrivals = re.findall(r"^\s*([\d.]+)\s+data arrival time", result.stdout, re.M)
    if len(arrivals) != 2 or "Error" in result.stdout:
        raise CharacterizeError(f"OpenSTA could not time the chain; log: {work / 'sta.log'}")
    return float(arrivals[0]), float(arrivals[1])


def spice_delays(pdk: Sky130Package, cell: str, stages: int, slew_ns: float, load_pf: float,
                 work: Path) -> tuple[float, float]:
    """ngspice's 50 %-50 % delay through the chain for the output rising and falling."""
    deck = write_model_deck(pdk, work / "models.spice")
    vdd = CORNER["voltage"]
    # A 0-100 % ramp of slew / 0.6 has the 20-80 % slew the Liberty tables are indexed by.
    ramp = slew_ns / 0.6
    lines = [f"* {stages} x {cell}", f'.lib "{deck}" tt', f'.include "{pdk.cell_file(cell, ".spice")}"',
             f".temp {CORNER['temperature']}", f"VDD vdd 0 {vdd}",
             f"VIN n0 0 PULSE(0 {vdd} 1n {ramp}n {ramp}n 5n 10n)"]
    lines += [f"X{i} n{i} 0 0 vdd vdd n{i + 1} sky130_fd_sc_hd__{cell}" for i in range(stages)]
    last = f"n{stages}"
    odd = stages % 2 == 1
    lines += [f"CLOAD {last} 0 {load_pf}p", ".tran 1p 16n", ".control", "run",
              # Input rises at 1 ns, falls at 6 ns.
              f"meas tran d_in_rise trig v(n0) val={vdd / 2} rise=1 targ v({last}) val={vdd / 2} "
              f"{'fall' if odd else 'rise'}=1",
              f"meas tran d_in_fall trig v(n0) val={vdd / 2} fall=1 targ v({last}) val={vdd / 2} "
              f"{'rise' if odd else 'fall'}=1",
              "quit", ".endc", ".end", ""]
    (work / "chain.sp").write_text("\n".join(lines))
    result = subprocess.run(["ngspice", "-b", str(work / "chain.sp")], capture_output=True, text=True,
                            timeout=600, cwd=work)
    (work / "ngspice.log").write_text(result.stdout + result.stderr)
    values = dict(re.findall(r"^(d_in_\w+)\s*=\s*([-\d.e+]+)", result.stdout, re.M))
    if set(values) != {"d_in_rise", "d_in_fall"}:
        raise CharacterizeError(f"ngspice did not measure the chain; log: {work / 'ngspice.log'}")
    in_rise, in_fall = float(values["d_in_rise"]) * 1e9, float(values["d_in_fall"]) * 1e9
    # Output rising: for an odd chain the input fell.
    return (in_fall, in_rise) if odd else (in_rise, in_fall)


def inverter_chain_check(liberty: Path, work: Path, cell: str = "inv_1", stages: int = 9,
                         slew_ns: float = 0.1, load_pf: float = 0.01) -> ChainResult:
    work, liberty = work.resolve(), liberty.resolve()
    work.mkdir(parents=True, exist_ok=True)
    pdk = Sky130Package.find()
    sta_rise, sta_fall = sta_delays(liberty, f"sky130_fd_sc_hd__{cell}", stages, slew_ns, load_pf, work)
    spice_rise, spice_fall = spice_delays(pdk, cell, stages, slew_ns, load_pf, work)
    return ChainResult(cell, stages, slew_ns, load_pf, sta_rise, sta_fall, spice_rise, spice_fall)
