"""Errors that partsopt raises for bad input.

DESIGN.md §3.5: structural errors raise; row-level problems become rows of the
``issues`` table.  Every structural error carries four parts so that the CLI
can print one readable message (and exit 2) without a traceback:

* ``what``     - what is wrong, in one sentence;
* ``where``    - the file, table, column or option concerned;
* ``received`` - what was actually found (first offending rows, a value);
* ``fix``      - how to fix it.
"""
from __future__ import annotations


class PartsoptError(Exception):
    """Base class of every error partsopt raises on purpose (exit code 2)."""

    exit_code = 2

    def __init__(self, what: str, where: str = "", received: str = "", fix: str = ""):
        self.what = what
        self.where = where
        self.received = received
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        lines = [self.what]
        if self.where:
            lines.append(f"  where:    {self.where}")
        if self.received:
            body = str(self.received).rstrip().replace("\n", "\n            ")
            lines.append(f"  received: {body}")
        if self.fix:
            lines.append(f"  fix:      {self.fix}")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class DataError(PartsoptError):
    """A dataset (folder of tables) is structurally wrong."""


class ConfigError(PartsoptError):
    """A scenario / configuration file or a command-line option is wrong."""


class UsageError(PartsoptError):
    """The command line itself is wrong (unknown option, missing argument)."""
