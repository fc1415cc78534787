"""parasitics: qrouter's RC file -> SPEF (qflow's rc2dly), fixed so OpenSTA can read it (qflow.spef)."""

from __future__ import annotations

import re
from pathlib import Path

from ..engine.step import FlowContext, Step, StepError, run_tool
from ..qflow.project import BIN
from ..layout.netlist import netlist_ports
from ..qflow.spef import repair_spef, unresolved_endpoints


class Parasitics(Step):
    name = "parasitics"
    tools = ("qflow",)
    description = "RC extraction from the routed layout to SPEF"
    version = "3"       # 2: "$" in names fixed (OpenSTA stopped at the first one); 3: rc2dly's ERROR endpoints

    consumes = ("route:layout/{top}.rc", "route:synthesis/{top}.rtlnopwr.v", "pdk:liberty")
    produces = ("{top}.spef",)

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        raw = work / f"{ctx.top}.raw.spef"
        run_tool([str(BIN / "rc2dly"), "-D", ":", "-r", str(ctx.output("route", f"layout/{ctx.top}.rc")),
                  "-l", str(ctx.pdk.path("liberty")), "-d", str(raw)], log, cwd=work, timeout=ctx.timeout,
                 step=self.name)
        if not raw.exists() or raw.stat().st_size == 0:
            raise StepError(self.name, "rc2dly wrote no SPEF", log)
        ports = netlist_ports(ctx.output("route", f"synthesis/{ctx.top}.rtlnopwr.v").read_text(errors="replace"))
        raw_text = raw.read_text(errors="replace")
        unresolved = len(unresolved_endpoints(raw_text))
        text = repair_spef(raw_text, ports)
        (work / f"{ctx.top}.spef").write_text(text)
        raw.unlink()
        nets = len(re.findall(r"^\*D_NET", text, re.M))
        return {"parasitics__nets": nets, "parasitics__unresolved_endpoints": unresolved}
