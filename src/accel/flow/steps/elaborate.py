"""elaborate: Amaranth -> Verilog (the same generator as ``accel rtl``)."""

from __future__ import annotations

from pathlib import Path

from ...rtl import generate
from ..step import FlowContext, Step

PACKAGE = Path(__file__).resolve().parents[2]
#: The hardware description and the generator: a change to any of them re-elaborates.
HW_SOURCES = sorted([*(PACKAGE / "hw").rglob("*.py"), PACKAGE / "rtl.py"])


class Elaborate(Step):
    name = "elaborate"
    description = "Amaranth -> Verilog"
    version = "2"       # 2: keyed on every hardware section and on hw/'s subpackages (hbm, ctrl, net)

    def inputs(self, ctx):
        return HW_SOURCES

    def config_slice(self, ctx):
        # Everything that shapes the RTL (the SoC's hbm, network and soc sections too), and the top.
        hardware = ctx.config.model_dump(mode="json", exclude={"name", "description", "clock", "flow"})
        return {**hardware, "top": ctx.config.flow.top}

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        result = generate(ctx.config, work, ctx.block)
        text = result.verilog.read_text()
        log.write_text(f"wrote {result.verilog.name} ({len(text.splitlines())} lines)\n")
        return {"design__name": result.top}
