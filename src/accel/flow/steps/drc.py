"""drc: magic's design-rule check of the whole routed layout."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..engine.step import FlowContext, Step, StepError
from .gds import run_magic


def copy_layout(ctx: FlowContext, work: Path) -> None:
    """magic works on the .mag files the gds step saved; use copies so that step's stay untouched."""
    for mag in ctx.step_dir("gds").glob("*.mag"):
        shutil.copy(mag, work / mag.name)


class Drc(Step):
    name = "drc"
    tools = ("magic",)
    templates = ("magic/drc.tcl",)
    description = "magic DRC"

    consumes = ("gds:{top}.mag", "pdk:lef")

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        copy_layout(ctx, work)
        text = run_magic(ctx, work, log, "magic/drc.tcl", self.name)
        match = re.search(r"ACCEL-DRC-COUNT\s+(\d+)", text)
        if not match:
            raise StepError(self.name, "magic reported no DRC count", log)
        return {"magic__drc_errors": int(match.group(1))}
