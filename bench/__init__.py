"""Benchmarks run by hand; not part of the app or the test suite."""
