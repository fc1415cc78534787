"""The command line: exit codes, one-line errors, no tracebacks, real outputs."""

import json

import pytest
from click.testing import CliRunner

from accel.cli import main


@pytest.fixture
def run():
    def invoke(*args):
        result = CliRunner().invoke(main, list(args))
        return result.exit_code, result.output
    return invoke


def test_config_show_resolves_overrides(run):
    code, out = run("config", "show", "tiny", "--set", "array.rows=3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["array"]["rows"] == 3 and data["array"]["cols"] == 2 and len(data["config_hash"]) == 12


def test_config_show_fills_in_what_the_flow_derives(run):
    """No ``null`` for values taken from a preset or the PDK: the value in force is shown."""
    code, out = run("config", "show", "default")
    assert code == 0 and "null" not in out
    code, out = run("config", "show", "tiny", "--set", "flow.pdk=sky130hd", "--json")
    data = json.loads(out)
    assert data["flow"]["utilization"] == 0.3 and data["hbm"]["burst_length"] in (2, 4, 8)
    assert data["hbm"]["timing"]["tRCD"] >= 1 and data["soc"]["requant_lanes"] == data["array"]["cols"]
    assert data["flow"]["repairs"]["notch_fills"] is True


def test_help_says_what_accel_does(run):
    code, out = run("--help")
    assert code == 0 and "signed-off layout" in out
    code, out = run("build", "--help")
    assert "preroute" in out and "report.html" in out


def test_config_validate_all_bundled(run):
    code, out = run("config", "validate", "default", "array4x4", "tiny", "rect", "tpu-like")
    assert code == 0 and out.count("ok  ") == 5


@pytest.mark.parametrize("args, fragment", [
    (["config", "validate", "nope.yaml"], "nope.yaml: no such config file"),
    (["config", "show", "tiny", "--set", "array.rowz=2"], "array.rowz: unknown key (did you mean 'rows'?)"),
    (["rtl", "tiny", "--set", "array.rows=-1"], "array.rows: Input should be greater than or equal to 1"),
    (["sim", "tiny", "--set", "memory.accumulator_rows=3"], "accumulator_rows must be a power of two"),
    (["sim", "tiny", "--network", "10", "--set", "network.nodes=40"], "nodes (40) do not fit node_id_width"),
    (["sim", "tiny", "--network", "10", "--gemm", "4x4x4"], "--gemm and --network: choose one workload"),
    (["sim", "tiny", "--error-rate", "0.1"], "--error-rate applies to --network traffic only"),
    (["sim", "default", "--gemm", "512x512x512"], "needs 131072 HBM bursts from burst 0, HBM holds 65536"),
    (["sim", "default", "--gemm", "64x64x64"], "the upper half of HBM holds 32768 (raise hbm.rows"),
])
def test_user_errors_are_one_line_exit_2(run, args, fragment):
    code, out = run(*args)
    assert code == 2
    assert fragment in out
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1


def test_bad_config_file_names_file_and_line(run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\narray:\n  rows: 2\n  colls: 2\n")
    code, out = run("config", "validate", str(bad))
    assert code == 2 and f"{bad}:4: array.colls: unknown key (did you mean 'cols'?)" in " ".join(out.split())


def test_bad_gemm_shape_is_a_usage_error(run):
    code, out = run("sim", "tiny", "--gemm", "4x4")
    assert code == 2 and "expected MxKxN" in out


def test_rtl_writes_verilog_and_manifest(run, tmp_path):
    code, out = run("rtl", "rect", "-o", str(tmp_path))
    assert code == 0, out
    manifest = json.loads((tmp_path / "accel_core.manifest.json").read_text())
    verilog = (tmp_path / "accel_core.v").read_text()
    assert manifest["top"] == "accel_core" and "module accel_core(" in verilog
    assert manifest["config_name"] == "rect" and len(manifest["config_hash"]) == 12
    ports = {p["name"]: p for p in manifest["ports"]}
    assert ports["weights__payload"] == {"name": "weights__payload", "direction": "input", "width": 5 * 8}
    assert ports["rd_data"]["width"] == 5 * 32 and ports["rd_data"]["direction"] == "output"
    fields = manifest["payload_fields"]["act"]
    assert fields["data"] == {"offset": 0, "width": 3 * 8}
    assert ports["act__payload"]["width"] == sum(f["width"] for f in fields.values())
    for port in ports:
        assert f" {port}" in verilog
