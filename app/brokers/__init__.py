"""Broker adapters behind one contract; they import only app.domain and HTTP libraries."""
