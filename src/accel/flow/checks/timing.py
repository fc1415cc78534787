"""Reading OpenSTA's reports (the sta.tcl template marks each with ``ACCEL-SECTION name``)."""

from __future__ import annotations

import re


def section(text: str, name: str) -> str:
    match = re.search(rf"ACCEL-SECTION {name}\n(.*?)(?=ACCEL-SECTION|\Z)", text, re.S)
    return match.group(1) if match else ""


def parse_sta(text: str) -> dict:
    setup, hold, summary, power = (section(text, s) for s in ("setup", "hold", "summary", "power"))

    def slack(block: str) -> float | None:
        match = re.search(r"(-?[\d.]+)\s+slack \((?:MET|VIOLATED)\)", block)
        return float(match.group(1)) if match else None

    def arrival(block: str) -> float | None:
        match = re.search(r"(-?[\d.]+)\s+data arrival time", block)
        return float(match.group(1)) if match else None

    wns = re.search(r"^wns\s+(-?[\d.]+)", summary, re.M)
    tns = re.search(r"^tns\s+(-?[\d.]+)", summary, re.M)
    total = re.search(r"^Total\s+([-\d.e+]+)\s+([-\d.e+]+)\s+([-\d.e+]+)\s+([-\d.e+]+)", power, re.M)
    return {
        "setup_ws": slack(setup), "hold_ws": slack(hold), "arrival": arrival(setup),
        "wns": float(wns.group(1)) if wns else None, "tns": float(tns.group(1)) if tns else None,
        "power_internal": float(total.group(1)) if total else None,
        "power_switching": float(total.group(2)) if total else None,
        "power_leakage": float(total.group(3)) if total else None,
        "power_total": float(total.group(4)) if total else None,
        "setup_path": setup.strip(),
    }
