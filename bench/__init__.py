"""Benchmarks of the order pipeline, the price refresh, the position monitor and the web tier (see README.md)."""
