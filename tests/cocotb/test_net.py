"""Runs the network bench (tb_net.py): rings of 2, 3 and 4 nodes joined by faulty link models."""

import os

import pytest


from test_core import BENCH_DIR, seed_for

RINGS = {
    "ring2": ("network.nodes=2",),
    "ring4": ("network.nodes=4",),
    # Odd ring, wide flits, tight buffers: one longest packet of receive buffer, a 2-packet window,
    # a short retransmit timeout.
    "ring3-tight": ("network.nodes=3", "network.flit_width=64", "network.max_payload_flits=7",
                    "network.rx_buffer_flits=8", "network.replay_packets=2", "network.retransmit_timeout=64"),
}
PACKETS = os.environ.get("ACCEL_NET_PACKETS", "150")
DIRECTED = ["test_saturation_no_deadlock", "test_burst_error_recovery", "test_credit_exhaustion",
            "test_replay_buffer_full", "test_nak_storm", "test_reset_mid_traffic",
            "test_bad_destination_is_dropped"]


@pytest.fixture
def ring_builds(sim_build):
    return lambda ring: sim_build("array4x4", RINGS[ring], "net_ring")


def run(build, testcase, error_rate=0.0):
    build.run("tb_net", BENCH_DIR, testcase=testcase,
              env={"ACCEL_SEED": str(seed_for(testcase)), "ACCEL_NET_PACKETS": PACKETS,
                   "ACCEL_NET_ERROR_RATE": str(error_rate)})


@pytest.mark.sim
@pytest.mark.parametrize("error_rate", [0.0, 1e-3, 1e-2])
@pytest.mark.parametrize("ring", list(RINGS))
def test_net_all_to_all(ring_builds, ring, error_rate):
    """Exactly-once, in-order delivery of random all-to-all traffic, with flit and control errors."""
    run(ring_builds(ring), "test_all_to_all", error_rate)


@pytest.mark.sim
@pytest.mark.parametrize("testcase", DIRECTED)
@pytest.mark.parametrize("ring", list(RINGS))
def test_net_directed(ring_builds, ring, testcase):
    run(ring_builds(ring), testcase)


@pytest.mark.sim
def test_accel_sim_network_cli(ring_builds):
    """``accel sim --network`` runs traffic with faults and reports exactly-once delivery and counters."""
    from click.testing import CliRunner

    from accel.cli import main

    ring_builds("ring2")  # the same hardware as below: built once
    result = CliRunner().invoke(main, ["sim", "array4x4", "--set", "network.nodes=2", "--network", "60",
                                       "--error-rate", "0.01"])
    assert result.exit_code == 0, result.output
    assert "120 packets delivered" in result.output and "exactly once" in result.output
    assert "tx_replays" in result.output
