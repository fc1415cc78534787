"""cocotb tests of the network: a ring of nodes joined by link models that delay, throttle and corrupt.

Environment (set by test_net.py): ACCEL_SEED, ACCEL_NET_PACKETS (packets per node), ACCEL_NET_ERROR_RATE
(flit and control-word error probability).
"""

import math
import os

import cocotb

from accel.sim.net_tb import NetTB

PACKETS = int(os.environ.get("ACCEL_NET_PACKETS", "150"))
ERROR_RATE = float(os.environ.get("ACCEL_NET_ERROR_RATE", "0"))


def imperfect_links(tb: NetTB, error_rate: float) -> None:
    """Random latency and PHY back-pressure on every link, and bit errors at ``error_rate``."""
    for link in tb.links:
        link.latency = int(tb.rng.integers(1, 6))
        link.reset()
        link.ready_probability = 0.85
        link.flit_error_rate = error_rate
        link.ctrl_error_rate = error_rate


def check_clean(tb: NetTB) -> None:
    """Counters of a run without link faults: nothing retransmitted, nothing dropped."""
    c = tb.counters()
    for name in ("tx_replays", "tx_timeouts", "tx_naks", "rx_crc_errors", "rx_dropped", "rx_framing_errors",
                 "rx_no_space", "ctrl_errors"):
        assert c[name] == 0, f"{name} = {c[name]} without faults: {c}"
    assert c["rx_packets"] == c["tx_packets"], c


@cocotb.test()
async def test_all_to_all(dut):
    """Random all-to-all traffic with random lengths, gaps and back-pressure; faults at ERROR_RATE."""
    tb = NetTB(dut)
    await tb.start()
    imperfect_links(tb, ERROR_RATE)
    tb.inject_probability = 0.7
    tb.eject_probability = [0.6] * tb.nodes
    packets = PACKETS
    if ERROR_RATE:
        # Enough flits (about 10 per packet) for some 20 corrupted ones on average.
        packets = max(packets, math.ceil(20 / (ERROR_RATE * 10 * tb.nodes)))
    tb.random_traffic(packets, loopback=True)
    cycles = await tb.run_until_delivered()
    c = tb.counters()
    tb.log.info("%d packets in %d cycles; counters %s; link faults %s", len(tb.delivered), cycles, c,
                [link.stats for link in tb.links])
    if ERROR_RATE == 0:
        check_clean(tb)
    else:
        corrupted = sum(link.stats.corrupted_flits for link in tb.links)
        assert corrupted > 0, "the error rate produced no corrupted flit: raise it or the packet count"
        assert c["rx_crc_errors"] + c["rx_dropped"] + c["rx_framing_errors"] > 0, c
        assert c["tx_replays"] > 0, c


@cocotb.test()
async def test_saturation_no_deadlock(dut):
    """Every node floods the node farthest away with longest packets (every wrap-around link and both
    virtual channels busy), under ejection back-pressure: all arrive, nothing stalls for good."""
    tb = NetTB(dut)
    await tb.start()
    imperfect_links(tb, 0.0)
    far = tb.nodes // 2
    for _ in range(PACKETS // 2):
        for src in range(tb.nodes):
            tb.send(src, (src + far) % tb.nodes, length=tb.net.max_payload_flits)
            tb.send(src, (src - far) % tb.nodes, length=tb.net.max_payload_flits)
    tb.eject_probability = [0.3] * tb.nodes
    cycles = await tb.run_until_delivered(stall_limit=5000)
    tb.log.info("saturation: %d packets in %d cycles, %s", len(tb.delivered), cycles, tb.counters())
    check_clean(tb)
    c = tb.counters()
    assert c["tx_credit_stalls"] > 0, f"the flood never ran out of credits: {c}"


@cocotb.test()
async def test_burst_error_recovery(dut):
    """A 60-cycle burst on one link in the middle of traffic: the link recovers, every packet arrives."""
    tb = NetTB(dut)
    await tb.start()
    for _ in range(PACKETS // 4):
        tb.send(0, 1)
    tb.random_traffic(PACKETS // 2)
    link = tb.link("n0__east_tx")
    while link.stats.flits < 100:       # the burst hits a busy link
        await tb.step()
    link.burst(60)
    back = tb.link("n1__west_tx")
    back.burst(60)
    await tb.run_until_delivered()
    c0 = tb.counters(0, "east")
    c1 = tb.counters(1, "west")
    tb.log.info("after burst: node0.east %s node1.west %s faults %s", c0, c1, link.stats)
    assert link.stats.corrupted_flits + link.stats.dropped_flits > 0
    assert c1["rx_crc_errors"] + c1["rx_dropped"] + c1["rx_framing_errors"] > 0, c1
    assert c0["tx_replays"] > 0, c0
    assert c0["ctrl_errors"] > 0, c0


@cocotb.test()
async def test_credit_exhaustion(dut):
    """Node 1 stops ejecting: node 0's sender runs out of credits and waits; the receive buffer never
    holds more than its size, nothing is dropped, and everything arrives once node 1 drains."""
    tb = NetTB(dut)
    await tb.start()
    tb.eject_probability[1] = 0.0
    for _ in range(40):
        tb.send(0, 1)
    await tb.run_cycles(1500)
    c0, c1 = tb.counters(0, "east"), tb.counters(1, "west")
    assert c0["tx_credit_stalls"] > 0, c0
    stored = sum(len(p.payload) + 1 for p in list(tb.expected[(0, 1)])[:c1["rx_packets"]])
    assert stored <= tb.net.rx_buffer_flits, f"{stored} flits accepted into a {tb.net.rx_buffer_flits}-flit buffer"
    assert not tb.delivered
    tb.eject_probability[1] = 1.0
    await tb.run_until_delivered()
    check_clean(tb)


@cocotb.test()
async def test_replay_buffer_full(dut):
    """Every ACK from node 1 to node 0 is lost for a while: node 0 fills its replay buffer, stops taking
    packets, times out and replays (node 1 drops the duplicates); once ACKs return all arrive once."""
    tb = NetTB(dut)
    await tb.start()
    for _ in range(30):
        tb.send(0, 1, length=2)
    acks = tb.link("n1__west_tx")
    acks.ctrl_error_rate = 1.0
    await tb.run_cycles(4 * tb.net.retransmit_timeout)
    c0, c1 = tb.counters(0, "east"), tb.counters(1, "west")
    assert c0["tx_window_stalls"] > 0, c0
    assert c0["tx_packets"] == tb.net.replay_packets, c0
    assert c0["tx_timeouts"] >= 2 and c0["tx_replays"] > 0, c0
    assert c1["rx_dropped"] > 0, c1
    assert c0["ctrl_errors"] > 0, c0
    acks.ctrl_error_rate = 0.0
    await tb.run_until_delivered()


@cocotb.test()
async def test_nak_storm(dut):
    """One flit in ten from node 0 to node 1 corrupted for a long stretch: NAK after NAK; then the
    link heals and every packet arrives exactly once, in order."""
    tb = NetTB(dut)
    await tb.start()
    for _ in range(PACKETS):
        tb.send(0, 1, length=int(tb.rng.integers(1, 5)))
    link = tb.link("n0__east_tx")
    link.flit_error_rate = 0.1
    await tb.run_cycles(3000)
    link.flit_error_rate = 0.0
    await tb.run_until_delivered()
    c0 = tb.counters(0, "east")
    tb.log.info("nak storm: %s", c0)
    assert c0["tx_naks"] >= 20 and c0["tx_naks"] > c0["tx_timeouts"], c0


@cocotb.test()
async def test_reset_mid_traffic(dut):
    """A reset in the middle of traffic clears every buffer and counter; traffic afterwards is clean."""
    tb = NetTB(dut)
    await tb.start()
    imperfect_links(tb, 0.0)
    tb.random_traffic(PACKETS // 2)
    await tb.run_cycles(400)
    await tb.reset()
    tb.clear()
    assert all(v == 0 for v in tb.counters().values()), tb.counters()
    tb.random_traffic(PACKETS // 2)
    await tb.run_until_delivered()
    check_clean(tb)


@cocotb.test()
async def test_bad_destination_is_dropped(dut):
    """A packet for a node that is not on the ring is dropped and counted, not sent round for ever."""
    tb = NetTB(dut)
    await tb.start()
    if tb.nodes == 1 << tb.net.node_id_width:
        return      # every id is on the ring
    tb.send(0, tb.nodes, length=3)
    tb.send(0, 1, length=3)
    await tb.run_until_delivered()
    await tb.run_cycles(50)
    assert tb.bad_packets() == 1
    check_clean(tb)
