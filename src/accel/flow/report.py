"""The build report: a self-contained report.html and a one-screen terminal summary."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..rtl import write_atomic
from .engine.step import STAMP, FlowContext
from .qflow.repairs import OPERATIONS
from .steps import STEP_NAMES

SUMMARY = [
    ("design__name", "design"),
    ("pdk__name", "PDK"),
    ("clock__period", "clock period (ns)"),
    ("synth__design__instance__count", "cells after synthesis"),
    ("design__instance__count", "cells placed (without fill)"),
    ("design__instance__area", "cell area (µm²)"),
    ("design__die__area", "die area (µm²)"),
    ("design__instance__utilization", "utilization"),
    ("timing__setup__ws__synth", "setup slack pre-route (ns)"),
    ("timing__setup__ws", "setup slack post-route (ns)"),
    ("timing__setup__tns", "setup TNS (ns)"),
    ("timing__hold__ws", "hold slack (ns)"),
    ("timing__fmax", "fmax estimate (MHz)"),
    ("timing__setup__ws__reg2reg", "setup slack reg2reg (ns)"),
    ("timing__clock__skew", "clock skew (ns)"),
    ("power__total", "power (W)"),
    ("route__wirelength", "wire length (µm)"),
    ("route__net__unrouted", "unrouted nets"),
    ("magic__drc_errors", "DRC errors (magic)"),
    ("klayout__drc_errors", "DRC errors (KLayout deck)"),
    ("lvs__mismatches", "LVS mismatches"),
    ("connectivity__opens", "opens (connectivity check)"),
    ("connectivity__shorts", "shorts (connectivity check)"),
    ("repair__well_taps__count", "well taps"),
    ("flow__runtime__total", "tool time (s)"),
]


def fmt(value) -> str:
    """A metric for people: 71,580 rather than 7.158e+04; small values with four significant digits."""
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value)
    if isinstance(value, (int, float)) and abs(value) >= 1000:
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def operation_rows(ctx: FlowContext, metrics: dict) -> list[tuple[str, str, str, str]]:
    """(operation, step, what it does, count or why it did not run) for every named layout operation."""
    rows = []
    for op in OPERATIONS:
        if not op.applies(ctx.pdk):
            continue
        if not op.switched_on(ctx.config):
            state = f"off (flow.repairs.{op.name})"
        else:
            state = fmt(metrics.get(op.metric)) if op.metric in metrics else "not run yet"
        rows.append((op.name, op.step, op.summary, state))
    return rows


def timing_excerpt(ctx: FlowContext, kind: str = "setup", lines: int = 60) -> str:
    """The worst ``kind`` (setup or hold) path of the latest timing step, post-route when there is one."""
    for step in ("sta_post", "sta"):
        path = ctx.step_dir(step) / f"{kind}_path.txt"
        if path.exists() and (ctx.step_dir(step) / STAMP).exists():
            text = path.read_text().splitlines()
            return f"({step})\n" + "\n".join(text[:lines])
    return "(no timing analysis yet)"


def path_group_rows(metrics: dict) -> str:
    """Worst setup and hold slack per path group (reg2reg, in2reg, reg2out, in2out), post-route."""
    rows = []
    for group in ("reg2reg", "in2reg", "reg2out", "in2out"):
        setup, hold = metrics.get(f"timing__setup__ws__{group}"), metrics.get(f"timing__hold__ws__{group}")
        if setup is not None or hold is not None:
            rows.append(f"<tr><td>{group}</td><td>{html.escape(fmt(setup))}</td><td>{html.escape(fmt(hold))}</td></tr>")
    if not rows:
        return ""
    return "<table><tr><td><b>path group</b></td><td><b>setup slack (ns)</b></td><td><b>hold slack (ns)</b></td></tr>" \
        + "".join(rows) + "</table>"


def step_bars(metrics: dict) -> str:
    """Inline SVG bar chart of per-step runtime."""
    rows = [(name, metrics.get(f"flow__step__{name}__runtime")) for name in STEP_NAMES]
    rows = [(name, seconds) for name, seconds in rows if seconds is not None]
    if not rows:
        return ""
    longest = max(seconds for _, seconds in rows) or 1.0
    bar_h, label_w, width = 22, 110, 520
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + width + 90}" '
             f'height="{bar_h * len(rows) + 10}" font-family="sans-serif" font-size="13">']
    for i, (name, seconds) in enumerate(rows):
        y = 5 + i * bar_h
        w = max(1.0, width * seconds / longest)
        parts.append(f'<text x="0" y="{y + 15}">{html.escape(name)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" fill="#4a7fb5"/>'
                     f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{seconds:.1f} s</text>')
    parts.append("</svg>")
    return "".join(parts)


def write_report(ctx: FlowContext, result) -> Path:
    metrics = result.metrics
    png = ctx.step_dir("render") / f"{ctx.top}.png"
    picture = ""
    if png.exists() and (ctx.step_dir("render") / STAMP).exists():
        data = base64.b64encode(png.read_bytes()).decode()
        picture = f'<img alt="layout of {html.escape(ctx.top)}" src="data:image/png;base64,{data}" style="max-width:100%">'
    status = "FAILED sign-off" if result.failed_checks else "sign-off clean"
    checks = "".join(f"<li class=bad>{html.escape(c)}</li>" for c in result.failed_checks)
    checks += "".join(f"<li class=warn>{html.escape(c)} (allowed)</li>" for c in result.allowed_checks)
    summary = "".join(f"<tr><td>{html.escape(label)}</td><td>{html.escape(fmt(metrics.get(key)))}</td></tr>"
                      for key, label in SUMMARY if key in metrics)
    operations = "".join(f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(step)}</td>"
                         f"<td>{html.escape(summary)}</td><td>{html.escape(state)}</td></tr>"
                         for name, step, summary, state in operation_rows(ctx, metrics))
    everything = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(fmt(v))}</td></tr>"
                         for k, v in sorted(metrics.items()))
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>accel build: {html.escape(ctx.config.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td{{border:1px solid #ccc;padding:3px 8px}}
pre{{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}}.bad{{color:#b00}}.warn{{color:#a60}}
.note{{background:#fff8e0;padding:.6em 1em;border-left:4px solid #e0b000}}</style></head><body>
<h1>accel build: {html.escape(ctx.config.name)} ({html.escape(ctx.top)})</h1>
<p><b>{status}</b> &middot; config hash <code>{html.escape(ctx.config.config_hash())}</code>
&middot; PDK {html.escape(ctx.pdk.name)} &middot; corner {html.escape(ctx.pdk.corner or "-")}
&middot; Liberty: {html.escape(ctx.pdk.liberty_origin or "-")}</p><ul>{checks}</ul>
<p class="note">{html.escape(ctx.pdk.caveat)}</p>
<h2>Summary</h2><table>{summary}</table>
<h2>Layout</h2>{picture or "<p>(not rendered yet)</p>"}
<h2>Layout operations</h2><p>What the flow changed in what graywolf, qrouter and qflow produced
(switches: <code>flow.repairs.*</code>).</p><table>{operations}</table>
<h2>Step run times</h2>{step_bars(metrics)}
<h2>Timing</h2>{path_group_rows(metrics)}
<p>fmax from {html.escape(str(metrics.get("timing__fmax__source", "-")))} paths; clock skew
{html.escape(fmt(metrics.get("timing__clock__skew")))} ns.</p>
<h3>Critical setup path</h3><pre>{html.escape(timing_excerpt(ctx, "setup"))}</pre>
<h3>Worst hold path</h3><pre>{html.escape(timing_excerpt(ctx, "hold"))}</pre>
<h2>All metrics</h2><table>{everything}</table>
<h2>Config</h2><pre>{html.escape(ctx.config.to_yaml(resolved=True))}</pre>
</body></html>
"""
    path = ctx.root / "report.html"
    write_atomic(path, page)
    return path


def print_summary(console: Console, ctx_root: Path, result) -> None:
    metrics = result.metrics
    table = Table(title=f"accel build: {metrics.get('config__name')} ({metrics.get('design__name')})",
                  show_header=False)
    table.add_column("metric")
    table.add_column("value", overflow="fold")
    table.add_row("PDK", f"{metrics.get('pdk__name')} ({metrics.get('pdk__corner') or '-'})")
    for key, label in SUMMARY:
        if key in metrics and key != "pdk__name":           # the row above has it, with the corner
            table.add_row(label, fmt(metrics[key]))
    table.add_row("GDS", str(ctx_root / "gds" / f"{metrics.get('design__name')}.gds"))
    table.add_row("picture", str(ctx_root / "render" / f"{metrics.get('design__name')}.png"))
    table.add_row("report", str(ctx_root / "report.html"))
    table.add_row("metrics", str(ctx_root / "metrics.json"))
    console.print(table)
    for check in result.allowed_checks:
        console.print(f"[yellow]warning:[/] {check} (allowed)")
