"""Blueprints: parse input, call one service, render or answer JSON."""
