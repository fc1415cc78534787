"""synth: Yosys to the PDK's cells (techmap, dfflibmap, abc with the Liberty), then fanout buffering.

Runs qflow's synthesize.sh, which writes and runs the Yosys script (our templates/qflow/synth.ys: synth
-flatten and hidden hierarchical names; then qflow's dfflibmap -liberty, abc -liberty, rename -enumerate
so net names are plain identifiers), post-processes the BLIF and
iterates blifFanout until no gate drives more than the configured latency; then writes the gate-level
Verilog (.rtlnopwr.v) and SPICE (.spc) netlists.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..engine.step import FlowContext, Step, StepError, render_template
from ..layout.netlist import cell_counts
from ..qflow.project import make_project, run_stage


def count_cells(netlist: Path, areas: dict[str, float], skip: tuple[str, ...] = ()) -> tuple[int, float, dict]:
    """Instances, total area and per-cell counts of a flat gate-level Verilog netlist (library cells only,
    without those whose names start with ``skip``)."""
    counts = {cell: n for cell, n in cell_counts(netlist.read_text()).items()
              if cell in areas and not cell.startswith(skip)}
    area = sum(areas[cell] * n for cell, n in counts.items())
    return sum(counts.values()), area, counts


class Synth(Step):
    name = "synth"
    tools = ("yosys", "qflow")
    templates = ("qflow/qflow_vars.sh", "qflow/project_vars.sh", "qflow/synth.ys")
    description = "Yosys + abc to the standard cells, blifFanout buffering"

    consumes = ("elaborate:{top}.v", "pdk:liberty", "pdk:lef")
    produces = ("synthesis/{top}.blif", "synthesis/{top}.rtlnopwr.v", "synthesis/{top}.spc")
    config_keys = ("flow.fanout_latency_ps", "flow.fanout_load_ff")

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict:
        make_project(ctx, work)
        source = work / "source" / f"{ctx.top}.v"
        shutil.copy(ctx.output("elaborate", f"{ctx.top}.v"), source)
        (work / "source" / "synth.ys").write_text(render_template("qflow/synth.ys", top=ctx.top))
        run_stage(ctx, work, log, "synthesize.sh", str(work), ctx.top, str(source),
                  stage_log="synth.log", step=self.name)
        netlist = work / "synthesis" / f"{ctx.top}.rtlnopwr.v"
        for produced in (netlist, work / "synthesis" / f"{ctx.top}.blif", work / "synthesis" / f"{ctx.top}.spc"):
            if not produced.exists():
                raise StepError(self.name, f"synthesis produced no {produced.name}", log)
        cells, area, counts = count_cells(netlist, ctx.pdk.cell_areas)
        flops = sum(n for cell, n in counts.items() if ctx.pdk.cells[cell].sequential)
        buffers = sum(n for cell, n in counts.items() if ctx.pdk.cells[cell].buffer)
        return {
            "synth__design__instance__count": cells,
            "synth__design__instance__area": round(area, 2),
            "synth__design__instance__count__sequential": flops,
            "synth__design__instance__count__buffers": buffers,
        }
