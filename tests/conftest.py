"""Test-wide settings: hypothesis judges examples, not this shared machine's speed.

The CI machines are shared two-core VMs whose speed swings with other jobs; a
property test's data generation that is "too slow" there says nothing about the
property. Deadlines and the too-slow health check are off everywhere; each
test still sets its own example count.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dockhil",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("dockhil")
