"""A cycle-level HBM pseudo-channel device model for cocotb: stores data, returns reads, checks timing.

It watches the controller's DFI-like command port every cycle and records a violation for every broken
timing rule and every command illegal in the bank state (ACT to an open bank, RD/WR to a closed one, REF
with a bank open, a refresh interval longer than tREFI, write data not exactly tWL after WR). Read data
goes back exactly tCL cycles after RD. Rules are checked against the *true* timing given to the model,
independent of what the controller was told.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from ..arch.address import AddressMap
from ..hw.hbm.controller import CMD_ACT, CMD_NAMES, CMD_PRE, CMD_RD, CMD_REF, CMD_WR

NEVER = -10**9


@dataclass
class Violation:
    cycle: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"cycle {self.cycle}: {self.rule}: {self.detail}"


class HbmDevice:
    def __init__(self, dut, timing: dict[str, int], amap: AddressMap, banks_per_group: int, bank_groups: int,
                 burst_bits: int, burst_length: int, prefix: str = ""):
        self.dut = dut
        self.t = dict(timing)
        self.amap = amap
        self.bpg = banks_per_group
        self.groups = bank_groups
        self.burst_bits = burst_bits
        self.tburst = burst_length // 2
        self.p = prefix
        self.cycle = 0
        self.violations: list[Violation] = []
        self.memory: dict[tuple[int, int, int], int] = {}
        self.open_row: dict[int, int | None] = defaultdict(lambda: None)
        self.last = defaultdict(lambda: NEVER)      # (command, bank) -> cycle
        self.last_act_bg = defaultdict(lambda: NEVER)
        self.last_col_bg = defaultdict(lambda: NEVER)
        self.act_times: list[int] = []
        self.last_wr = NEVER                        # any bank
        self.last_rd = NEVER
        self.last_ref = 0                           # reset counts as the start of the first interval
        self.pending_reads: list[tuple[int, int]] = []       # (due cycle, data)
        self.pending_writes: list[tuple[int, tuple]] = []    # (due cycle, location)
        self.counts = defaultdict(int)

    def signal(self, name):
        return getattr(self.dut, f"{self.p}{name}")

    @staticmethod
    def initial(location: tuple[int, int, int], bits: int) -> int:
        """Deterministic content of never-written memory, so every read is checkable."""
        bank, row, col = location
        return ((bank * 0x9E3779B1 + row * 0x85EBCA77 + col * 0xC2B2AE3D) * 0x27D4EB2F) % (1 << bits)

    def read_value(self, location) -> int:
        return self.memory.get(location, self.initial(location, self.burst_bits))

    def flag(self, rule: str, detail: str) -> None:
        if len(self.violations) < 1000:
            self.violations.append(Violation(self.cycle, rule, detail))

    def since(self, then: int, need: int, rule: str, detail: str) -> None:
        if self.cycle - then < need:
            self.flag(rule, f"{detail}: {self.cycle - then} < {need} cycles")

    def start(self) -> None:
        self.signal("dfi_rddata_valid").value = 0
        self.signal("dfi_rddata").value = 0
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        valid, rddata = self.signal("dfi_rddata_valid"), self.signal("dfi_rddata")
        while True:
            await RisingEdge(self.dut.clk)
            self.cycle += 1
            due = [d for d in self.pending_reads if d[0] == self.cycle]
            if due:
                valid.value, rddata.value = 1, due[0][1]
                self.pending_reads.remove(due[0])
            else:
                valid.value = 0
            await ReadOnly()
            if int(self.dut.rst.value):
                self.reset_state()
                continue
            self.observe()

    def reset_state(self) -> None:
        self.open_row.clear()
        self.pending_reads.clear()
        self.pending_writes.clear()
        self.last_ref = self.cycle

    def observe(self) -> None:
        t, c = self.t, self.cycle
        wr_valid = int(self.signal("dfi_wrdata_valid").value)
        expected = [w for w in self.pending_writes if w[0] == c]
        if wr_valid and not expected:
            self.flag("tWL", "write data without a WR tWL cycles earlier")
        elif expected and not wr_valid:
            self.flag("tWL", "no write data tWL cycles after WR")
        if expected:
            self.pending_writes.remove(expected[0])
            if wr_valid:
                self.memory[expected[0][1]] = int(self.signal("dfi_wrdata").value)
        if c - self.last_ref > t["tREFI"]:
            self.flag("tREFI", f"no REF for {c - self.last_ref} > {t['tREFI']} cycles")
            self.last_ref = c  # report once per missed interval
        cmd = int(self.signal("dfi_cmd").value)
        if cmd == 0:
            return
        self.counts[CMD_NAMES.get(cmd, "?")] += 1
        bg = int(self.signal("dfi_bg").value) if self.amap.bg_bits else 0
        bank_in_group = int(self.signal("dfi_bank").value) if self.amap.bank_bits else 0
        bank = bg * self.bpg + bank_in_group
        where = f"bank {bank}"
        if cmd == CMD_ACT:
            row = int(self.signal("dfi_row").value) if self.amap.row_bits else 0
            if self.open_row[bank] is not None:
                self.flag("ACT_OPEN", f"ACT to {where} with row {self.open_row[bank]} open")
            self.since(self.last[("PRE", bank)], t["tRP"], "tRP", where)
            self.since(self.last[("ACT", bank)], t["tRC"], "tRC", where)
            self.since(self.last[("REF", None)], t["tRFC"], "tRFC", where)
            for g in range(self.groups):
                need = t["tRRD_L"] if g == bg else t["tRRD_S"]
                self.since(self.last_act_bg[g], need, "tRRD_L" if g == bg else "tRRD_S", f"{where} after bg {g}")
            if len(self.act_times) >= 4:
                self.since(self.act_times[-4], t["tFAW"], "tFAW", "fifth ACT in the window")
            self.act_times = (self.act_times + [c])[-4:]
            self.open_row[bank] = row
            self.last[("ACT", bank)] = c
            self.last_act_bg[bg] = c
        elif cmd in (CMD_RD, CMD_WR):
            col = int(self.signal("dfi_col").value) if self.amap.col_bits else 0
            name = "RD" if cmd == CMD_RD else "WR"
            row = self.open_row[bank]
            if row is None:
                self.flag("COL_CLOSED", f"{name} to closed {where}")
                row = -1
            self.since(self.last[("ACT", bank)], t["tRCD"], "tRCD", where)
            for g in range(self.groups):
                need = t["tCCD_L"] if g == bg else t["tCCD_S"]
                self.since(self.last_col_bg[g], need, "tCCD_L" if g == bg else "tCCD_S", f"{where} after bg {g}")
            location = (bank, row, col)
            if cmd == CMD_RD:
                self.since(self.last_wr, t["tWL"] + self.tburst + t["tWTR"], "tWTR", "RD after WR")
                self.pending_reads.append((c + t["tCL"], self.read_value(location)))
                self.last_rd = c
            else:
                self.since(self.last_rd, t["tCL"] + self.tburst + 1 - t["tWL"], "tRTW", "WR after RD")
                self.pending_writes.append((c + t["tWL"], location))
                self.last_wr = c
            self.last[(name, bank)] = c
            self.last_col_bg[bg] = c
        elif cmd == CMD_PRE:
            if self.open_row[bank] is None:
                self.flag("PRE_CLOSED", f"PRE to closed {where}")
            self.since(self.last[("ACT", bank)], t["tRAS"], "tRAS", where)
            self.since(self.last[("RD", bank)], t["tRTP"], "tRTP", where)
            self.since(self.last[("WR", bank)], t["tWL"] + self.tburst + t["tWR"], "tWR", where)
            self.open_row[bank] = None
            self.last[("PRE", bank)] = c
        elif cmd == CMD_REF:
            open_banks = [b for b, r in self.open_row.items() if r is not None]
            if open_banks:
                self.flag("REF_OPEN", f"REF with banks {open_banks} open")
            for b in range(self.groups * self.bpg):
                self.since(self.last[("PRE", b)], t["tRP"], "tRP", f"REF after PRE of bank {b}")
            self.since(self.last[("REF", None)], t["tRFC"], "tRFC", "REF after REF")
            self.last[("REF", None)] = c
            self.last_ref = c
        else:
            self.flag("BAD_CMD", f"unknown command {cmd}")
