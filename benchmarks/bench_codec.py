"""Cost of the wire-protocol codec, PERFORMANCE.md goals 3 and 4.

Two ways to run it:

* ``python -m pytest benchmarks/bench_codec.py --benchmark-enable`` -
  pytest-benchmark statistics for: encoding one housekeeping frame, decoding
  one (stream decoder, one frame per ``feed``), stream-decoding 1 000
  concatenated frames in one chunk, the set-point frame both ways, and the
  ``spacepackets`` reference path for comparison. A compute-cost tripwire,
  not a pass/fail timing test.
* ``python -m benchmarks.bench_codec [N]`` - prints the median and best of 7
  repeats of N calls (default 20 000) per frame, and frames/s. On a shared
  machine trust the best figure more than the median.
  Goal: stream decode >= 50 000 housekeeping frames/s.

Frames are built before timing starts.
"""

from __future__ import annotations

import statistics
import sys
import timeit
from collections.abc import Callable
from typing import Any

import pytest

from controller.protocol import Housekeeping, SetPoints, StreamDecoder, encode, encode_packet
from controller.protocol.messages import HostHeartbeat
from controller.types import ActuatorCommand, SensorFrame

#: the kind of these benchmarks; gate.py divides each by the reference of its kind
pytestmark = pytest.mark.benchmark(group="compute")

FRAME = SensorFrame(
    t_s=123.456,
    seq=123_456,
    bus_voltage_v=28.1,
    rel_pos_m=(0.05, 0.012, -0.008),
    rel_vel_m_s=(-0.08, 0.004, -0.002),
    rel_angle_rad=(0.001, 0.02, -0.015),
    rel_rate_rad_s=(0.0001, -0.0002, 0.0003),
    ring_extension_m=0.35,
    ring_extension_b_m=0.3501,
    ring_speed_m_s=-0.02,
    ring_lateral_m=(0.004, -0.003),
    ring_tilt_rad=(0.01, -0.005),
    axial_load_n=2345.0,
    lateral_load_n=456.0,
    ring_ready_stop=False,
    ring_retracted=False,
    alignment=(True, True, False),
    latch_captured=(True, True, True, True, False, True),
    interface_contact=(True, False, True),
    drive_current_a=2.5,
    hook_pos=tuple(0.1 * i for i in range(12)),
    hook_load_n=tuple(1000.0 * i for i in range(12)),
    hook_motor_current_a=(1.2, 1.3),
    hook_motor_speed_rad_s=(150.0, 149.0),
    cable_tension_n=(12_000.0, 12_100.0),
    seal_cavity_pressure_pa=101_325.0,
    seal_cavity_pressure_b_pa=101_320.0,
    tunnel_pressure_pa=50.0,
    pushrod_extended=(False, False, False, False),
)
HK = Housekeeping(FRAME)
HK_FRAME = encode(HK, 42)
SP = SetPoints(ActuatorCommand(seq=99, ring_speed_m_s=-0.004, hook_motor_v=(12.0, 12.0)))
SP_FRAME = encode(SP, 7)
STREAM_FRAMES = 1_000
STREAM = b"".join(encode(Housekeeping(FRAME), i) for i in range(STREAM_FRAMES))


def _decode_one() -> Any:
    dec = StreamDecoder()
    return lambda: dec.feed(HK_FRAME)


def _stream() -> Any:
    dec = StreamDecoder()
    return lambda: dec.feed(STREAM)


CASES: dict[str, tuple[Callable[[], Callable[[], Any]], int]] = {
    # name: (factory of the timed call, frames per call)
    "housekeeping encode": (lambda: lambda: encode(HK, 42), 1),
    "housekeeping decode (feed 1 frame)": (_decode_one, 1),
    "housekeeping stream decode (1000 frames/feed)": (_stream, STREAM_FRAMES),
    "set-points encode": (lambda: lambda: encode(SP, 7), 1),
    "set-points decode": (lambda: (lambda d: lambda: d.feed(SP_FRAME))(StreamDecoder()), 1),
    "host heartbeat encode": (lambda: lambda: encode(HostHeartbeat(counter=5), 3), 1),
    "housekeeping via spacepackets (reference)": (
        lambda: lambda: encode_packet(HK, 42, reference=True),
        1,
    ),
}


# --------------------------------------------------------------------------- pytest-benchmark


def _check(out: Any, frames: int) -> None:
    if isinstance(out, list):
        assert len(out) == frames


@pytest.mark.parametrize("name", list(CASES))
def test_codec(benchmark: Any, name: str) -> None:
    factory, frames = CASES[name]
    fn = factory()
    benchmark.extra_info["frames_per_call"] = frames
    out = benchmark(fn)
    _check(out, frames)


# --------------------------------------------------------------------------- script


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 20_000
    print(f"wire sizes: housekeeping {len(HK_FRAME)} B, set-points {len(SP_FRAME)} B")
    print(f"{'case':48s} {'median us':>10s} {'best us':>8s} {'frames/s (median)':>18s}")
    for name, (factory, frames) in CASES.items():
        fn = factory()
        number = max(1, n // frames)
        runs = [r / number / frames for r in timeit.repeat(fn, number=number, repeat=7)]
        med, best = statistics.median(runs), min(runs)
        print(f"{name:48s} {med * 1e6:10.2f} {best * 1e6:8.2f} {1.0 / med:>18,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
