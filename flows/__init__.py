"""Prefect flows: thin wrappers over the functions the CLI calls, plus scheduling concerns."""
