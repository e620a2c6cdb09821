"""The application layer: the only code that touches the database, checks and brokers together."""
