"""Errors the command line turns into one line and an exit code (kept light: no Amaranth import)."""


class LintError(RuntimeError):
    """Verilator found lint problems; the message carries the first ones and the log path."""


class SimulationError(RuntimeError):
    """A simulator build or a bench run failed; the message names the log to read."""
