"""``accel export orfs``: an OpenROAD-flow-scripts design directory for users who have OpenROAD.

OpenROAD is not installable here, so this is the bridge: the same Verilog and clock constraint, laid out
the way ORFS expects (designs/src/<nick>/, designs/<platform>/<nick>/config.mk + constraint.sdc).
"""

from __future__ import annotations

from pathlib import Path

from ..config import AccelConfig
from ..rtl import generate, write_atomic
from .engine.step import render_template


def export_orfs(config: AccelConfig, outdir: Path, platform: str = "sky130hd") -> list[Path]:
    nickname = f"accel_{config.name}".replace("-", "_").replace(".", "_")
    src_dir = Path(outdir) / "designs" / "src" / nickname
    cfg_dir = Path(outdir) / "designs" / platform / nickname
    result = generate(config, src_dir, config.flow.top)
    result.manifest.unlink()  # ORFS globs *.v there; keep the directory to sources only
    values = {"config_name": config.name, "config_hash": config.config_hash(), "platform": platform,
              "nickname": nickname, "top": result.top}
    config_mk = cfg_dir / "config.mk"
    sdc = cfg_dir / "constraint.sdc"
    write_atomic(config_mk, render_template(
        "orfs/config.mk", **values, utilization_pct=round(config.flow.density * 100),
        aspect_ratio=f"{config.flow.aspect_ratio:g}",
        place_density=f"{min(0.95, config.flow.density + 0.1):.2f}"))
    write_atomic(sdc, render_template("orfs/constraint.sdc", top=result.top,
                                      period_ns=f"{config.clock.period_ns:g}",
                                      io_fraction=f"{config.flow.io_delay_fraction:g}"))
    return [result.verilog, config_mk, sdc]
