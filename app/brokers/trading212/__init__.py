"""Trading 212 Public API v0 (beta): Invest and Stocks ISA accounts, demo and live."""
