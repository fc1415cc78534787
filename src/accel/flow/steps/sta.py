"""sta: OpenSTA timing and power, pre-route (gate netlist, ideal wires) and post-route (with SPEF).

OpenSTA 2.0.17 exits 0 even after ``Error:`` lines, so the output is checked here.
"""

from __future__ import annotations

from pathlib import Path

from ..checks.timing import parse_sta
from ..engine.step import FlowContext, Step, StepError, render_template, run_tool


def write_sdc(ctx: FlowContext, path: Path) -> None:
    period = ctx.config.clock.period_ns
    path.write_text(render_template(
        "sta/constraints.sdc", period_ns=f"{period:g}",
        io_delay_ns=f"{period * ctx.config.flow.io_delay_fraction:g}",
        output_load_pf=f"{ctx.config.flow.output_load_pf:g}"))


class _Sta(Step):
    tools = ("sta",)
    templates = ("sta/sta.tcl", "sta/constraints.sdc")
    prefix = ""

    config_keys = ("clock.period_ns", "flow.io_delay_fraction", "flow.output_load_pf")
    produces = ("setup_path.txt", "hold_path.txt")
    version = "3"       # 3: path groups, fmax from reg2reg, clock skew, the worst hold path; propagated clock post-route

    def netlist(self, ctx: FlowContext) -> Path:
        return self.input(ctx, self.consumes[0])

    def spef(self, ctx: FlowContext) -> Path | None:
        return self.input(ctx, self.consumes[2]) if len(self.consumes) > 2 else None

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        sdc = work / f"{ctx.top}.sdc"
        write_sdc(ctx, sdc)
        spef = self.spef(ctx)
        script = work / "sta.tcl"
        script.write_text(render_template(
            "sta/sta.tcl", liberty=ctx.pdk.path("liberty"), netlist=self.netlist(ctx), top=ctx.top, sdc=sdc,
            read_spef=f"read_spef {spef}" if spef else "# no parasitics before routing",
            clock_mode="set_propagated_clock [all_clocks]" if spef else "# ideal clock before routing"))
        text = run_tool(["sta", "-no_init", "-exit", str(script)], log, cwd=work, timeout=ctx.timeout,
                        step=self.name)
        errors = [line for line in text.splitlines() if line.startswith("Error")]
        if errors:
            raise StepError(self.name, errors[0], log)
        unannotated = [line for line in text.splitlines()
                       if line.startswith("Warning") and ".spef" in line and "not found" in line]
        # OpenSTA reports a SPEF syntax error as a warning and ignores the rest of the file.
        broken = [line for line in text.splitlines() if ".spef" in line and "syntax error" in line]
        if spef and broken:
            raise StepError(self.name, f"OpenSTA could not read the SPEF: {broken[0]}", log)
        if spef and unannotated:
            raise StepError(self.name, f"{len(unannotated)} SPEF records did not match the netlist, "
                                       f"e.g. {unannotated[0]}", log)
        result = parse_sta(text)
        if result["setup_ws"] is None:
            raise StepError(self.name, "no timing path reported (is the clock port 'clk' in the netlist?)", log)
        (work / "setup_path.txt").write_text(result["setup_path"] + "\n")
        (work / "hold_path.txt").write_text(result["hold_path"] + "\n")
        period = ctx.config.clock.period_ns
        # fmax from register-to-register paths: an I/O path's slack moves with the I/O delay the config
        # chose (a fraction of the period), not with the logic
        governing = result["setup_groups"].get("reg2reg", result["setup_ws"])
        critical = period - governing
        p = self.prefix
        metrics = {
            f"timing__setup__ws{p}": result["setup_ws"],
            f"timing__setup__tns{p}": result["tns"],
            f"timing__hold__ws{p}": result["hold_ws"],
            f"timing__fmax{p}": round(1000.0 / critical, 2) if critical > 0 else None,
            f"timing__fmax__source{p}": "reg2reg" if "reg2reg" in result["setup_groups"] else "all paths",
            f"timing__clock__skew{p}": result["clock_skew"],
            **{f"timing__setup__ws__{group}{p}": value for group, value in result["setup_groups"].items()},
            **{f"timing__hold__ws__{group}{p}": value for group, value in result["hold_groups"].items()},
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
    consumes = ("synth:synthesis/{top}.rtlnopwr.v", "pdk:liberty")


class StaPost(_Sta):
    name = "sta_post"
    version = "4"       # 2: a SPEF syntax error fails the step; 4: path groups, propagated clock
    description = "OpenSTA on the routed netlist with SPEF parasitics"
    prefix = ""
    consumes = ("route:synthesis/{top}.rtlnopwr.v", "pdk:liberty", "parasitics:{top}.spef")
