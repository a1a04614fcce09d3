"""The test suite (a regular package, so that ``tests.hil.golden`` is this project's even
where an installed distribution ships a top-level ``tests`` package, as dle-encoder does)."""
