"""Where accel writes: the build directory (simulation models, flow results), below everything that uses it."""

from __future__ import annotations

import os
from pathlib import Path


def build_root() -> Path:
    """``$ACCEL_BUILD_DIR`` or ``./build``, absolute."""
    return Path(os.environ.get("ACCEL_BUILD_DIR", "build")).resolve()
