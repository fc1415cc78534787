"""elaborate: Amaranth -> Verilog (the same generator as ``accel rtl``)."""

from __future__ import annotations

from pathlib import Path

from ..engine.step import FlowContext, Step

PACKAGE = Path(__file__).resolve().parents[2]
#: The hardware description and the generator: a change to any of them re-elaborates.
HW_SOURCES = sorted([*(PACKAGE / "hw").rglob("*.py"), *(PACKAGE / "arch").rglob("*.py"), PACKAGE / "rtl.py"])


class Elaborate(Step):
    name = "elaborate"
    description = "Amaranth -> Verilog"
    version = "3"       # 3: arch/ (geometry, ISA, address map) is part of the hardware description
    # Everything that shapes the RTL (the SoC's hbm, network and soc sections too), and the top.
    config_keys = ("array", "memory", "hbm", "network", "soc", "flow.top")
    produces = ("{top}.v",)

    def extra_inputs(self, ctx):
        return HW_SOURCES

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        from ...rtl import generate     # amaranth is heavy: `accel --help` lists the steps without it

        result = generate(ctx.config, work, ctx.block)
        text = result.verilog.read_text()
        log.write_text(f"wrote {result.verilog.name} ({len(text.splitlines())} lines)\n")
        return {"design__name": result.top}
