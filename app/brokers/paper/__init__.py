"""The built-in paper simulator: a broker like the others, whose venue state lives behind a store."""
