"""``dockhil run --live``: a WebSocket client connects during a run and receives the channels.

Needs the optional extra (``pip install -e '.[live]'``, which CI installs); skipped without it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("foxglove", reason="the live extra is not installed: pip install -e '.[live]'")
websockets = pytest.importorskip("websockets")

from hil.live import CHANNELS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


async def _receive_every_channel(url: str) -> dict[str, dict[str, object]]:
    """Connect as Foxglove does, subscribe to every advertised channel, return one message
    per topic (decoded), with its log time."""
    async with websockets.connect(url, subprotocols=["foxglove.sdk.v1"]) as ws:
        topics: dict[int, str] = {}
        while len(topics) < len(CHANNELS):
            msg = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(msg, str) and json.loads(msg)["op"] == "advertise":
                for c in json.loads(msg)["channels"]:
                    topics[c["id"]] = c["topic"]
                    assert json.loads(c["schema"])["type"] == "object"
        subs = [{"id": n, "channelId": cid} for n, cid in enumerate(topics)]
        await ws.send(json.dumps({"op": "subscribe", "subscriptions": subs}))
        by_sub = {s["id"]: topics[s["channelId"]] for s in subs}
        got: dict[str, dict[str, object]] = {}
        while len(got) < len(CHANNELS):
            msg = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(msg, bytes) and msg[0] == 1:  # messageData
                sub, log_time = struct.unpack("<IQ", msg[1:13])
                got[by_sub[sub]] = {"log_time": log_time, **json.loads(msg[13:])}
        return got


def test_a_client_receives_every_channel_during_a_run(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "nominal.toml").read_text()
    scenario = tmp_path / "long.toml"
    scenario.write_text(text.replace('stop_on_phase = ["MATED"]', ""))  # 1500 s: long enough
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hil.cli",
            "run",
            str(scenario),
            "--out",
            str(out),
            "--live",
            "--live-port",
            "0",
            "-q",
            "--no-report",
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("live view: ws://"), line
        got = asyncio.run(_receive_every_channel(line.split()[2]))
    finally:
        proc.send_signal(signal.SIGINT)  # enough seen: stop the run (its record is kept)
        proc.wait(timeout=120)
    assert set(got) == set(CHANNELS)
    assert str(got["/dockhil/phase"]["phase"]).split(".")[0] in {
        "READY",
        "APPROACH",
        "CONTACT",
        "CAPTURE",
        "BUFFERING",
        "CORRECTION",
        "RETRACTION",
        "LOCKING",
        "SEAL_CHECK",
        "MATED",
    }
    loads = got["/dockhil/loads"]
    assert loads["log_time"] == round(float(loads["t_s"]) * 1e9)  # log time is simulated time
    assert len(got["/dockhil/hooks"]["pos"]) == 12  # type: ignore[arg-type]
    mcap = (out / "live.mcap").read_bytes()
    assert mcap.startswith(b"\x89MCAP0\r\n")
    assert mcap.endswith(b"\x89MCAP0\r\n")  # finished, though the run was interrupted
    for topic in CHANNELS:
        assert topic.encode() in mcap
    assert json.loads((out / "result.json").read_text())["outcome"] == "ABORTED"


def test_live_costs_nothing_when_off(tmp_path: Path) -> None:
    """Without --live neither hil.live nor the SDK is imported."""
    code = (
        "import sys\nfrom hil import cli\n"
        f"code = cli.main(['run', {str(ROOT / 'scenarios' / 'fault-nocap.toml')!r}, "
        f"'--out', {str(tmp_path / 'r')!r}, '-q', '--no-report'])\n"
        "print(code, 'hil.live' in sys.modules, 'foxglove' in sys.modules)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert p.stdout.split() == ["0", "False", "False"], p.stdout + p.stderr
