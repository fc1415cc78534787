#!/usr/bin/env python3
"""Network link goodput versus flit error rate, and latency per hop, measured on the RTL.

Goodput: node 0 streams longest packets to node 1 on a 2-node ring; every data flit and control word
is hit with the given probability (one random bit flipped); goodput = payload flits delivered per
cycle, exactly once and in order (the scoreboard checks). Peak is payload / (payload + header + CRC).
Latency: on a 4-node ring, unloaded, from the header entering node 0's inject port to the last flit
leaving the destination's eject port; the per-hop figure is the slope over hop counts.

    python benchmarks/net_link.py [--rates 0,1e-4,1e-3,1e-2,5e-2] [--packets 400] [--link-latency 2]
"""

import argparse
import json

from rich.console import Console
from rich.table import Table

from accel.config import load_config
from accel.sim import runner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="0,1e-4,1e-3,1e-2,3e-2,5e-2")
    parser.add_argument("--packets", type=int, default=400)
    parser.add_argument("--link-latency", type=int, default=2, help="wire delay of every link, cycles")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. --set network.rx_buffer_flits=64")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    env = {"ACCEL_NET_LINK_LATENCY": str(args.link_latency), "ACCEL_SEED": "5"}

    ring2 = runner.build(load_config("array4x4", args.overrides + ["network.nodes=2"]), "net_ring", "verilator")
    goodput = [runner.run_bench(ring2, "accel.sim.bench_net", "measure_goodput", {
        **env, "ACCEL_NET_ERROR_RATE": rate, "ACCEL_NET_PACKETS": str(args.packets)})
        for rate in args.rates.split(",")]
    ring4 = runner.build(load_config("array4x4", args.overrides + ["network.nodes=4"]), "net_ring", "verilator")
    latency = runner.run_bench(ring4, "accel.sim.bench_net", "measure_latency", {**env, "ACCEL_NET_PACKETS": "10"})
    if args.json:
        print(json.dumps({"goodput": goodput, "latency": latency}, indent=2))
        return

    console = Console(width=160)
    cfg = load_config("array4x4", args.overrides).network
    table = Table(title=f"Link goodput vs flit error rate ({cfg.flit_width}-bit flits, {cfg.max_payload_flits}-flit "
                        f"payloads, {cfg.rx_buffer_flits}-flit receive buffers, {cfg.replay_packets}-packet window, "
                        f"timeout {cfg.retransmit_timeout}, wire delay {args.link_latency})")
    for column in ("flit error rate", "goodput (flits/cycle)", "of peak", "corrupted flits", "corrupted ctrl",
                   "replayed packets", "NAKs", "timeouts", "CRC errors"):
        table.add_column(column, justify="right")
    for r in goodput:
        c = r["counters"]
        table.add_row(f"{r['error_rate']:g}", f"{r['goodput']:.3f}", f"{r['goodput'] / r['peak']:.1%}",
                      str(r["corrupted_flits"]), str(r["corrupted_ctrl"]), str(c["tx_replays"]),
                      str(c["tx_naks"]), str(c["tx_timeouts"]), str(c["rx_crc_errors"]))
    console.print(table)

    table = Table(title=f"Unloaded latency, {latency['nodes']}-node ring, wire delay {latency['link_latency']} "
                        "(inject header -> eject last flit)")
    for column in ("payload flits", "hops", "latency (cycles)", "per extra hop"):
        table.add_column(column, justify="right")
    previous = {}
    for r in latency["rows"]:
        step = r["latency"] - previous[r["payload_flits"]] if r["payload_flits"] in previous else None
        previous[r["payload_flits"]] = r["latency"]
        table.add_row(str(r["payload_flits"]), str(r["hops"]), f"{r['latency']:.1f}",
                      "" if step is None else f"{step:.1f}")
    console.print(table)


if __name__ == "__main__":
    main()
