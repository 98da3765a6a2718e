"""The ``imresearch`` command line.

User errors (bad input, missing files, unknown names) print one line to stderr and exit with
status 2; no traceback. Set ``IMRESEARCH_DEBUG=1`` to see the traceback anyway.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

import pandas as pd

from imresearch import __version__
from imresearch.errors import ImResearchError, InputError

__all__ = ["main"]

EPILOG = """examples:
  imresearch run --out results                 run the built-in default study
  imresearch run study.toml --out results      run a study file
  imresearch run scenarios/archegos_2021.toml --out archegos
                                               the Archegos-style prime-broker replay
  imresearch data list                         built-in and catalogue data sets
  imresearch data show synthetic               summary of a data set (factors, dates, gaps)
  imresearch data show prices.csv              summary of a CSV file
  imresearch simm crif.csv --format json       ISDA SIMM of a CRIF file
  imresearch sweep study.toml --grid grid.toml --scheduler dask --out sweep
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imresearch",
        description="Initial-margin research: HS/FHS/MC engines, SIMM, schedule IM, backtests, "
        "procyclicality and APC tools.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"imresearch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run a study (default: the built-in study on built-in data)",
        description="Run a study and write results, figures, report.html and manifest.json.",
        epilog="example: imresearch run --out results",
    )
    run.add_argument("study", nargs="?", help="study TOML file (default: built-in study)")
    run.add_argument("--out", default="imresearch-results",
                     help="output folder, replaced atomically (default: %(default)s)")
    run.add_argument("--data-dir", help="market-data directory (default: $IMRESEARCH_DATA)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    data = sub.add_parser("data", help="list and inspect market data sets",
                          description="List and inspect market data sets.",
                          epilog="example: imresearch data show synthetic")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    lst = data_sub.add_parser("list", help="list built-in and catalogue data sets",
                              epilog="example: imresearch data list --format csv")
    lst.add_argument("--data-dir", help="market-data directory (default: $IMRESEARCH_DATA)")
    lst.add_argument("--format", choices=("table", "csv", "json"), default="table")
    show = data_sub.add_parser("show", help="summary of one data set or file",
                               epilog="example: imresearch data show sp500")
    show.add_argument("name", help="built-in or catalogue name, or a CSV/Parquet path")
    show.add_argument("--data-dir", help="market-data directory (default: $IMRESEARCH_DATA)")
    show.add_argument("--seed", type=int, default=0, help="seed of synthetic markets")
    simm = sub.add_parser(
        "simm", help="ISDA SIMM initial margin of a CRIF file",
        description="ISDA SIMM from a CRIF file (every public version, 10-day or 1-day MPOR).",
        epilog="example: imresearch simm crif.csv --version 2.6 --side post --format json",
    )
    simm.add_argument("crif", help="CRIF file (CSV, ISDA column names)")
    simm.add_argument("--version", default=None, help="SIMM version (default: the newest)")
    simm.add_argument("--mpor-days", type=int, choices=(10, 1), default=10,
                      help="margin period of risk (default: %(default)s)")
    simm.add_argument("--side", choices=("call", "post"), default="call",
                      help="margin the party collects (call) or posts (post)")
    simm.add_argument("--calculation-currency", default="USD", help="default: %(default)s")
    simm.add_argument("--group-by", default=None,
                      help="CRIF column giving separate totals, e.g. PortfolioID")
    simm.add_argument("--format", choices=("table", "json", "csv"), default="table")

    sweep = sub.add_parser(
        "sweep", help="run a study over a grid of settings (serial, processes or Dask)",
        description="Run a study's market analysis for every point of a grid of market "
        "settings, or every (portfolio, stress episode, model) of a grid of model settings "
        "([grid.hs] / [grid.mc] tables; see imresearch.study.load_grid). Results stream to "
        "OUT/results.parquet with a manifest; an interrupted sweep resumes.",
        epilog="example: imresearch sweep study.toml --grid grid.toml --scheduler dask "
        "--workers 2 --out sweep",
    )
    sweep.add_argument("study", nargs="?", help="study TOML file (default: built-in study)")
    sweep.add_argument("--grid", required=True,
                       help="TOML file whose [grid] table maps setting names to lists")
    sweep.add_argument("--scheduler", default="serial",
                       help="serial, processes, dask (local cluster) or tcp://HOST:PORT")
    sweep.add_argument("--workers", type=int, default=None, help="number of workers")
    sweep.add_argument("--seed", type=int, default=0, help="root seed of the sweep")
    sweep.add_argument("--task-threads", type=int, default=1,
                       help="Numba threads per task (default: %(default)s; parallel across "
                       "tasks)")
    sweep.add_argument("--out", default="imresearch-sweep", help="output folder")
    sweep.add_argument("--data-dir", help="market-data directory (default: $IMRESEARCH_DATA)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _cmd_simm(args: argparse.Namespace) -> int:
    from imresearch.simm import DEFAULT_VERSION, simm

    version = args.version or DEFAULT_VERSION
    result = simm(args.crif, version=version, mpor_days=args.mpor_days, side=args.side,
                  calculation_currency=args.calculation_currency, group_by=args.group_by)
    if args.format == "json":
        payload = {
            "total": float(result.total),
            "version": version,
            "mpor_days": args.mpor_days,
            "side": args.side,
            "calculation_currency": args.calculation_currency,
            "breakdown": json.loads(result.breakdown.to_json(orient="records")),
        }
        if args.group_by:
            payload["totals"] = {str(k): float(v) for k, v in result.totals.items()}
        print(json.dumps(payload, indent=2))
    elif args.format == "csv":
        print(result.breakdown.to_csv(index=False), end="")
    else:
        print(f"SIMM {version}, {args.mpor_days}-day, {args.side} side: total "
              f"{result.total:,.2f} {args.calculation_currency}")
        with pd.option_context("display.width", 200, "display.max_rows", 1000,
                               "display.float_format", "{:,.2f}".format):
            print(result.breakdown.to_string(index=False))
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from imresearch.study import load_grid, load_study, sweep_study

    study = load_study(args.study)
    points = load_grid(args.grid)
    table = sweep_study(study, points, scheduler=args.scheduler, n_workers=args.workers,
                        seed=args.seed, out=args.out, data_dir=args.data_dir,
                        progress=not args.quiet and sys.stderr.isatty(),
                        task_threads=args.task_threads)
    print(f"{len(table)} tasks; results written to {args.out}/results.parquet")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from imresearch.scenarios.archegos import is_archegos_file

    if is_archegos_file(args.study):  # a scenario file with kind = "archegos"
        from imresearch.scenarios.archegos import run_archegos

        def say(text: str) -> None:
            print(f"archegos replay: {text}", file=sys.stderr)

        show = not args.quiet and sys.stderr.isatty()
        result = run_archegos(args.study, out=args.out, data_dir=args.data_dir,
                              progress=say if show else None)
        print(f"Archegos replay ({result.history_source.split(':')[0]} history); results "
              f"written to {args.out}/ (report.html, manifest.json, figures/)")
        return 0
    from imresearch.study import load_study, run_study

    study = load_study(args.study)
    progress = not args.quiet and sys.stderr.isatty()
    out = run_study(study, args.out, data_dir=args.data_dir, progress=progress)
    print(f"results written to {out}/ (report.html, manifest.json, figures/)")
    return 0


def _cmd_data_list(args: argparse.Namespace) -> int:
    from imresearch.marketdata.builtin import builtin_names

    rows = [
        {"name": name, "kind": "built-in", "description": desc, "available": True}
        for name, desc in builtin_names().items()
    ]
    try:
        from imresearch.marketdata.catalogue import list_datasets

        cat = list_datasets(data_dir=args.data_dir)
        for rec in cat.to_dict("records"):
            rows.append(
                {
                    "name": rec["name"],
                    "kind": "catalogue",
                    "description": rec.get("description", ""),
                    "available": bool(rec.get("available", False)),
                }
            )
    except ImportError:  # pragma: no cover - catalogue is part of the package
        pass
    table = pd.DataFrame(rows)
    if args.format == "csv":
        print(table.to_csv(index=False), end="")
    elif args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        with pd.option_context("display.max_colwidth", 70, "display.width", 200,
                               "display.max_rows", 500):
            print(table.to_string(index=False))
        if not table.query("kind == 'catalogue'")["available"].any():
            print("\ncatalogue data sets need a data directory: set IMRESEARCH_DATA or pass "
                  "--data-dir")
    return 0


def _cmd_data_show(args: argparse.Namespace) -> int:
    from imresearch.study import load_market

    market = load_market(args.name, seed=args.seed, data_dir=args.data_dir)
    print(f"{market.name}: {market.n_factors} factors, {market.n_dates} dates, "
          f"{market.start:%Y-%m-%d} .. {market.end:%Y-%m-%d}")
    report = market.gap_report
    print(f"gap policy: {report.policy}; dropped dates: {report.n_dropped}; "
          f"forward-filled values: {report.n_filled}")
    gaps = market.calendar_gaps()
    print(f"calendar gaps longer than 3 business days: {len(gaps)}")
    if len(gaps):
        with pd.option_context("display.width", 200):
            print(gaps.head(10).to_string(index=False))
    cols = ["risk_class", "convention", "units", "currency", "tenor", "first_level",
            "last_level", "min_level", "max_level", "daily_shock_std"]
    summary = market.summary()
    with pd.option_context("display.width", 200, "display.max_rows", 500,
                           "display.float_format", "{:,.6g}".format):
        print(summary[[c for c in cols if c in summary]].to_string())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``imresearch`` command; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "simm":
            return _cmd_simm(args)
        if args.command == "sweep":
            return _cmd_sweep(args)
        if args.command == "data":
            if args.data_command == "list":
                return _cmd_data_list(args)
            if args.data_command == "show":
                return _cmd_data_show(args)
            parser.parse_args(["data", "--help"])
        return 0
    except InputError as exc:
        if os.environ.get("IMRESEARCH_DEBUG"):
            raise
        print(f"imresearch: error: {exc}", file=sys.stderr)
        return 2
    except ImResearchError as exc:
        if os.environ.get("IMRESEARCH_DEBUG"):
            raise
        print(f"imresearch: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("imresearch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
