"""Packet and control-word formats of the network (pure Python side of accel.hw.net.packet)."""

import pytest
from hypothesis import given, strategies as st

from accel.config import NetworkConfig
from accel.hw.net.packet import NetFormat

FMT = NetFormat(NetworkConfig())


@given(st.integers(0, 15), st.integers(0, 3), st.integers(0, 15), st.integers(0, 15), st.integers(0, 1),
       st.integers(0, 7))
def test_header_round_trip(length, type_, src, dst, vc, seq):
    fields = {"length": length, "type": type_, "src": src, "dst": dst, "vc": vc, "seq": seq}
    word = FMT.pack_header(**fields)
    assert word < 1 << FMT.header.size <= 1 << FMT.flit_width
    assert FMT.unpack_header(word) == fields


def test_header_field_overflow_is_refused():
    with pytest.raises(ValueError, match="dst=16 does not fit 4 bits"):
        FMT.pack_header(dst=16)


def test_widths_follow_the_config():
    fmt = NetFormat(NetworkConfig(replay_packets=8, node_id_width=6, max_payload_flits=31, flit_width=64))
    assert fmt.seq_width == 4 and fmt.header.size == 5 + 2 + 12 + 1 + 4
    assert fmt.credit_width == 8   # 64-flit buffers: counters modulo 256


@given(st.integers(0, 7), st.integers(0, 3), st.integers(0, 127), st.integers(0, 127))
def test_control_word_round_trip_and_every_single_bit_error_is_caught(ack, nak, freed0, freed1):
    word = FMT.pack_control(ack, nak, [freed0, freed1])
    assert word < 1 << FMT.control_width
    assert FMT.unpack_control(word) == {"ack": ack, "nak_count": nak, "freed": [freed0, freed1]}
    for bit in range(FMT.control_width):
        assert FMT.unpack_control(word ^ (1 << bit)) is None


def test_packet_crc_is_crc32_ieee():
    # CRC-32/ISO-HDLC check value: the CRC of ASCII "123456789" is 0xCBF43926.
    from amaranth.lib import crc

    assert crc.catalog.CRC32_ETHERNET(data_width=8).compute(b"123456789") == 0xCBF43926
    assert FMT.packet_crc_value([0x34333231, 0x38373635]) == crc.catalog.CRC32_ETHERNET(
        data_width=8).compute(b"12345678")
