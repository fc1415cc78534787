"""lctime with three changes for flip-flops, so that one fits in a working session and can be resumed.

Run as ``python -m accel.flow.pdk.lctime_run <lctime arguments>``; ``accel pdk characterize`` does. Measured
with lctime 0.0.26 on dfxtp_1: one setup/hold grid point takes about 20 minutes (8 root searches of
flop transients of 1-10 s each), and lctime's grid is every data slew x every clock slew, so one flop
took many hours and an interrupted run started over. Here:

* **Constraint grid**: setup/hold tables use :data:`accel.flow.pdk.characterize.CONSTRAINT_SLEWS_NS` as
  data slews (3 x 3 with the 3 clock slews, the size SkyWater's own libraries use for constraints).
  Clock-to-output tables keep the full slew x load grid.
* **Resolution**: lctime asks its root searches for 1e-15 s; here they stop at :data:`XTOL_S` (1 ps),
  far below the 3-decimal ns values a Liberty file holds.
* **Resume**: every grid point's result is kept in ``$ACCEL_LCTIME_POINTS`` (a directory per cell and
  key), so a stopped run continues from the last finished point.

Combinational cells go through lctime unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

XTOL_S = 1e-12
#: Environment: directory for per-point results, and the data slews (ns, comma-separated) of the constraints.
POINTS_ENV = "ACCEL_LCTIME_POINTS"
SLEWS_ENV = "ACCEL_LCTIME_CONSTRAINT_SLEWS"
#: Environment: walk the setup/hold grid from its last point (a helper next to the run that walks it
#: from the first; each takes the other's finished points from the shared directory).
REVERSE_ENV = "ACCEL_LCTIME_REVERSE"


class _CoarserOptimize:
    """scipy.optimize as lctime's flip-flop module sees it, with brentq's xtol raised to XTOL_S."""

    def __init__(self, module):
        self._module = module

    def brentq(self, f, a, b, **kwargs):
        kwargs["xtol"] = max(kwargs.get("xtol", XTOL_S), XTOL_S)
        return self._module.brentq(f, a, b, **kwargs)

    def __getattr__(self, name):
        return getattr(self._module, name)


def point_key(kwargs: dict) -> str:
    """Name of one setup/hold grid point: everything that decides it except the simulator objects."""
    fields = {name: value for name, value in kwargs.items() if name not in ("simulation", "cell_conf")}
    text = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def install(points: Path | None, constraint_slews_ns: list[float] | None, reverse: bool = False) -> None:
    import numpy as np
    from lctime.characterization import timing_sequential as seq

    seq.optimize = _CoarserOptimize(seq.optimize)
    measure, characterize = seq.measure_flip_flop_setup_hold, seq.characterize_flip_flop_setup_hold

    def measure_kept(**kwargs):
        if points is None:
            return measure(**kwargs)
        path = points / f"{point_key(kwargs)}.json"
        if path.exists():
            result = seq.FFSetupHoldResult()
            result.__dict__.update(json.loads(path.read_text()))
            print(f"accel: setup/hold point kept from before: {path.name}", flush=True)
            return result
        result = measure(**kwargs)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps({k: float(v) for k, v in result.__dict__.items()}))
        partial.replace(path)
        print(f"accel: setup/hold point done: {path.name}", flush=True)
        return result

    def characterize_coarse(**kwargs):
        if constraint_slews_ns:
            kwargs["constrained_pin_transition"] = np.array(constraint_slews_ns) * 1e-9
        if reverse:
            for name in ("constrained_pin_transition", "related_pin_transition"):
                kwargs[name] = np.asarray(kwargs[name])[::-1]
        return characterize(**kwargs)

    seq.measure_flip_flop_setup_hold = measure_kept
    seq.characterize_flip_flop_setup_hold = characterize_coarse


def main() -> None:
    points = Path(os.environ[POINTS_ENV]) if os.environ.get(POINTS_ENV) else None
    if points is not None:
        points.mkdir(parents=True, exist_ok=True)
    slews = [float(s) for s in os.environ.get(SLEWS_ENV, "").split(",") if s.strip()]
    install(points, slews or None, reverse=bool(os.environ.get(REVERSE_ENV)))
    from lctime.characterization.main_lctime import main as lctime_main

    sys.argv[0] = "lctime"
    lctime_main()


if __name__ == "__main__":
    main()
