"""Benchmarks share one reference workload, measured in the same run as the rest.

Shared machines drift by 3-30 % between runs (PERFORMANCE.md), so absolute
times cannot gate CI. ``test_reference_workload`` is a fixed piece of pure
Python (the same kind of work as a controller tick: attribute access, float
arithmetic, small tuples, one frozen dataclass per iteration); ``gate.py``
divides every benchmark by it and compares those ratios with the committed
baseline, with a margin that run-to-run noise cannot cross.
"""
