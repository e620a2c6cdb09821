"""Alpaca: Trading API v2 (paper and live) and Market Data API v2."""
