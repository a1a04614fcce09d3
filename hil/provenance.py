"""Where a run came from: enough in ``result.json`` to trace it back (docs/records.md).

Start time (UTC), host, the dockhil version and, when run from a git
checkout, its commit; SHA-256 digests of the scenario file and the preset
file, so "the same scenario" can be checked rather than assumed.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import importlib.metadata
import socket
import subprocess
from pathlib import Path

import controller

_ROOT = Path(__file__).resolve().parents[1]
"""The directory holding the ``hil`` package: a git checkout's top when run from one."""


@functools.cache
def dockhil_version() -> str:
    """The installed distribution's version (the package's own when not installed); read
    once per process (a campaign worker asks for it every run)."""
    try:
        return importlib.metadata.version("dockhil")
    except importlib.metadata.PackageNotFoundError:
        return controller.__version__


def utc_now() -> str:
    """The current time, UTC, ISO 8601 to the millisecond (``2026-12-02T03:04:05.678Z``)."""
    now = _dt.datetime.now(_dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def git_commit(root: Path = _ROOT) -> str | None:
    """The checkout's commit, with ``-dirty`` when tracked files differ; None outside one."""
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head or None


def file_sha256(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes, hex; None without such a file (a scenario built in code)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def preset_sha256(preset: str) -> str | None:
    """SHA-256 of the preset file a preset name or path stands for."""
    from sim_bridge.preset import PRESET_DIR

    candidate = Path(preset)
    if candidate.suffix != ".toml":
        candidate = PRESET_DIR / f"{preset}.toml"
    return file_sha256(candidate)


def host_name() -> str:
    return socket.gethostname()
