"""Scheduled jobs; each calls one service."""
