"""Errors of the ERP export, built on :mod:`partsopt.errors` (exit code 2)."""
from __future__ import annotations

from partsopt.errors import ConfigError


class ExportOptionError(ConfigError, ValueError):
    """A bad export option (format, target, threshold, table prefix).

    A :class:`~partsopt.errors.ConfigError` for the CLI (exit 2) and a ``ValueError``
    for library callers.
    """
