"""Reading netgen's LVS report."""

from __future__ import annotations

import json
from pathlib import Path


def count_mismatches(comp_json: Path) -> int:
    """Mismatches in the top cell of netgen's JSON report (devices, nets, pins, properties)."""
    data = json.loads(comp_json.read_text())
    top = data[-1]
    failures = 0
    if "devices" in top:
        left, right = top["devices"]
        failures += sum(abs(a[1] - b[1]) for a, b in zip(left, right))
    if "nets" in top:
        failures += abs(top["nets"][0] - top["nets"][1])
    for key in ("badnets", "badelements", "properties"):
        failures += len(top.get(key, []))
    if "pins" in top:
        left, right = top["pins"]
        failures += sum(1 for a, b in zip(left, right) if a != b and "(no matching pin)" in (a + b))
    return failures
