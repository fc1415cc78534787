"""The config layer: schema, strict loading, one-line errors with file:line, overrides, hash."""

import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accel.config import AccelConfig, ConfigError, bundled_configs, load_config, parse_config

VALID = """\
name: t
array:
  rows: 3
  cols: 5
memory:
  accumulator_rows: 32
clock:
  period_ns: 8
"""


def error_of(text, overrides=()):
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml", overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", ["default", "array4x4", "tiny", "rect", "tpu-like", "soc-lite"])
def test_bundled_configs_load(name):
    cfg = load_config(name)
    assert cfg.name == name
    assert len(cfg.config_hash()) == 12


def test_bundled_set_is_complete():
    assert {"default", "array4x4", "tiny", "tpu-like"} <= set(bundled_configs())
    assert load_config("tiny").array.rows == 2 and load_config("array4x4").array.rows == 4
    assert load_config(None).name == "default"


def test_values_and_defaults():
    cfg = parse_config(VALID)
    assert (cfg.array.rows, cfg.array.cols, cfg.array.input_width, cfg.array.acc_width) == (3, 5, 8, 32)
    assert cfg.clock.period_ns == 8.0 and isinstance(cfg.clock.period_ns, float)
    assert cfg.memory.accumulator_rows == 32 and cfg.memory.scratchpad_rows == 256


def test_hash_is_stable_and_ignores_order_name_and_description():
    reordered = "clock:\n  period_ns: 8.0\nmemory:\n  accumulator_rows: 32\narray:\n  cols: 5\n  rows: 3\n" \
                "name: other\ndescription: words\n"
    assert parse_config(VALID).config_hash() == parse_config(reordered).config_hash()
    assert parse_config(VALID).config_hash() != parse_config(VALID, overrides=["array.rows=4"]).config_hash()
    # Pinned: a changed hash invalidates every cached build, so it must not change by accident.
    assert AccelConfig().config_hash() == AccelConfig().config_hash()
    # History: 7f5d664bc050 (flow.utilization 0.6 spelled out in default.yaml) -> ed5afc62fd57 (left to the
    # PDK) -> cd4bf0c3d959 (soc.unit_queue_depth 4 -> 8) -> 1eceb7fbac92 (flow.placement_speedup) ->
    # 84ba780ef600 (flow.route_cleanup); then renamed array4x4 (the hash leaves names out) -> 85ad44214fb3
    # (soc.requant_lanes and soc.requant_scale_bits) -> 194044428b22 (flow.repairs)
    assert load_config("array4x4").config_hash() == "194044428b22"
    # The embedded default since it became the SoC that accel build lays out (issue 6): da14034fd096 ->
    # 465ab3b4a9d2 (soc.requant_lanes: 1, soc.requant_scale_bits: 1) -> 069a9a5264c7 (flow.repairs)
    assert load_config("default").config_hash() == "069a9a5264c7"


def test_utilization_defaults_to_the_pdks():
    assert load_config("array4x4").flow.density == 0.6
    assert load_config("array4x4", ["flow.pdk=sky130hd"]).flow.density == 0.3
    assert load_config("array4x4", ["flow.pdk=sky130hd", "flow.utilization=0.45"]).flow.density == 0.45


def test_overrides():
    cfg = parse_config(VALID, overrides=["array.rows=8", "clock.period_ns=2.5", "description=hi there"])
    assert cfg.array.rows == 8 and cfg.clock.period_ns == 2.5 and cfg.description == "hi there"


@pytest.mark.parametrize("item, expected", [
    ("array.rowz=3", "--set array.rowz=3: array.rowz: unknown key (did you mean 'rows'?)"),
    ("array.rows=0", "--set array.rows=0: array.rows: Input should be greater than or equal to 1 (got 0)"),
    ("array.rows=x", "--set array.rows=x: array.rows: Input should be a valid integer (got 'x')"),
    ("array.rows", "--set array.rows: expected KEY=VALUE"),
    ("array.rows.x=1", "--set array.rows.x=1: array.rows is not a section"),
    ("array.acc_width=8", "--set array.acc_width=8: array: acc_width (8) must be at least 2 * input_width (16)"),
])
def test_bad_overrides(item, expected):
    assert error_of(VALID, [item]).startswith(expected)


@pytest.mark.parametrize("text, expected", [
    ("array:\n  rows: 4\n  colz: 3\n", "c.yaml:3: array.colz: unknown key (did you mean 'cols'?)"),
    ("arrray:\n  rows: 4\n", "c.yaml:1: arrray: unknown key (did you mean 'array'?)"),
    ("array:\n  rows: 4\n  zzz: 1\n", "c.yaml:3: array.zzz: unknown key (valid keys: acc_width, cols,"),
    ("network:\n  node: 4\n", "c.yaml:2: network.node: unknown key (did you mean 'nodes'?)"),
    ("network:\n  nodes: 20\n", "c.yaml:1: network: nodes (20) do not fit node_id_width (4 bits)"),
    ("network:\n  ports: 4\n", "c.yaml:1: network: a ring needs ports: 2 (east and west), got 4"),
    ("network:\n  rx_buffer_flits: 24\n", "c.yaml:1: network: rx_buffer_flits must be a power of two (got 24)"),
    ("network:\n  rx_buffer_flits: 8\n", "c.yaml:1: network: rx_buffer_flits (8) must hold one longest packet"),
    ("network:\n  node_id_width: 8\n  replay_packets: 64\n  max_payload_flits: 255\n",
     "c.yaml:1: network: the packet header needs 34 bits but flit_width is 32"),
    ("hbm:\n  pseudo_channel: 4\n", "c.yaml:2: hbm.pseudo_channel: unknown key (did you mean 'pseudo_channels'?)"),
    ("hbm:\n  timing:\n    tRC: 20\n", "c.yaml:1: hbm: timing.tRC must be >= tRAS + tRP"),
    ("hbm:\n  timing:\n    trcd: 20\n", "c.yaml:3: hbm.timing.trcd: unknown key (did you mean 'tRCD'?)"),
    ("hbm:\n  preset: hbm4\n", "c.yaml:2: hbm.preset: Input should be 'hbm2_2gbps' or 'hbm3'"),
    ("hbm:\n  banks_per_group: 3\n", "c.yaml:1: hbm: banks_per_group must be a power of two (got 3)"),
    ("array:\n  rows: '4'\n", "c.yaml:2: array.rows: Input should be a valid integer (got '4')"),
    ("array:\n  rows: 4.0\n", "c.yaml:2: array.rows: Input should be a valid integer (got 4.0)"),
    ("array:\n  rows: true\n", "c.yaml:2: array.rows: Input should be a valid integer (got True)"),
    ("array:\n  rows: 0\n", "c.yaml:2: array.rows: Input should be greater than or equal to 1 (got 0)"),
    ("array:\n  rows: 1000\n", "c.yaml:2: array.rows: Input should be less than or equal to 256 (got 1000)"),
    ("array:\n  dataflow: output\n", "c.yaml:2: array.dataflow: Input should be 'weight_stationary'"),
    ("array:\n  input_width: 16\n  acc_width: 24\n", "c.yaml:1: array: acc_width (24) must be at least"),
    ("memory:\n  accumulator_rows: 48\n", "c.yaml:1: memory: accumulator_rows must be a power of two (got 48)"),
    ("clock:\n  period_ns: -1\n", "c.yaml:2: clock.period_ns: Input should be greater than 0"),
    ("array: 4\n", "c.yaml:1: array: Input should be a valid dictionary"),
    ("array:\n  rows: 1\n  rows: 2\n", "c.yaml:3: array.rows: duplicate key"),
    ("array: [1\n", "c.yaml:2: not valid YAML"),
    ("a: b: c\n", "c.yaml:1: not valid YAML"),
    ("- 1\n- 2\n", "c.yaml:1: the top level must be a mapping"),
    ("name: 'has space'\n", "c.yaml:1: name: String should match pattern"),
])
def test_bad_documents(text, expected):
    assert error_of(text).startswith(expected)


def test_empty_document_is_all_defaults():
    cfg = parse_config("", "c.yaml", default_name="c")
    assert cfg.name == "c" and cfg.array.rows == 4


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match=r"no such config file \(bundled configs: .*default"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not a file"):
        load_config(tmp_path)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(binary)
    typo = tmp_path / "typo.yaml"
    typo.write_text("array:\n  rows: 2\n  col: 2\n")
    with pytest.raises(ConfigError, match=rf"^{typo}:3: array.col: unknown key \(did you mean 'cols'\?\)$"):
        load_config(typo)


# ------------------------------------------------------------------ generated malformed documents

SECTIONS = {"array": ["rows", "cols", "input_width", "acc_width", "dataflow"],
            "hbm": ["pseudo_channels", "bank_groups", "rows", "columns", "preset", "page_policy"],
            "flow": ["top", "utilization", "aspect_ratio", "pdk"],
            "memory": ["accumulator_rows", "scratchpad_rows"], "clock": ["period_ns"]}

junk_values = st.one_of(
    st.text(max_size=8), st.floats(allow_nan=True), st.integers(-10**6, 10**6), st.booleans(), st.none(),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
identifiers = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)


@st.composite
def mutated_documents(draw):
    """A valid document with one or more random wrong keys or values."""
    doc = yaml.safe_load(VALID)
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from([*SECTIONS, "network", None]))
        if section is None:
            doc[draw(identifiers)] = draw(junk_values)
            continue
        target = doc.setdefault(section, {})
        if not isinstance(target, dict):
            continue
        keys = SECTIONS.get(section, [])
        key = draw(st.sampled_from(keys)) if keys and draw(st.booleans()) else draw(identifiers)
        target[key] = draw(junk_values)
    return yaml.safe_dump(doc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_mutated_documents_give_one_line_or_a_config(text):
    try:
        cfg = parse_config(text, "m.yaml")
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith("m.yaml") and "\n" not in message and "Traceback" not in message
    else:
        assert isinstance(cfg, AccelConfig)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_escapes_as_another_exception(text):
    try:
        parse_config(text, "r.yaml")
    except ConfigError as exc:
        assert str(exc).startswith("r.yaml") and "\n" not in str(exc)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=3))
def test_arbitrary_overrides_never_escape(items):
    try:
        parse_config(VALID, "o.yaml", items)
    except ConfigError as exc:
        assert "\n" not in str(exc)


def test_hardware_hash_ignores_clock_and_flow_only():
    base = load_config("array4x4")
    assert load_config("array4x4", ["clock.period_ns=3"]).hardware_hash() == base.hardware_hash()
    assert load_config("array4x4", ["flow.utilization=0.5"]).hardware_hash() == base.hardware_hash()
    assert load_config("array4x4", ["hbm.preset=hbm3"]).hardware_hash() != base.hardware_hash()
    assert load_config("array4x4", ["array.rows=2"]).hardware_hash() != base.hardware_hash()


def test_requant_lanes_default_to_every_column_and_must_divide_them():
    assert load_config("array4x4").resolved_requant_lanes() == 4
    assert load_config("array4x4", ["soc.requant_lanes=2"]).resolved_requant_lanes() == 2
    assert load_config("default").resolved_requant_lanes() == 1
    assert load_config("array4x4").soc.requant_scale_bits == 16
    with pytest.raises(ConfigError, match="soc.requant_scale_bits"):
        load_config("array4x4", ["soc.requant_scale_bits=3"])
    with pytest.raises(ConfigError, match=r"soc.requant_lanes: 3 does not divide array.cols \(4\)"):
        load_config("array4x4", ["soc.requant_lanes=3"]).resolved_requant_lanes()
    # Refused when the config loads, against the file: the check spans two sections and names both keys.
    with pytest.raises(ConfigError, match=r"array4x4\.yaml: soc\.requant_lanes: 3 does not divide"):
        load_config("array4x4", ["soc.requant_lanes=3"])
