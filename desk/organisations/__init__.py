"""Organisations: each facility a deployment serves, with its own charter file."""
