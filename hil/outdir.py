"""Where a run's files go: checked before the run, written aside, renamed into place.

A docking run can take minutes of wall time on a bench; losing its record at
the last step (a typo in ``--out``, a full disk, a second run into the same
directory) wastes the run. So:

* the target is checked *before* the run (not a file, a writable parent, a
  name the file system takes) and locked against a second run
  (``.<name>.lock`` beside it, holding the PID; a lock whose process is gone
  is taken over);
* the files are written into a temporary sibling directory and renamed into
  place at the end, so the target never holds half a record; an earlier
  run's directory at the same path is replaced whole;
* if writing fails anyway, :func:`rescue` puts the record and telemetry in a
  fresh temporary directory and the error message says where.

Names taken from scenario files pass through :func:`safe_name`, so no
scenario can write outside ``--out``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from controller.errors import ConfigError

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
MAX_NAME = 100
"""Longest directory name made from a scenario name, characters."""


def safe_name(name: str) -> str:
    """A file-system-safe single path component from a scenario name (never ``..``)."""
    clean = _UNSAFE.sub("-", name).strip(".-")[:MAX_NAME].strip(".-")
    return clean or "run"


def unique_names(names: list[str]) -> list[str]:
    """:func:`safe_name` of each, with ``-2``, ``-3`` ... added where two would collide."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        base = safe_name(name)
        n = seen.get(base.lower(), 0) + 1
        seen[base.lower()] = n
        out.append(base if n == 1 else f"{base}-{n}")
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutputDir:
    """One run's output directory, prepared before the run and committed after it."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self.lock = self.target.with_name(f".{self.target.name}.lock")
        self.tmp: Path | None = None
        self._locked = False

    def prepare(self) -> Path:
        """Check and lock the target; return the temporary directory to write into.

        Raises :class:`~controller.errors.ConfigError` with the reason when the
        run could not be written there, before any time is spent on the run.
        """
        t = self.target
        try:
            exists, is_dir = t.exists(), t.is_dir()
            if exists and not is_dir:
                raise ConfigError(f"--out {t}: exists and is not a directory")
            if is_dir and any(t.iterdir()) and not (t / "result.json").exists():
                raise ConfigError(
                    f"--out {t}: a directory with other files in it (not a run directory); "
                    "choose a new path"
                )
        except OSError as exc:
            raise ConfigError(f"--out {t}: cannot use it: {_why(exc)}") from None
        try:
            t.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"--out {t}: cannot create {t.parent}: {_why(exc)}") from None
        self._take_lock()
        try:
            self.tmp = Path(tempfile.mkdtemp(dir=t.parent, prefix=f".{t.name[:60]}.tmp-"))
            self.tmp.chmod(0o755)  # mkdtemp's 0700 would follow the files into place
            # the final name must be acceptable too (length, characters)
            probe = t.parent / f".{t.name}.probe"
            probe.mkdir()
            probe.rmdir()
        except OSError as exc:
            self.release()
            raise ConfigError(f"--out {t}: cannot write there: {_why(exc)}") from None
        return self.tmp

    def _take_lock(self) -> None:
        for _ in range(2):
            try:
                fd = os.open(self.lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                try:
                    pid = int(self.lock.read_text().strip() or "0")
                except (OSError, ValueError):
                    pid = 0
                if pid and _pid_alive(pid):
                    raise ConfigError(
                        f"--out {self.target}: another run (pid {pid}) is writing there"
                    ) from None
                with contextlib.suppress(OSError):
                    self.lock.unlink()  # left by a run that died: take it over
                continue
            except OSError as exc:
                raise ConfigError(f"--out {self.target}: cannot write there: {_why(exc)}") from None
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            self._locked = True
            return
        raise ConfigError(f"--out {self.target}: could not take the lock {self.lock}")

    def commit(self) -> Path:
        """Move the written files into place (replacing an earlier run's directory)."""
        assert self.tmp is not None, "prepare() first"
        t = self.target
        trash = None
        if t.exists():
            trash = t.with_name(f".{t.name[:60]}.old-{os.getpid()}")
            os.rename(t, trash)
        os.rename(self.tmp, t)
        self.tmp = None
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        return t

    def release(self) -> None:
        """Drop the lock and any temporary directory left behind; idempotent."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        if self._locked:
            with contextlib.suppress(OSError):
                self.lock.unlink()
            self._locked = False


@contextlib.contextmanager
def sigint_held() -> Iterator[list[int]]:
    """Hold a Ctrl-C that arrives inside the block; yields the signals caught meanwhile.

    For the short stretches between a finished run and its record on disk: the
    caller decides what to do with an interrupt once the record is safe. Only
    the main thread can take signals; elsewhere nothing is held.
    """
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda sig, _frame: caught.append(sig))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long for this file system"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    return exc.strerror or str(exc)
