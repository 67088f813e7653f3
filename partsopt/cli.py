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

writes the dataset to OUT/data (ground truth of the planted defects in OUT/data/ground_truth)
and the weekly plan to OUT/plan (orders.xlsx for the parts manager).
"""
EPILOG_PLAN = """example:
  partsopt plan ./partsopt-demo --as-of 2026-11-16 --out ./plan
  partsopt plan ./mydata --as-of 2026-11-16 --out ./plan --config tight.toml
  partsopt plan ./mydata --as-of 2026-11-16 --out ./plan --dask local:2
  partsopt plan ./mydata --as-of 2026-11-16 --out ./plan --scheduler tcp://10.0.0.5:8786

writes forecasts, policies and orders (.parquet and .csv), orders.xlsx and run.json to --out.
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

    p = sub.add_parser("plan", help="forecasts, policies and the weekly order suggestions",
                       description="Run the weekly planning cycle on a dataset as of a date: demand forecasts, "
                                   "stock policies (reorder point s, order-up-to S) per part and location, and the "
                                   "order suggestions from the inventory snapshot.",
                       epilog=EPILOG_PLAN, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="dataset folder")
    p.add_argument("--as-of", required=True, help="planning date YYYY-MM-DD (the inventory snapshot's date)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", help="scenario file (TOML); default: the default scenario")
    p.add_argument("--strict", action="store_true", help="fail on any error-level data issue")
    add_cluster_options(p)
    p.set_defaults(func=cmd_plan)
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


def cmd_plan(args) -> int:
    from partsopt.io import load, read_config

    config = read_config(args.config)
    data = load(args.data, strict=args.strict)
    result, run = run_plan(data, args.as_of, config, Path(args.out), cluster=cluster_spec(args))
    _print_plan_summary(result, run, Path(args.out))
    return 0


# ------------------------------------------------- Dask hooks (plan; simulate/whatif take the same)
def add_cluster_options(p) -> None:
    """``--scheduler ADDRESS`` / ``--dask local[:N]`` / ``--connect-timeout S`` (DESIGN.md §8-9)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (results identical to one process)")
    g.add_argument("--dask", metavar="local[:N]",
                   help="run on a local Dask cluster of N worker processes (default N: the cores)")
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="wait at most this long for --scheduler (default 10), then exit 2")


def cluster_spec(args) -> dict | None:
    """The cluster options of ``args`` for :func:`partsopt.dask_backend.connect`, or None (one process)."""
    if getattr(args, "scheduler", None) is None and getattr(args, "dask", None) is None:
        return None
    if not args.connect_timeout > 0:
        raise UsageError(f"--connect-timeout must be > 0 seconds, received {args.connect_timeout!r}",
                         fix="e.g. --connect-timeout 10")
    return {"scheduler": args.scheduler, "local": args.dask, "timeout": args.connect_timeout}


def _plan_maybe_on_cluster(data, as_of, config, cluster: dict | None):
    from partsopt.pipeline import plan
    from partsopt.progress import stderr_progress

    if cluster is None:
        return plan(data, as_of, config, progress=stderr_progress())
    from partsopt.dask_backend import connect, plan_on_cluster

    with connect(**cluster) as client:
        return plan_on_cluster(client, data, as_of, config)


def run_plan(data, as_of, config, out: Path, cluster: dict | None = None):
    """Plan and write every output of ``partsopt plan`` to ``out`` (published together at the end)."""
    from partsopt.excel import write_orders_xlsx
    from partsopt.io import OutputSet
    from partsopt.runinfo import make_run_info, run_json

    result = _plan_maybe_on_cluster(data, as_of, config, cluster)
    run = make_run_info("plan", config, data.tables, as_of=result.as_of.date().isoformat())
    run["dataset"] = str(data.path or "")
    run["rows"] = {"forecasts": len(result.forecasts), "policies": len(result.policies), "orders": len(result.orders)}
    with OutputSet(out) as outputs:
        for name, frame in (("forecasts", result.forecasts), ("policies", result.policies), ("orders", result.orders)):
            outputs.write_table(frame, f"{name}.parquet")
            outputs.write_table(frame, f"{name}.csv")
        outputs.write_table(result.issues, "issues.csv")
        write_orders_xlsx(result.orders, outputs.stage("orders.xlsx"),
                          title=f"partsopt order suggestions as of {result.as_of.date()} (run {run['run_id']})")
        outputs.write_text(run_json(run), "run.json")
    return result, run


def _print_plan_summary(result, run, out: Path) -> None:
    from partsopt.excel import orders_summary

    orders = result.orders
    pol = result.policies
    stocked = pol[pol["order_up_to"] > 0]
    print(heading(f"Weekly plan as of {result.as_of.date()} (run {run['run_id']})"))
    print(f"{len(pol):,} part-locations planned, {len(stocked):,} stocked; target value of stock "
          f"{stocked['inventory_value'].sum():,.0f}; expected hit rate (line-weighted) "
          f"{_weighted_hit(result):.1%}")
    n_em = int((orders["order_type"] == "emergency").sum()) if len(orders) else 0
    print(f"{len(orders):,} order lines to place ({len(orders) - n_em:,} normal, {n_em:,} emergency), "
          f"value {orders['value'].sum() if len(orders) else 0:,.0f}")
    if len(orders):
        print()
        print(format_table(orders_summary(orders), max_rows=25))
    print(f"\noutputs in {out}: forecasts, policies, orders (.parquet, .csv), orders.xlsx, run.json")


def _weighted_hit(result) -> float:
    pol = result.policies.merge(result.forecasts[["part", "location", "mean_per_day"]], on=["part", "location"])
    w = pol["mean_per_day"].to_numpy()
    return float((pol["expected_hit_rate"] * w).sum() / w.sum()) if w.sum() > 0 else float("nan")


def cmd_demo(args) -> int:
    from partsopt.demo import generate
    from partsopt.demo.writer import save
    from partsopt.io import load

    from partsopt.config import default_config
    from partsopt.progress import stderr_progress

    out = Path(args.out)
    progress = stderr_progress()
    progress(0, 2, "demo: generate")
    network = generate(args.size, args.seed)
    data_dir = save(network, out / "data", None)
    progress(1, 2, "demo: validate")
    data = load(data_dir)
    progress(2, 2, "demo: validate")
    print(heading(f"partsopt demo: {args.size} network, seed {args.seed} → {data_dir}"))
    _print_network_summary(data)
    as_of = network.as_of
    print()
    result, run = run_plan(data, as_of, default_config(), out / "plan")
    _print_plan_summary(result, run, out / "plan")
    print(f"order suggestions for the parts manager: {out / 'plan' / 'orders.xlsx'}")
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
