"""Pure compliance rules of (OrderRequest, PreTradeContext); no database, no Flask, no clock."""
