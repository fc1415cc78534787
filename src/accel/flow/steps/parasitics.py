"""parasitics: qrouter's RC file -> SPEF (qflow's rc2dly), repaired so OpenSTA can read it.

rc2dly writes ``*C_UNIT 1 FF`` but its values are in pF, names internal nodes ``12_3`` instead of
``*12:3``, and keeps Yosys' ``net[3]`` names where the netlist says ``net_3_``; OpenSTA would drop those
parasitics with thousands of warnings, so each is fixed here (and sta_post fails if any record is left
unmatched).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..step import FlowContext, Step, StepError, run_tool
from .qflow import BIN


def netlist_ports(netlist: Path) -> set[str]:
    text = netlist.read_text(errors="replace")
    header = re.search(r"module\s+\w+\s*\(([^)]*)\)", text)
    return {name.strip() for name in header.group(1).split(",")} if header else set()


def repair_spef(text: str, ports: set[str]) -> str:
    text = text.replace("*C_UNIT 1 FF", "*C_UNIT 1 PF")
    # Internal nodes: "12_3" -> "*12:3" (net 12 in the name map, node 3).
    text = re.sub(r"(?<![\w*:\[\]])(\d+)_(\d+)(?![\w.\[\]])", r"*\1:\2", text)

    # Bit-selected internal nets: "x[3]" -> "x_3_" as blif2Verilog names them; ports keep brackets.
    def bus_bit(match: re.Match) -> str:
        name, index = match.group(1), match.group(2)
        return match.group(0) if name in ports else f"{name}_{index}_"

    return re.sub(r"(?<![\w\\])([A-Za-z_][\w$]*)\[(\d+)\]", bus_bit, text)


class Parasitics(Step):
    name = "parasitics"
    tools = ("qflow",)
    description = "RC extraction from the routed layout to SPEF"

    def inputs(self, ctx):
        return [ctx.output("route", f"layout/{ctx.top}.rc"), ctx.output("route", f"synthesis/{ctx.top}.rtlnopwr.v"),
                ctx.pdk.path("liberty")]

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        raw = work / f"{ctx.top}.raw.spef"
        run_tool([str(BIN / "rc2dly"), "-D", ":", "-r", str(ctx.output("route", f"layout/{ctx.top}.rc")),
                  "-l", str(ctx.pdk.path("liberty")), "-d", str(raw)], log, cwd=work, timeout=ctx.timeout,
                 step=self.name)
        if not raw.exists() or raw.stat().st_size == 0:
            raise StepError(self.name, "rc2dly wrote no SPEF", log)
        ports = netlist_ports(ctx.output("route", f"synthesis/{ctx.top}.rtlnopwr.v"))
        text = repair_spef(raw.read_text(errors="replace"), ports)
        (work / f"{ctx.top}.spef").write_text(text)
        raw.unlink()
        nets = len(re.findall(r"^\*D_NET", text, re.M))
        return {"parasitics__nets": nets}
