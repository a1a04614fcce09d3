"""``vmcu://``: start a virtual microcontroller in a child process and talk to it over a pty.

The whole serial path (codec, pty, reader thread, device watchdogs) is
exercised, with nothing to set up by hand: ``vmcu://`` runs lockstep,
``vmcu://?realtime=1&speedup=10`` runs the device on its own clock.
Other options (``drop``, ``corrupt``, ``duplicate``, ``delay``) switch on the
device's link faults. The child is stopped when the HAL is closed.
"""

from __future__ import annotations

import subprocess
import sys

from controller.errors import ConfigError, LinkError
from controller.hal import parse_url
from hil.backends.serial_hal import SerialHal

_FLAGS = {"drop", "corrupt", "duplicate", "delay", "speedup", "period_ms", "seed"}


def vmcu_command(options: dict[str, str]) -> list[str]:
    """The ``dockhil vmcu --pty`` command line for these URL options."""
    cmd = [sys.executable, "-m", "hil.cli", "vmcu", "--pty"]
    if options.get("realtime", "0") not in ("0", "", "false"):
        cmd.append("--realtime")
    if options.get("watchdog", "1") in ("0", "false"):
        cmd.append("--no-watchdog")  # a broken device, for the conformance kit's own test
    if options.get("flush", "1") in ("0", "false"):
        cmd.append("--no-flush")  # another
    for key in sorted(_FLAGS & set(options)):
        cmd += [f"--{key.replace('_', '-')}", options[key]]
    unknown = set(options) - _FLAGS - {"realtime", "watchdog", "flush", "timeout_ms", "stale_ms"}
    if unknown:
        raise ConfigError(f"vmcu:// does not know option(s) {', '.join(sorted(unknown))}")
    return cmd


class VmcuHal(SerialHal):
    """A :class:`SerialHal` on the pty of a virtual microcontroller it started."""

    PERIOD_OPTION = ("period_ms", 1000.0)
    """The URL option that sets the device's control period, in ms."""

    def __init__(self, url: str, **overrides: str) -> None:
        _, _, options = parse_url(url)
        options.update(overrides)
        host_options = {k: options[k] for k in ("timeout_ms", "stale_ms") if k in options}
        self._child = subprocess.Popen(
            vmcu_command(options),
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self._child.stdout is not None
        path = self._child.stdout.readline().strip()
        if not path:
            code = self._child.wait(timeout=5)
            raise LinkError(f"the virtual microcontroller did not start (exit code {code})")
        try:
            super().__init__(path, **host_options)
        except BaseException:
            self._stop_child()
            raise
        self.url = url
        self.device_path = path

    @property
    def pid(self) -> int:
        return self._child.pid

    def _stop_child(self) -> None:
        if self._child.poll() is None:
            self._child.terminate()
            try:
                self._child.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
        if self._child.stdout is not None:
            self._child.stdout.close()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._stop_child()
