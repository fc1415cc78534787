"""sta: OpenSTA timing and power, pre-route (gate netlist, ideal wires) and post-route (with SPEF).

OpenSTA 2.0.17 exits 0 even after ``Error:`` lines, so the output is checked here.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..step import FlowContext, Step, StepError, render_template, run_tool


def write_sdc(ctx: FlowContext, path: Path) -> None:
    period = ctx.config.clock.period_ns
    path.write_text(render_template(
        "sta/constraints.sdc", period_ns=f"{period:g}",
        io_delay_ns=f"{period * ctx.config.flow.io_delay_fraction:g}",
        output_load_pf=f"{ctx.config.flow.output_load_pf:g}"))


def section(text: str, name: str) -> str:
    match = re.search(rf"ACCEL-SECTION {name}\n(.*?)(?=ACCEL-SECTION|\Z)", text, re.S)
    return match.group(1) if match else ""


def parse_sta(text: str) -> dict:
    setup, hold, summary, power = (section(text, s) for s in ("setup", "hold", "summary", "power"))

    def slack(block: str) -> float | None:
        match = re.search(r"(-?[\d.]+)\s+slack \((?:MET|VIOLATED)\)", block)
        return float(match.group(1)) if match else None

    def arrival(block: str) -> float | None:
        match = re.search(r"(-?[\d.]+)\s+data arrival time", block)
        return float(match.group(1)) if match else None

    wns = re.search(r"^wns\s+(-?[\d.]+)", summary, re.M)
    tns = re.search(r"^tns\s+(-?[\d.]+)", summary, re.M)
    total = re.search(r"^Total\s+([-\d.e+]+)\s+([-\d.e+]+)\s+([-\d.e+]+)\s+([-\d.e+]+)", power, re.M)
    return {
        "setup_ws": slack(setup), "hold_ws": slack(hold), "arrival": arrival(setup),
        "wns": float(wns.group(1)) if wns else None, "tns": float(tns.group(1)) if tns else None,
        "power_internal": float(total.group(1)) if total else None,
        "power_switching": float(total.group(2)) if total else None,
        "power_leakage": float(total.group(3)) if total else None,
        "power_total": float(total.group(4)) if total else None,
        "setup_path": setup.strip(),
    }


class _Sta(Step):
    tools = ("sta",)
    templates = ("sta/sta.tcl", "sta/constraints.sdc")
    prefix = ""

    def netlist(self, ctx: FlowContext) -> Path:
        raise NotImplementedError

    def spef(self, ctx: FlowContext) -> Path | None:
        return None

    def inputs(self, ctx):
        files = [self.netlist(ctx), ctx.pdk.path("liberty")]
        spef = self.spef(ctx)
        return files + ([spef] if spef else [])

    def config_slice(self, ctx):
        flow = ctx.config.flow
        return {"period_ns": ctx.config.clock.period_ns, "io_delay_fraction": flow.io_delay_fraction,
                "output_load_pf": flow.output_load_pf}

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        sdc = work / f"{ctx.top}.sdc"
        write_sdc(ctx, sdc)
        spef = self.spef(ctx)
        script = work / "sta.tcl"
        script.write_text(render_template(
            "sta/sta.tcl", liberty=ctx.pdk.path("liberty"), netlist=self.netlist(ctx), top=ctx.top, sdc=sdc,
            read_spef=f"read_spef {spef}" if spef else "# no parasitics before routing"))
        text = run_tool(["sta", "-no_init", "-exit", str(script)], log, cwd=work, timeout=ctx.timeout,
                        step=self.name)
        errors = [line for line in text.splitlines() if line.startswith("Error")]
        if errors:
            raise StepError(self.name, errors[0], log)
        unannotated = [line for line in text.splitlines()
                       if line.startswith("Warning") and ".spef" in line and "not found" in line]
        if spef and unannotated:
            raise StepError(self.name, f"{len(unannotated)} SPEF records did not match the netlist, "
                                       f"e.g. {unannotated[0]}", log)
        result = parse_sta(text)
        if result["setup_ws"] is None:
            raise StepError(self.name, "no timing path reported (is the clock port 'clk' in the netlist?)", log)
        (work / "setup_path.txt").write_text(result["setup_path"] + "\n")
        period = ctx.config.clock.period_ns
        critical = period - result["setup_ws"]
        p = self.prefix
        metrics = {
            f"timing__setup__ws{p}": result["setup_ws"],
            f"timing__setup__tns{p}": result["tns"],
            f"timing__hold__ws{p}": result["hold_ws"],
            f"timing__fmax{p}": round(1000.0 / critical, 2) if critical > 0 else None,
            f"power__total{p}": result["power_total"],
            f"power__internal__total{p}": result["power_internal"],
            f"power__switching__total{p}": result["power_switching"],
            f"power__leakage__total{p}": result["power_leakage"],
            "clock__period": period,
        }
        return metrics


class StaPre(_Sta):
    name = "sta"
    description = "OpenSTA on the synthesized netlist (ideal wires)"
    prefix = "__synth"

    def netlist(self, ctx):
        return ctx.output("synth", f"synthesis/{ctx.top}.rtlnopwr.v")


class StaPost(_Sta):
    name = "sta_post"
    description = "OpenSTA on the routed netlist with SPEF parasitics"
    prefix = ""

    def netlist(self, ctx):
        return ctx.output("route", f"synthesis/{ctx.top}.rtlnopwr.v")

    def spef(self, ctx):
        return ctx.output("parasitics", f"{ctx.top}.spef")
