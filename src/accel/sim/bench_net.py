"""cocotb benches measuring the network: link goodput under bit errors, and latency per hop.

Used by ``benchmarks/net_link.py``. ``measure_goodput``: node 0 streams longest packets to node 1 over
links with ``ACCEL_NET_ERROR_RATE`` flit and control-word errors. ``measure_latency``: one packet at a
time from node 0 to each node clockwise, unloaded. Links have ``ACCEL_NET_LINK_LATENCY`` cycles of wire
delay. Figures go as JSON to ``ACCEL_RESULT``; the scoreboard checks every packet as in the tests.
"""

import json
import os
import time

import cocotb

from accel.sim.net_tb import NetTB


async def start(dut, default_packets: int) -> tuple[NetTB, int]:
    """A started ring bench with every link set up from the environment; the packet count to use."""
    tb = NetTB(dut)
    error_rate = float(os.environ.get("ACCEL_NET_ERROR_RATE", "0"))
    latency = int(os.environ.get("ACCEL_NET_LINK_LATENCY", "2"))
    await tb.start()
    for link in tb.links:
        link.latency = latency
        link.reset()
        link.flit_error_rate = link.ctrl_error_rate = error_rate
    return tb, int(os.environ.get("ACCEL_NET_PACKETS", str(default_packets)))


def write_result(result: dict) -> None:
    path = os.environ.get("ACCEL_RESULT")
    if path:
        with open(path, "w") as handle:
            json.dump(result, handle, indent=2)


@cocotb.test()
async def measure_goodput(dut):
    tb, packets = await start(dut, 400)
    error_rate = tb.links[0].flit_error_rate
    length = tb.net.max_payload_flits
    for _ in range(packets):
        tb.send(0, 1, length=length)
    cycles = await tb.run_until_delivered()
    first = min(p.injected_at for p in tb.delivered)
    last = max(p.ejected_at for p in tb.delivered)
    link = tb.link("n0__east_tx")
    write_result({
        "error_rate": error_rate, "packets": packets, "payload_flits": length, "cycles": cycles,
        "goodput": packets * length / (last - first + 1),
        "peak": length / (length + 2),          # header and CRC flit per packet
        "corrupted_flits": link.stats.corrupted_flits, "corrupted_ctrl": tb.link("n1__west_tx").stats.corrupted_ctrl,
        "counters": tb.counters(0, "east") | {k: v for k, v in tb.counters(1, "west").items() if k.startswith("rx")},
    })


@cocotb.test()
async def run_traffic(dut):
    """``accel sim --network``: random all-to-all traffic, ACCEL_NET_PACKETS packets per node."""
    tb, packets = await start(dut, 200)
    error_rate = tb.links[0].flit_error_rate
    tb.random_traffic(packets)
    started = time.perf_counter()
    cycles = await tb.run_until_delivered()
    wall = time.perf_counter() - started
    latencies = [p.ejected_at - p.injected_at for p in tb.delivered]
    write_result({
        "nodes": tb.nodes, "packets": len(tb.delivered), "error_rate": error_rate, "cycles": cycles,
        "payload_flits": sum(len(p.payload) for p in tb.delivered),
        "mean_latency": sum(latencies) / len(latencies), "max_latency": max(latencies),
        "corrupted_flits": sum(link.stats.corrupted_flits for link in tb.links),
        "corrupted_ctrl": sum(link.stats.corrupted_ctrl for link in tb.links),
        "counters": tb.counters(), "bad_packets": tb.bad_packets(), "cycles_per_second": cycles / wall,
    })


@cocotb.test()
async def measure_latency(dut):
    tb, repeats = await start(dut, 20)
    rows = []
    for length in (0, tb.net.max_payload_flits):
        for hops in range(1, tb.nodes // 2 + 1):
            samples = []
            for _ in range(repeats):
                packet = tb.send(0, hops, length=length)
                await tb.run_until_delivered()
                samples.append(packet.ejected_at - packet.injected_at)
            rows.append({"payload_flits": length, "hops": hops, "latency": sum(samples) / len(samples)})
    write_result({"nodes": tb.nodes, "link_latency": tb.links[0].latency, "rows": rows})
