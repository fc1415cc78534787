"""The step engine with fake steps (no EDA tools): what makes a cached result valid, atomic results, a
failure keeping the last good one, step selection, and tools that die with their step or with accel."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accel.config import load_config
from accel.flow.engine.operation import Operation
from accel.flow.engine.step import STAMP, FlowContext, Step, StepError, run_tool, select
from accel.flow.pdk import OSU018

OP = Operation("pin_vias", "copy", "1", "a test operation")


class Copy(Step):
    """Reads a source file and a config value, writes them to out.txt; counts its runs."""
    name = "copy"
    tools = ("faketool",)
    config_keys = ("clock.period_ns",)
    operations = (OP,)
    runs_done = 0
    fail = False

    def __init__(self, source: Path):
        self.source = source

    def extra_inputs(self, ctx):
        return [self.source]

    def execute(self, ctx, work, log):
        type(self).runs_done += 1
        if self.fail:
            (work / "half.txt").write_text("partial")
            raise StepError(self.name, "it broke", log)
        (work / "out.txt").write_text(f"{self.source.read_text()} {ctx.config.clock.period_ns}")
        return {"copy__runs": type(self).runs_done}


@pytest.fixture
def setup(tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("hello")
    Copy.runs_done, Copy.fail = 0, False

    def ctx(*overrides, tool="1.0"):
        return FlowContext(load_config("tiny", list(overrides)), OSU018, "top", "pe", tmp_path / "build",
                           tool_versions={"faketool": tool})
    return Copy(source), ctx, source


def test_unchanged_inputs_reuse_the_result(setup):
    step, ctx, _ = setup
    first = step.run(ctx())
    again = step.run(ctx())
    assert not first["cached"] and again["cached"] and Copy.runs_done == 1
    assert again["metrics"] == {"copy__runs": 1}


@pytest.mark.parametrize("change", ["input", "config", "unrelated", "version", "tool", "operation"])
def test_what_reruns_a_step(setup, change, monkeypatch):
    step, ctx, source = setup
    step.run(ctx())
    context = ctx()
    if change == "input":
        source.write_text("changed")
    elif change == "config":
        context = ctx("clock.period_ns=7")
    elif change == "unrelated":
        context = ctx("flow.stripe_pitch_um=60")        # not among the step's config keys
    elif change == "version":
        monkeypatch.setattr(Copy, "version", "2")
    elif change == "tool":
        context = ctx(tool="2.0")
    elif change == "operation":
        context = ctx("flow.repairs.pin_vias=false")
    record = step.run(context)
    assert record["cached"] == (change == "unrelated")


def test_a_touched_output_is_not_trusted(setup):
    step, ctx, _ = setup
    step.run(ctx())
    (ctx().step_dir("copy") / "out.txt").write_text("edited by hand")
    assert not step.run(ctx())["cached"]


def test_results_are_renamed_into_place_with_the_stamp_last(setup):
    step, ctx, _ = setup
    step.run(ctx())
    final = ctx().step_dir("copy")
    stamp = json.loads((final / STAMP).read_text())
    assert set(stamp["outputs"]) == {"out.txt", "copy.log"} and STAMP not in stamp["outputs"]
    assert not list(final.parent.glob(".copy.tmp*"))
    assert (final / STAMP).stat().st_mtime_ns >= (final / "out.txt").stat().st_mtime_ns


def test_a_failure_keeps_the_last_good_result(setup):
    step, ctx, source = setup
    step.run(ctx())
    source.write_text("changed")
    Copy.fail = True
    with pytest.raises(StepError, match="step copy failed: it broke; log: .*copy.failed"):
        step.run(ctx())
    final = ctx().step_dir("copy")
    assert (final / "out.txt").read_text() == "hello 10.0" and not (final / "half.txt").exists()
    assert (final.with_name("copy.failed") / "half.txt").exists()
    source.write_text("hello")                      # the old inputs again: the old result still holds
    assert step.run(ctx())["cached"]


def test_a_missing_input_says_which(setup):
    step, ctx, source = setup
    source.unlink()
    with pytest.raises(StepError, match="source.txt is missing"):
        step.run(ctx())


class Named(Step):
    def __init__(self, name):
        self.name = name


def test_selection_from_to_only():
    steps = [Named(n) for n in ("a", "b", "c", "d")]
    assert [s.name for s in select(steps, "b")] == ["b", "c", "d"]
    assert [s.name for s in select(steps, None, "b")] == ["a", "b"]
    assert [s.name for s in select(steps, "b", "c")] == ["b", "c"]
    assert [s.name for s in select(steps, only=("d", "a"))] == ["a", "d"]
    with pytest.raises(ValueError, match="unknown step 'x'"):
        select(steps, "x")
    with pytest.raises(ValueError, match="comes after"):
        select(steps, "c", "a")


def running(marker: str) -> list[int]:
    """The ``sleep <marker>`` processes."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "cmdline").read_bytes() == f"sleep\0{marker}\0".encode():
                    found.append(int(proc.name))
            except OSError:
                pass
    return found


def gone(marker: str, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while running(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not running(marker)


def test_a_timeout_kills_the_tool_and_its_children(tmp_path):
    marker = f"61.{os.getpid()}"      # a wrapper script that leaves a child behind, as graywolf's does
    log = tmp_path / "t.log"
    with pytest.raises(StepError, match="timed out after 1 s"):
        run_tool(["sh", "-c", f"sleep {marker} & sleep {marker}"], log, tmp_path, timeout=1, step="t")
    assert gone(marker)


def test_tool_failures_and_output(tmp_path):
    log = tmp_path / "t.log"
    assert "hi" in run_tool(["sh", "-c", "echo hi"], log, tmp_path, timeout=10, step="t")
    with pytest.raises(StepError, match="exited with 3: .*cannot frob"):
        run_tool(["sh", "-c", "echo 'error: cannot frob'; exit 3"], log, tmp_path, timeout=10, step="t")
    with pytest.raises(StepError, match="cannot start no-such-tool"):
        run_tool(["no-such-tool"], log, tmp_path, timeout=10, step="t")


def test_a_killed_accel_takes_its_tools_with_it(tmp_path):
    """kill -9 of the process running a step: the supervisor sees its parent die and kills the tool's group."""
    marker = f"62.{os.getpid()}"
    script = (f"from pathlib import Path; from accel.flow.engine.step import run_tool; "
              f"run_tool(['sh', '-c', 'sleep {marker} & sleep {marker}'], Path({str(tmp_path / 'l.log')!r}), "
              f"Path({str(tmp_path)!r}), timeout=600, step='t')")
    accel = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    while len(running(marker)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(running(marker)) == 2
    os.kill(accel.pid, signal.SIGKILL)
    accel.wait()
    assert gone(marker)


@pytest.mark.parametrize("backend", ["magic", "klayout"])
def test_every_step_reads_what_an_earlier_step_declares_it_writes(backend):
    from dataclasses import replace

    from accel.flow.steps import flow_for

    steps = flow_for(replace(OSU018, backend=backend))
    written: dict[str, set[str]] = {}
    for step in steps:
        for spec in step.consumes:
            where, _, path = spec.partition(":")
            if where != "pdk":
                assert path in written.get(where, set()), f"{step.name} reads {spec}, which no earlier step writes"
        written[step.name] = set(step.produces)


def test_a_step_that_leaves_out_a_declared_file_fails(setup, monkeypatch):
    step, ctx, _ = setup
    monkeypatch.setattr(Copy, "produces", ("out.txt", "other.txt"))
    with pytest.raises(StepError, match="produced no other.txt"):
        step.run(ctx())
    assert not ctx().step_dir("copy").exists()


def test_what_a_finished_tool_leaves_running_is_stopped(tmp_path):
    marker = f"63.{os.getpid()}"
    run_tool(["sh", "-c", f"sleep {marker} & echo started"], tmp_path / "l.log", tmp_path, timeout=10, step="t")
    assert gone(marker)
