"""Command-line front ends, one module per group of `paxel` subcommands.

Each module exposes `main(command: str, argv: list[str]) -> int`; `paxel.cli` picks the module.
"""
