"""Zerodha: Kite Connect v3 (live only; Kite has no sandbox)."""
