"""The step engine: one Step per tool action, cached by a hash of what it reads, written atomically.

A step runs in a fresh temporary directory next to its final one and is renamed into place only when it
succeeded, with a ``step.json`` stamp written last. A killed or failed run therefore never leaves a
directory a later run would trust. The cache key covers the content of the files the step reads, its
slice of the config, its own recipe (templates, code version) and the versions of its tools: an
unchanged key reuses the previous result without running any tool.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ...config import AccelConfig
from ...tools import require
from ..pdk import Pdk
from .operation import Operation

#: The tool scripts the steps fill in (package data: accel/flow/templates).
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
STAMP = "step.json"
#: Bumped when the engine's on-disk layout or key changes, so old caches are not trusted.
#: 2: keys from declared config keys, PDK fields and operations.
ENGINE_VERSION = "2"


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class StepError(RuntimeError):
    """A step failed. ``str()`` is the one line for the user: step, reason, log."""

    def __init__(self, step: str, reason: str, log: Path | None = None):
        self.step, self.reason, self.log = step, reason, log
        where = f"; log: {log}" if log else ""
        super().__init__(f"step {step} failed: {reason}{where}")


@dataclass
class FlowContext:
    """What every step may look at: config, PDK, top module, and where each step's results live."""

    config: AccelConfig
    pdk: Pdk
    top: str                 # Verilog module name
    block: str               # core / array / pe
    root: Path               # build directory of this config
    timeout: float = 3600.0
    tool_versions: dict[str, str] = field(default_factory=dict)

    def step_dir(self, name: str) -> Path:
        return self.root / name

    def output(self, step: str, relative: str) -> Path:
        return self.step_dir(step) / relative


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def template(relative: str) -> Path:
    path = TEMPLATES_DIR / relative
    if not path.is_file():
        raise FileNotFoundError(f"flow template {path} is missing")
    return path


def render_template(relative: str, **values: str) -> str:
    """Fill ``{{name}}`` placeholders of a tool script template (values are paths/numbers we made)."""
    text = template(relative).read_text()

    def substitute(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template {relative}: no value for {{{{{key}}}}}")
        return str(values[key])

    return re.sub(r"\{\{(\w+)\}\}", substitute, text)


#: tool on PATH -> the Debian package whose version identifies it in cache keys and reports.
TOOL_PACKAGES = {"yosys": "yosys", "sta": "opensta", "magic": "magic", "netgen-lvs": "netgen-lvs",
                 "klayout": "klayout", "qrouter": "qrouter", "graywolf": "graywolf", "qflow": "qflow"}


def tool_version(tool: str) -> str:
    """The installed package version of a tool (``unknown`` when dpkg does not know it)."""
    if tool == "klayout-python":
        try:
            return importlib.metadata.version("klayout")
        except importlib.metadata.PackageNotFoundError:
            return "unknown"
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", TOOL_PACKAGES.get(tool, tool)],
                             capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def run_tool(args: list[str], log: Path, cwd: Path, timeout: float, env: dict[str, str] | None = None,
             step: str = "") -> str:
    """Run one tool (argument list, no shell) under a supervisor in its own process group; append its
    output to ``log``.

    On timeout, on an error of ours or Ctrl-C, the whole group is killed; if accel itself is killed, the
    supervisor (accel.flow.engine.supervise) kills it: graywolf, qrouter and magic are wrapper scripts
    whose real binaries would otherwise outlive us."""
    supervised = [sys.executable, "-m", "accel.flow.engine.supervise", str(os.getpid()), "--", *args]
    with open(log, "a") as handle:
        handle.write(f"\n$ {' '.join(args)}\n")
        handle.flush()
        proc = subprocess.Popen(supervised, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                                start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise StepError(step, f"{Path(args[0]).name} timed out after {timeout:.0f} s", log) from None
        except BaseException:
            _kill_group(proc)
            raise
        _kill_group(proc)                  # anything the tool left running in the background goes too
    if code == 127 and "cannot start" in log.read_text(errors="replace")[-500:]:
        raise StepError(step, f"cannot start {Path(args[0]).name}", log)
    if code != 0:
        raise StepError(step, f"{Path(args[0]).name} exited with {code}: {key_lines(log)}", log)
    return log.read_text(errors="replace")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def key_lines(log: Path, limit: int = 2) -> str:
    """The lines of a log most likely to say what went wrong."""
    text = log.read_text(errors="replace") if log.exists() else ""
    hits = [line.strip() for line in text.splitlines()
            if re.search(r"\b(error|failure|failed|cannot|can't|not found|unable)\b", line, re.I)]
    return " | ".join(hits[-limit:]) if hits else "(no error line in the log)"


def config_value(config: AccelConfig, key: str) -> Any:
    """The value at a dotted config key (a section gives its whole content), resolved: a key with a
    derived default (``flow.utilization``) gives the value in force."""
    if key == "flow.utilization":
        return config.flow.density
    value: Any = config
    for part in key.split("."):
        value = getattr(value, part)
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


class Step:
    """One tool action. Subclasses declare what they read and implement ``execute``.

    Declarations (the cache key and docs/flow.md's tables are derived from them):
    ``config_keys``: dotted config keys that shape the result; ``pdk_fields``: fields of the PDK descriptor
    that do; ``consumes``: files read, ``"<step>:<path>"`` for another step's output or ``"pdk:<attr>"`` for
    a PDK file (``{top}`` is the top module); ``produces``: the files it writes for others;
    ``operations``: the named layout operations it runs."""

    name: ClassVar[str] = ""
    tools: ClassVar[tuple[str, ...]] = ()
    #: Template files (relative to accel/flow/templates) whose text is part of the recipe.
    templates: ClassVar[tuple[str, ...]] = ()
    config_keys: ClassVar[tuple[str, ...]] = ()
    pdk_fields: ClassVar[tuple[str, ...]] = ()
    consumes: ClassVar[tuple[str, ...]] = ()
    #: Files it writes that later steps or the report read (``{top}`` is the top module); a run that
    #: leaves one out fails.
    produces: ClassVar[tuple[str, ...]] = ()
    operations: ClassVar[tuple[Operation, ...]] = ()
    #: Bump when the step's Python changes what it produces.
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""

    def extra_inputs(self, ctx: FlowContext) -> list[Path]:
        """Files read beyond ``consumes`` (sources: the hardware description)."""
        return []

    def input(self, ctx: FlowContext, spec: str) -> Path:
        """The file a ``consumes`` entry names."""
        where, _, relative = spec.partition(":")
        relative = relative.format(top=ctx.top)
        return ctx.pdk.path(relative) if where == "pdk" else ctx.output(where, relative)

    def inputs(self, ctx: FlowContext) -> list[Path]:
        """Files this step reads (their content is part of the cache key)."""
        return [self.input(ctx, spec) for spec in self.consumes] + self.extra_inputs(ctx)

    def config_slice(self, ctx: FlowContext) -> dict[str, Any]:
        return {"config": {key: config_value(ctx.config, key) for key in self.config_keys},
                "pdk": {name: _jsonable(getattr(ctx.pdk, name)) for name in self.pdk_fields},
                "operations": {op.name: op.key(ctx.config, ctx.pdk) for op in self.operations}}

    def runs(self, ctx: FlowContext, name: str) -> bool:
        """Whether operation ``name`` of this step runs in this build."""
        return next(op for op in self.operations if op.name == name).runs(ctx.config, ctx.pdk)

    def execute(self, ctx: FlowContext, work: Path, log: Path) -> dict[str, Any]:
        """Do the work inside ``work``; return metrics. Raise StepError on failure."""
        raise NotImplementedError

    def check_tools(self) -> None:
        for tool in self.tools:
            require(tool)

    def cache_key(self, ctx: FlowContext) -> str:
        digest = hashlib.sha256()
        recipe = {
            "engine": ENGINE_VERSION, "step": self.name, "version": self.version, "block": ctx.block,
            "pdk": ctx.pdk.name, "config": self.config_slice(ctx),
            "tools": {tool: ctx.tool_versions.get(tool, "") for tool in self.tools},
            "templates": {t: file_digest(template(t)) for t in self.templates},
        }
        digest.update(json.dumps(recipe, sort_keys=True).encode())
        for path in self.inputs(ctx):
            if not path.exists():
                raise StepError(self.name, f"input {path} is missing (run the earlier steps first)")
            # Build-relative names for step outputs, bare names for sources and PDK files: the key must
            # not depend on where the checkout or the build directory lives.
            digest.update(str(path.relative_to(ctx.root) if path.is_relative_to(ctx.root) else path.name).encode())
            digest.update(file_digest(path).encode())
        return digest.hexdigest()

    def cached(self, ctx: FlowContext, key: str) -> dict | None:
        stamp = ctx.step_dir(self.name) / STAMP
        try:
            data = json.loads(stamp.read_text())
        except (OSError, ValueError):
            return None
        if data.get("key") != key:
            return None
        for relative, digest in data.get("outputs", {}).items():
            path = ctx.step_dir(self.name) / relative
            if not path.is_file() or file_digest(path) != digest:
                return None
        return data

    def run(self, ctx: FlowContext, force: bool = False) -> dict:
        """Run (or reuse) this step; return its stamp (metrics, seconds, cached flag).

        The caller checks tools first (run_flow does, for all selected steps, before any runs)."""
        key = self.cache_key(ctx)
        if not force:
            stamp = self.cached(ctx, key)
            if stamp is not None:
                return {**stamp, "cached": True}
        final = ctx.step_dir(self.name)
        work = final.with_name(f".{self.name}.tmp")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        log = work / f"{self.name}.log"
        log.touch()
        started = time.perf_counter()
        try:
            metrics = self.execute(ctx, work, log)
            missing = [relative.format(top=ctx.top) for relative in self.produces
                       if not (work / relative.format(top=ctx.top)).is_file()]
            if missing:
                raise StepError(self.name, f"produced no {', '.join(missing)}", log)
        except StepError as exc:
            # Keep the failed work for inspection, under a name no later run trusts.
            failed = final.with_name(f"{self.name}.failed")
            shutil.rmtree(failed, ignore_errors=True)
            work.rename(failed)
            log_path = exc.log if exc.log is not None else log
            if log_path.is_relative_to(work):
                log_path = failed / log_path.relative_to(work)
            raise StepError(self.name, exc.reason, log_path) from None
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        seconds = time.perf_counter() - started
        outputs = {
            str(path.relative_to(work)): file_digest(path)
            for path in sorted(work.rglob("*")) if path.is_file() and path.name != STAMP
        }
        stamp = {"step": self.name, "key": key, "seconds": round(seconds, 2), "metrics": metrics,
                 "outputs": outputs, "tools": {t: ctx.tool_versions.get(t, "") for t in self.tools}}
        (work / STAMP).write_text(json.dumps(stamp, indent=2))
        shutil.rmtree(final, ignore_errors=True)
        shutil.rmtree(final.with_name(f"{self.name}.failed"), ignore_errors=True)
        work.rename(final)
        return {**stamp, "cached": False}


def select(steps: list[Step], start: str | None = None, stop: str | None = None,
           only: tuple[str, ...] = ()) -> list[Step]:
    """The steps ``--from start --to stop`` or ``--only`` name, in flow order."""
    names = [step.name for step in steps]
    for name in (start, stop, *only):
        if name is not None and name not in names:
            raise ValueError(f"unknown step {name!r} (steps: {', '.join(names)})")
    if only:
        return [step for step in steps if step.name in only]
    first = names.index(start) if start else 0
    last = names.index(stop) if stop else len(steps) - 1
    if first > last:
        raise ValueError(f"--from {start} comes after --to {stop}")
    return steps[first:last + 1]
