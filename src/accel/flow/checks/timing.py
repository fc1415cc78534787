"""Reading OpenSTA's reports (the sta.tcl template marks each with ``ACCEL-SECTION name``)."""

from __future__ import annotations

import re


def section(text: str, name: str) -> str:
    match = re.search(rf"ACCEL-SECTION {name}\n(.*?)(?=ACCEL-SECTION|\Z)", text, re.S)
    return match.group(1) if match else ""


def parse_sta(text: str) -> dict:
    setup, hold, summary, power = (section(text, s) for s in ("setup", "hold", "summary", "power"))
    groups_setup, groups_hold, clock_skew = (section(text, s) for s in ("groups_setup", "groups_hold", "skew"))

    def slack(block: str) -> float | None:
        match = re.search(r"(-?[\d.]+)\s+(?:slack )?\((?:MET|VIOLATED)\)", block)
        return float(match.group(1)) if match else None

    def arrival(block: str) -> float | None:
        match = re.search(r"(-?[\d.]+)\s+data arrival time", block)
        return float(match.group(1)) if match else None

    def groups(block: str) -> dict[str, float]:
        """Path group -> worst slack (``report_checks -group_count 1 -format end``)."""
        found = {}
        for name, body in re.findall(r"_delay/\w+ group (\w+)\n(.*?)(?=\n\S+_delay/|\Z)", block, re.S):
            value = slack(body)
            if value is not None:
                found[name] = value
        return found

    def skew(block: str) -> float | None:
        rows = re.findall(r"^\s*(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s*$", block, re.M)
        return max(abs(float(row[2])) for row in rows) if rows else None

    def worst(block: str) -> tuple[float | None, str]:
        """The slack and text of the worst path of a report holding one path per path group."""
        paths = [p for p in re.split(r"\n(?=Startpoint:)", block.strip()) if slack(p) is not None]
        if not paths:
            return None, block.strip()
        path = min(paths, key=slack)
        return slack(path), path.strip()

    setup_ws, setup_path = worst(setup)
    hold_ws, hold_path = worst(hold)
    wns = re.search(r"^wns\s+(-?[\d.]+)", summary, re.M)
    tns = re.search(r"^tns\s+(-?[\d.]+)", summary, re.M)
    total = re.search(r"^Total\s+([-\d.e+]+)\s+([-\d.e+]+)\s+([-\d.e+]+)\s+([-\d.e+]+)", power, re.M)
    return {
        "setup_ws": setup_ws, "hold_ws": hold_ws, "arrival": arrival(setup_path),
        "wns": float(wns.group(1)) if wns else None, "tns": float(tns.group(1)) if tns else None,
        "power_internal": float(total.group(1)) if total else None,
        "power_switching": float(total.group(2)) if total else None,
        "power_leakage": float(total.group(3)) if total else None,
        "power_total": float(total.group(4)) if total else None,
        "setup_path": setup_path, "hold_path": hold_path,
        "setup_groups": groups(groups_setup), "hold_groups": groups(groups_hold),
        "clock_skew": skew(clock_skew),
    }
