"""Benchmarks of the run machinery (``python -m bench``); not part of the test run."""
