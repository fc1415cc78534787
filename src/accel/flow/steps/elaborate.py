"""elaborate: Amaranth -> Verilog (the same generator as ``accel rtl``)."""

from __future__ import annotations

from pathlib import Path

from ...rtl import generate
from ..step import FlowContext, Step

HW_SOURCES = sorted((Path(__file__).resolve().parents[2] / "hw").glob("*.py"))


class Elaborate(Step):
    name = "elaborate"
    description = "Amaranth -> Verilog"

    def inputs(self, ctx):
        # The hardware description itself: a change to hw/*.py re-elaborates.
        return HW_SOURCES

    def config_slice(self, ctx):
        return {"array": ctx.config.array.model_dump(), "memory": ctx.config.memory.model_dump(),
                "top": ctx.config.flow.top}

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        result = generate(ctx.config, work, ctx.block)
        text = result.verilog.read_text()
        log.write_text(f"wrote {result.verilog.name} ({len(text.splitlines())} lines)\n")
        return {"design__name": result.top}
