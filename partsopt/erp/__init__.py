"""ERP write-back: policies to files (generic, SAP, Odoo layouts) and staging tables.

``partsopt export POLICIES --format generic|sap|odoo --to PATH_OR_URL [--dry-run]``
is :func:`read_policies` + :func:`read_run` + :func:`export_policies`.

* :mod:`partsopt.erp.policies_file` - read and validate a policies table, ``run.json``;
* :mod:`partsopt.erp.formats` - the generic / SAP / Odoo layouts;
* :mod:`partsopt.erp.diff` - new / changed / removed rows, review flags;
* :mod:`partsopt.erp.files` - atomic CSV / Parquet / Excel targets;
* :mod:`partsopt.erp.database` - SQLite / PostgreSQL staging tables, one transaction;
* :mod:`partsopt.erp.export` - :func:`export_policies`, the entry point.
"""
from partsopt.erp.database import mask_url
from partsopt.erp.diff import DIFF_COLUMNS
from partsopt.erp.errors import ExportOptionError
from partsopt.erp.export import ExportResult, export_policies
from partsopt.erp.formats import LAYOUTS, Layout, to_layout
from partsopt.erp.policies_file import (POLICY_COLUMNS, RunInfo, read_policies, read_run,
                                        validate_policies)

__all__ = [
    "DIFF_COLUMNS", "ExportOptionError", "ExportResult", "LAYOUTS", "Layout", "POLICY_COLUMNS",
    "RunInfo", "export_policies", "mask_url", "read_policies", "read_run", "to_layout",
    "validate_policies",
]
