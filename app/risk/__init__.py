"""Pure risk checks of (OrderRequest, PreTradeContext); no database, no Flask, no clock."""
