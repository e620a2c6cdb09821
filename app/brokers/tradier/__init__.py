"""Tradier: brokerage API v1 (sandbox and production), equities and single-leg options."""
