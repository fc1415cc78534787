"""accel installed from its wheel, in a fresh virtual environment, outside the checkout: the templates,
configs and Liberty are package data, so `accel build` runs there (a PE on osu018, about a minute)."""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.flow, pytest.mark.skipif(shutil.which("qrouter") is None, reason="needs the EDA tools")]


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{args[:3]}...: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    return result


def test_wheel_in_a_fresh_venv_builds_a_pe(tmp_path):
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels),
         str(ROOT)])
    wheel = next(wheels.glob("accel-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", str(wheel)])
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    help_text = run([str(env_dir / "bin" / "accel"), "--help"], cwd=outside, env=env).stdout
    assert "signed-off layout" in help_text
    run([str(env_dir / "bin" / "accel"), "build", "array4x4", "-o", str(outside / "pe")],
                cwd=outside, env=env)
    assert (outside / "pe" / "gds" / "accel_pe.gds").stat().st_size > 0
    metrics = (outside / "pe" / "metrics.json").read_text()
    assert '"lvs__mismatches": 0' in metrics and '"magic__drc_errors": 0' in metrics
