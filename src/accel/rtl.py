"""Elaboration: Amaranth hardware from a config to Verilog plus a manifest other tools can rely on."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from amaranth import Shape
from amaranth.back import verilog
from amaranth.lib import data, wiring

from .config import AccelConfig, ConfigError
from .errors import LintError
from .hw.core import ComputeCore
from .hw.ctrl.axil import EXAMPLE_REGISTERS, AxiLiteRegisters, RegisterMap
from .hw.hbm.controller import HbmController, PseudoChannelController
from .hw.net.node import NetworkNode, NetworkRing
from .hw.pe import ProcessingElement
from .hw.requant import Requantizer
from .hw.soc import Accelerator, AcceleratorRing
from .tools import require
from .tops import TOPS
from .hw.systolic import SystolicArray


#: Verilator configuration waiving the lint rules Amaranth's generated Verilog trips (see the file).
LINT_WAIVERS = Path(__file__).resolve().parent / "amaranth.vlt"


def build_component(config: AccelConfig, top: str = "core") -> wiring.Component:
    a = config.array
    if top == "core":
        return ComputeCore(config)
    if top == "array":
        return SystolicArray(a.rows, a.cols, a.input_width, a.acc_width)
    if top == "pe":
        return ProcessingElement(a.input_width, a.acc_width)
    if top == "requant":
        return Requantizer(a.cols, a.acc_width, a.input_width, lanes_per_cycle=config.resolved_requant_lanes(),
                           scale_bits_per_cycle=config.soc.requant_scale_bits)
    if top == "axil_example":
        return AxiLiteRegisters(RegisterMap(EXAMPLE_REGISTERS))
    if top == "hbm":
        return HbmController(config.hbm)
    if top == "hbm_pc":
        return PseudoChannelController(config.hbm)
    if top in ("net_node", "net_ring", "soc_ring") and config.network.nodes < 2:
        raise ConfigError(f"network.nodes: top {top} needs a network of at least 2 chips, not "
                          f"{config.network.nodes}")
    if top == "net_node":
        return NetworkNode(config.network)
    if top == "net_ring":
        return NetworkRing(config.network)
    if top == "soc":
        return Accelerator(config)
    if top == "soc_ring":
        return AcceleratorRing(config)
    raise ValueError(f"unknown top {top!r} (choose from {', '.join(TOPS)})")


@dataclass(frozen=True)
class RtlResult:
    verilog: Path
    manifest: Path
    top: str


def port_list(component: wiring.Component) -> list[dict]:
    """Verilog ports as Amaranth flattens them (``act__payload``), with direction and width."""
    ports = [
        {"name": "clk", "direction": "input", "width": 1},
        {"name": "rst", "direction": "input", "width": 1},
    ]
    for path, member, value in component.signature.flatten(component):
        ports.append({
            "name": "__".join(str(p) for p in path),
            "direction": "input" if member.flow == wiring.In else "output",
            "width": Shape.cast(member.shape).width,
        })
    return ports


def payload_fields(component: wiring.Component) -> dict:
    """Bit fields of every structured stream payload, by port: what a testbench needs to pack words."""
    fields = {}
    for name, member in component.signature.members.items():
        if not member.is_signature or "payload" not in member.signature.members:
            continue
        layout = member.signature.members["payload"].shape
        if isinstance(layout, data.StructLayout):
            fields[name] = {f: {"offset": field.offset, "width": field.width} for f, field in layout}
    return fields


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a killed run never leaves a half-written file. The file
    gets the mode a plain ``open`` would give it (mkstemp's is 0600: other users could not read a build)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def generate(config: AccelConfig, outdir: Path, top: str = "core") -> RtlResult:
    """Write ``<module>.v`` and ``<module>.manifest.json`` into ``outdir``."""
    component = build_component(config, top)
    module = TOPS[top]
    ports = port_list(component)
    text = verilog.convert(component, name=module, emit_src=False)
    manifest = {
        "top": module,
        "block": top,
        "config_name": config.name,
        "config_hash": config.config_hash(),
        "verilog": f"{module}.v",
        "latency_cycles": getattr(component, "latency", None),
        "ports": ports,
        "config": config.model_dump(mode="json"),
    }
    manifest["payload_fields"] = payload_fields(component)
    outdir = Path(outdir)
    verilog_path = outdir / f"{module}.v"
    manifest_path = outdir / f"{module}.manifest.json"
    # The manifest last: its presence says the Verilog beside it is complete.
    manifest_path.unlink(missing_ok=True)
    write_atomic(verilog_path, text)
    write_atomic(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return RtlResult(verilog_path, manifest_path, module)


def lint(result: RtlResult, log: Path | None = None) -> None:
    """``verilator --lint-only -Wall`` with only the documented Amaranth waivers."""

    verilator = require("verilator")
    log = log or result.verilog.with_suffix(".lint.log")
    proc = subprocess.run(
        [verilator, "--lint-only", "-Wall", str(LINT_WAIVERS), "--top-module", result.top, str(result.verilog)],
        capture_output=True, text=True, env={**os.environ, "PATH": f"{Path(verilator).parent}{os.pathsep}"
                                                                      f"{os.environ.get('PATH', '')}"},
    )
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        problems = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("%")]
        raise LintError(f"verilator lint of {result.verilog.name}: {'; '.join(problems[:3])}; log: {log}")
