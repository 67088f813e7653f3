"""Importers: turn data as users have it into the dataset tables of DESIGN.md §4.

* :mod:`partsopt.importers.service_lines` - free-text workshop invoice lines (repair
  history with part names as typed, no part numbers, often no quantity).
"""
from partsopt.importers.service_lines import (ImportResult, import_service_lines, map_texts,
                                              normalise_text, read_mapping)

__all__ = ["ImportResult", "import_service_lines", "map_texts", "normalise_text", "read_mapping"]
