"""Bad input is one line and exit 2; outputs are checked before a run and never half-written.

Issue 15, points 4, 5 (names) and 8: each case here was a traceback (or a
write outside ``--out``, or a lost record) before.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hil import cli, output
from hil.outdir import OutputDir, safe_name, unique_names
from hil.suite import run_dirs

ROOT = Path(__file__).resolve().parents[2]
TINY = """
name = "tiny"
duration_s = 0.05
[initial]
distance_m = 0.3
"""


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _scenario(tmp_path: Path, text: str = TINY, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'name = "x\xff"\nduration_s = 1\n', "not UTF-8"),
        (b"name = 'x'\nduration_s = 1" + b"0" * 400 + b".0\n", "invalid"),  # inf float
        (b"name = 'x'\nduration_s = 1" + b"0" * 400 + b"\n", "too large"),
        (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "too deeply"),
        (TINY.encode() + b"[controller]\ncapture_retries = 1.5\n", "must be an integer"),
    ],
)
def test_malformed_scenario_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, words: str
) -> None:
    p = tmp_path / "bad.toml"
    p.write_bytes(content)
    assert cli.main(["run", str(p), "--out", str(tmp_path / "o")]) == 2
    line = _err(capsys)
    assert str(p) in line
    if words == "invalid":
        assert "expected a value in" in line
    else:
        assert words in line


def test_special_files_are_refused_without_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        assert cli.main(["run", str(path)]) == 2
        assert "not a regular file" in _err(capsys)


@pytest.mark.parametrize(
    "args",
    [["--seed", "-1"], ["--realtime", "--rate", "nan"], ["--realtime", "--rate", "-5"]],
)
def test_bad_run_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert cli.main(["run", str(_scenario(tmp_path)), *args]) == 2
    assert _err(capsys).startswith("dockhil: error: --")


def test_suite_jobs_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["suite", str(_scenario(tmp_path)), "-j", "-1", "--out", str(tmp_path)]) == 2
    assert "--jobs" in _err(capsys)


def test_report_on_a_corrupt_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "result.json").write_text("{not json")
    (tmp_path / "telemetry.parquet").write_bytes(b"PAR1 garbage")
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "not a readable dockhil run" in _err(capsys)


# ---------------------------------------------------------------- outputs


def test_out_is_checked_before_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = str(_scenario(tmp_path))
    a_file = tmp_path / "file"
    a_file.write_text("x")
    cases = {
        str(a_file): "not a directory",
        str(a_file / "sub"): "cannot create",
        str(tmp_path / ("n" * 300)): "too long",
    }
    for out, words in cases.items():
        assert cli.main(["run", s, "--out", out, "-q"]) == 2
        assert words in _err(capsys)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert cli.main(["run", s, "--out", str(other), "-q"]) == 2
    assert "not a run directory" in _err(capsys)
    assert (other / "notes.txt").read_text() == "mine"


def test_a_second_run_into_the_same_directory_is_refused(tmp_path: Path) -> None:
    first = OutputDir(tmp_path / "run")
    first.prepare()
    try:
        with pytest.raises(Exception, match=r"another run \(pid \d+\) is writing there"):
            OutputDir(tmp_path / "run").prepare()
    finally:
        first.release()
    # a lock left by a process that is gone is taken over
    (tmp_path / ".run.lock").write_text("999999999")
    again = OutputDir(tmp_path / "run")
    again.prepare()
    again.release()
    assert not (tmp_path / ".run.lock").exists()


def test_a_run_is_renamed_into_place_and_replaces_an_earlier_one(tmp_path: Path) -> None:
    s = str(_scenario(tmp_path))
    out = tmp_path / "run"
    assert cli.main(["run", s, "--out", str(out), "-q"]) in (0, 1)
    first = json.loads((out / "result.json").read_text())
    (out / "stale.txt").write_text("from the first run")
    assert cli.main(["run", s, "--out", str(out), "-q", "--seed", "5"]) in (0, 1)
    assert json.loads((out / "result.json").read_text())["seed"] == 5 != first["seed"]
    assert not (out / "stale.txt").exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_failed_write_rescues_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def disk_full(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "build_report", disk_full)
    out = tmp_path / "run"
    assert cli.main(["run", str(_scenario(tmp_path)), "--out", str(out), "-q"]) == 1
    line = _err(capsys)
    assert "the record was saved in" in line
    rescued = Path(line.rsplit("saved in ", 1)[1].strip())
    assert json.loads((rescued / "result.json").read_text())["scenario"] == "tiny"
    assert (rescued / "telemetry.parquet").stat().st_size > 0
    assert not out.exists()  # never half a record at the target


def test_scenario_names_cannot_leave_out_or_collide(tmp_path: Path) -> None:
    assert safe_name("../../x") == "x"
    assert safe_name("/etc/passwd") == "etc-passwd"
    assert safe_name("..") == "run"
    assert unique_names(["a", "a", "A", "b"]) == ["a", "a-2", "A-3", "b"]
    files = [
        _scenario(tmp_path, TINY.replace('"tiny"', '"../../escape"'), "1.toml"),
        _scenario(tmp_path, TINY.replace('"tiny"', '"/abs/name"'), "2.toml"),
        _scenario(tmp_path, TINY, "3.toml"),
        _scenario(tmp_path, TINY, "4.toml"),
        _scenario(tmp_path, "not toml [", "5.toml"),
    ]
    out = tmp_path / "suite"
    dirs = run_dirs(files, out)
    assert [d.name for d in dirs] == ["escape", "abs-name", "tiny", "tiny-2", "5"]
    assert all(d.parent == out for d in dirs)


def test_one_bad_file_does_not_stop_the_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _scenario(tmp_path, TINY, "a.toml")
    _scenario(tmp_path, TINY, "b.toml")
    (tmp_path / "c.toml").write_bytes(b"\xff\xfe")
    out = tmp_path / "out"
    assert cli.main(["suite", str(tmp_path), "--out", str(out), "-q", "-j", "1"]) == 1
    summary = json.loads((out / "summary.json").read_text())
    assert [r["outcome"] for r in summary][2] == "ERROR"
    assert {p.name for p in out.iterdir()} >= {"tiny", "tiny-2", "summary.json", "junit.xml"}


def test_unknown_preset_over_the_wire_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to be reported as a link fault (exit 1) after the device refused it.

    (A preset *name* the host does not ship is refused when the scenario loads; a preset
    file is looked up where the plant runs, here the device.)"""
    s = _scenario(tmp_path, TINY.replace('name = "tiny"', 'name = "tiny"\npreset = "nope.toml"'))
    out = tmp_path / "o"
    assert cli.main(["run", str(s), "--hal", "vmcu://", "--out", str(out), "-q"]) == 2
    line = _err(capsys)
    assert "refused the simulation setup (preset 'nope.toml'" in line
    assert not out.exists()


def test_ctrl_c_after_the_loop_keeps_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while the measurements are computed (between the loop and the writing) used
    to lose the whole record; now the record is written, then the command exits 130."""
    import signal

    from hil import measure

    compute = measure.compute

    def interrupted(*args: object, **kwargs: object) -> object:
        os.kill(os.getpid(), signal.SIGINT)  # the operator presses Ctrl-C right now
        return compute(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(measure, "compute", interrupted)
    out = tmp_path / "run"
    assert cli.main(["run", str(_scenario(tmp_path)), "--out", str(out), "-q"]) == 130
    rec = json.loads((out / "result.json").read_text())
    assert rec["scenario"] == "tiny"
    assert rec["measurements"]  # the record is whole
    assert (out / "telemetry.parquet").is_file()
