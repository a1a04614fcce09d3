"""HAL backends by URL: a plain table of lazily imported classes, and :func:`open_hal`.

The way ``pyserial.serial_for_url`` and python-can's ``Bus(interface=...)``
resolve a name: the URL's scheme picks a ``(module, class)`` row of
:data:`BACKENDS`; the module is imported only when used, so opening
``sim://`` never loads pyserial and a bench without numba can still open a
serial port. The class is called as ``cls(url, **options)``.

A backend that runs at a period it is told (the in-process plant, the
virtual microcontroller it starts) names the URL option that carries it in
its ``PERIOD_OPTION`` class attribute: ``(name, units per second)``. A real
device runs at the period it announces in its Hello, and the harness checks
that instead.
"""

from __future__ import annotations

import importlib
import os
from typing import cast

from controller.errors import ConfigError, HalError, UnknownBackendError
from controller.hal import Hal, parse_url

HAL_URL_ENV = "DOCKHIL_HAL_URL"

#: scheme -> (module, class).
BACKENDS: dict[str, tuple[str, str]] = {
    "sim": ("sim_bridge.backend", "SimHal"),
    "serial": ("hil.backends.serial_hal", "SerialHal"),
    "vmcu": ("hil.backends.vmcu_hal", "VmcuHal"),
    # pyserial's own URL handlers, passed straight through to the serial backend
    "socket": ("hil.backends.serial_hal", "SerialHal"),
    "rfc2217": ("hil.backends.serial_hal", "SerialHal"),
    "loop": ("hil.backends.serial_hal", "SerialHal"),
    "spy": ("hil.backends.serial_hal", "SerialHal"),
    "hwgrep": ("hil.backends.serial_hal", "SerialHal"),
}


def backend_class(url: str) -> type[Hal]:
    """Resolve the backend class for ``url`` from :data:`BACKENDS`."""
    scheme, _, _ = parse_url(url)
    if scheme == "" and url.startswith("/"):
        scheme = "serial"  # a plain device path, e.g. /dev/ttyACM0 or a pty
    try:
        module_name, class_name = BACKENDS[scheme]
    except KeyError:
        known = ", ".join(sorted(f"{s}://" for s in BACKENDS))
        raise UnknownBackendError(
            f"no HAL backend for URL {url!r} (known schemes: {known}, or a device path)"
        ) from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HalError(
            f"backend {scheme}:// needs {module_name}, which failed to import: {exc}"
        ) from exc
    return cast(type[Hal], getattr(module, class_name))


def resolve_url(url: str | None) -> str:
    """``url``, else ``$DOCKHIL_HAL_URL``, else ``sim://``."""
    return url if url is not None else os.environ.get(HAL_URL_ENV, "sim://")


def with_period(url: str | None, period_s: float | None) -> str:
    """``url`` (resolved as :func:`resolve_url`) with the control period in the option the
    backend takes it in (its ``PERIOD_OPTION``), unless the URL sets it already.

    This is the URL a run records: it says exactly what was opened.
    """
    url = resolve_url(url)
    if period_s is None:
        return url
    period_option: tuple[str, float] | None = getattr(backend_class(url), "PERIOD_OPTION", None)
    if period_option is None:
        return url
    name, per_s = period_option
    if name in parse_url(url)[2]:
        return url
    value = period_s * per_s
    text = repr(value) if per_s == 1.0 else f"{value:g}"
    return f"{url}{'&' if '?' in url else '?'}{name}={text}"


def open_hal(url: str | None = None, period_s: float | None = None, **overrides: str) -> Hal:
    """Open the backend named by ``url`` (or ``$DOCKHIL_HAL_URL``, or ``sim://``).

    ``period_s`` is the control period the run wants, s; it reaches backends
    that take one (:func:`with_period`). ``overrides`` add to or replace the
    URL's query options.
    """
    url = with_period(url, period_s)
    cls = backend_class(url)
    try:
        return cls(url, **overrides)  # type: ignore[call-arg]
    except TypeError as exc:
        raise ConfigError(f"backend for {url!r} rejected its options: {exc}") from exc
