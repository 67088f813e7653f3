"""The ``partsopt`` command line (DESIGN.md §8) - an adapter.

It parses arguments, calls the library, writes files, prints a short summary
and maps errors to exit codes: 0 done; 2 bad input or usage (one readable
message, no traceback); 1 internal failure.  Nothing else in partsopt prints.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

import pandas as pd

from partsopt import __version__
from partsopt.cli_tables import format_table, heading
from partsopt.errors import PartsoptError, UsageError

EPILOG_DEMO = """example:
  partsopt demo                          # small network into ./partsopt-demo
  partsopt demo --size medium --seed 7 --out /tmp/net
"""
EPILOG_VALIDATE = """example:
  partsopt validate ./partsopt-demo
  partsopt validate ./mydata --strict --issues-out issues.csv
"""


class _Parser(argparse.ArgumentParser):
    """argparse that raises a UsageError (exit 2, one message) instead of exiting."""

    def error(self, message):  # noqa: D401 - argparse API
        raise UsageError(f"{self.prog}: {message}", fix=f"see '{self.prog} --help'.")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="partsopt", description="Spare-parts inventory optimisation for dealer networks.",
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="run 'partsopt COMMAND --help' for the options and an example of each command.")
    parser.add_argument("--version", action="version", version=f"partsopt {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal failure")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("demo", help="generate the demo dealer network and run the weekly cycle on it",
                       description="Generate the seeded demo dealer network (central → regional → dealers), "
                                   "validate it and print a summary.",
                       epilog=EPILOG_DEMO, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="partsopt-demo", help="output folder (default: ./partsopt-demo)")
    p.add_argument("--size", default="small", choices=("small", "medium", "large"), help="network size")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("validate", help="check a dataset folder and list every problem",
                       description="Check a dataset folder against the data contract (docs/DESIGN.md §4). "
                                   "Exit 0 when it can be planned (row-level issues are listed with their "
                                   "fallback), 2 on a structural error.",
                       epilog=EPILOG_VALIDATE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="dataset folder (CSV and/or Parquet files)")
    p.add_argument("--strict", action="store_true", help="fail (exit 2) on any error-level issue")
    p.add_argument("--issues-out", help="also write the issues table to this CSV file")
    p.add_argument("--max-issues", type=int, default=30, help="issues shown in the terminal (default 30)")
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("PARTSOPT_DEBUG") == "1"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except PartsoptError as exc:
        print(f"partsopt: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("partsopt: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal failure: a bug, not bad input
        if debug:
            traceback.print_exc()
        print(f"partsopt: internal error: {type(exc).__name__}: {exc}\n"
              "  this is a bug in partsopt; rerun with --debug for the traceback and report it.",
              file=sys.stderr)
        return 1


# ----------------------------------------------------------------- commands
def cmd_validate(args) -> int:
    from partsopt.io import load

    data = load(args.data, strict=args.strict)
    print(heading(f"Dataset {args.data}"))
    print(format_table(data.summary()))
    _print_issues(data.issues, args.max_issues)
    if args.issues_out:
        from partsopt.io import write_table
        write_table(data.issues, args.issues_out)
        print(f"issues written to {args.issues_out}")
    n_err = int((data.issues["severity"] == "error").sum()) if len(data.issues) else 0
    print(f"\nvalid: {len(data.parts)} parts, {len(data.locations)} locations, {len(data.demand)} demand lines; "
          f"{len(data.issues)} issue(s), {n_err} error-level (planned around with the fallbacks shown).")
    return 0


def _print_issues(issues: pd.DataFrame, max_rows: int) -> None:
    print()
    if not len(issues):
        print(heading("Issues: none"))
        return
    print(heading(f"Issues: {len(issues)}"))
    counts = (issues.groupby(["severity", "table", "check", "fallback"], sort=False).size()
              .rename("rows").reset_index())
    print(format_table(counts[["severity", "table", "check", "rows", "fallback"]]))
    print()
    print(format_table(issues[["severity", "table", "row", "part", "location", "check", "detail"]], max_rows=max_rows))


def cmd_demo(args) -> int:
    from partsopt.demo import write_demo
    from partsopt.io import load

    out = Path(args.out)
    write_demo(out, size=args.size, seed=args.seed)
    data = load(out)
    print(heading(f"partsopt demo: {args.size} network, seed {args.seed} → {out}"))
    _print_network_summary(data)
    return 0


def _print_network_summary(data) -> None:
    from partsopt.summary import network_summary

    s = network_summary(data)
    print(format_table(s["locations"]))
    print()
    print(format_table(s["totals"]))
    print()
    print(format_table(s["classes"]))
    if len(data.issues):
        print(f"\n{len(data.issues)} data issue(s); see 'partsopt validate'.")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main", "build_parser"]
