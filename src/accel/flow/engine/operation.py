"""Named layout operations: each edit the flow makes to what a tool produced is one of these.

An operation has a name (its config switch ``flow.repairs.<name>`` and its metric
``repair__<name>__count``), a version that goes into its step's cache key, the PDK condition under which it
applies, and one line saying what it fixes. The step that owns an operation's file runs its operations in
order (accel.flow.qflow.repairs lists them all); report.html lists each with its count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ...config import AccelConfig
from ..pdk import Pdk


@dataclass(frozen=True)
class Operation:
    name: str
    step: str                              # the step that runs it
    version: str
    summary: str
    applies: Callable[[Pdk], bool] = lambda pdk: True
    #: The shipped PDKs it applies to, for the docs (a unit test checks it against ``applies``).
    pdks: tuple[str, ...] = ()

    @property
    def metric(self) -> str:
        return f"repair__{self.name}__count"

    def switched_on(self, config: AccelConfig) -> bool:
        return getattr(config.flow.repairs, self.name)

    def runs(self, config: AccelConfig, pdk: Pdk) -> bool:
        """Whether it runs in this build: switched on and applying to the PDK."""
        return self.switched_on(config) and self.applies(pdk)

    def key(self, config: AccelConfig, pdk: Pdk) -> dict:
        """Its part of the owning step's cache key."""
        return {"version": self.version, "runs": self.runs(config, pdk)}
