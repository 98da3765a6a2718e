"""The ``imresearch`` command line.

User errors (bad input, missing files, unknown names, an output folder that cannot be used)
print one line to stderr and exit with status 2; no traceback. Set ``IMRESEARCH_DEBUG=1`` to see
the traceback anyway. ``imresearch --help`` and every command's help import no numerical
library, so they print at once.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import sys
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from imresearch import __version__
from imresearch.errors import ImResearchError, InputError, command_line

__all__ = ["main"]

#: Width of ``imresearch data list`` (and of the wrapped ``--long`` listing).
WIDTH = 100

EPILOG = """examples:
  imresearch init mystudy                      a ready-to-edit study folder (examples/)
  imresearch run mystudy/study.toml --out results
                                               run it
  imresearch run --out results                 run the built-in default study
  imresearch run study.toml --out results      run a study file
  imresearch run scenarios/archegos_2021.toml --out archegos
                                               the Archegos-style prime-broker replay
  imresearch backtest study.toml --out bt      backtests by portfolio, netting set and risk
                                               class ([backtest] of the study, or defaults)
  imresearch data list                         built-in and catalogue data sets
  imresearch data show synthetic               summary of a data set (factors, dates, gaps)
  imresearch data show prices.csv              summary of a CSV file
  imresearch data show examples/study.toml     the market of a study (its factor metadata too)
  imresearch simm crif.csv --format json       ISDA SIMM of a CRIF file
  imresearch sweep study.toml --grid grid.toml --scheduler dask --out sweep

--out: a new folder is created; an existing one is replaced as a whole only if it is empty or
an earlier imresearch output (its manifest.json lists every file in it, unedited). Anything
else (a file, a folder with other content such as '.', a symbolic link) is refused before any
computation, and so is a folder another imresearch process is writing to.
"""

#: Files ``imresearch init`` writes, from the package's ``examples`` folder.
EXAMPLE_FILES = ("study.toml", "portfolio.csv", "portfolio.toml", "market.csv", "grid.toml",
                 "crif.csv")

_OUT_HELP = ("output folder: created, or replaced as a whole if it is empty or an earlier "
             "imresearch output; anything else is refused (default: %(default)s)")
_DATA_DIR_HELP = ("market-data directory; it must exist, whatever the command reads from it "
                  "(default: $IMRESEARCH_DATA)")
_QUIET_HELP = "no progress (default: a bar on a terminal, one line per step otherwise)"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imresearch",
        description="Initial-margin research: HS/FHS/MC engines, SIMM, schedule IM, backtests,\n"
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
    run.add_argument("--out", default="imresearch-results", help=_OUT_HELP)
    run.add_argument("--data-dir", help=_DATA_DIR_HELP)
    run.add_argument("--quiet", action="store_true", help=_QUIET_HELP)

    init = sub.add_parser(
        "init", help="write a ready-to-edit study folder (study, portfolio, market data...)",
        description="Write the example study folder into DIR: " + ", ".join(EXAMPLE_FILES)
        + " (formats: docs/formats.md). DIR is created if needed; existing files are never "
        "overwritten (the command then writes nothing).",
        epilog="example: imresearch init mystudy && imresearch run mystudy/study.toml "
        "--out mystudy/results")
    init.add_argument("dir", metavar="DIR", help="folder to write the example files into")

    bt = sub.add_parser(
        "backtest",
        help="backtest a study's models by portfolio, netting set and risk class",
        description="Backtest the study's models (its [backtest] table, or every HS model "
        "and SIMM at 1 and 10 days by portfolio, netting set and risk class over the last 5 "
        "years, weekly) and write the summary, every exception with what drove it, the "
        "rolling traffic light with remediation, margin responsiveness, report.html and "
        "manifest.json.",
        epilog="example: imresearch backtest study.toml --out backtests")
    bt.add_argument("study", nargs="?", help="study TOML file (default: built-in study)")
    bt.add_argument("--out", default="imresearch-backtests", help=_OUT_HELP)
    bt.add_argument("--data-dir", help=_DATA_DIR_HELP)
    bt.add_argument("--quiet", action="store_true", help=_QUIET_HELP)

    data = sub.add_parser("data", help="list and inspect market data sets",
                          description="List and inspect market data sets.",
                          epilog="example: imresearch data show synthetic")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    lst = data_sub.add_parser(
        "list", help="list built-in and catalogue data sets",
        description="List the built-in data sets and the catalogue of real data read from the "
        f"data directory: name, kind, date range and factors, in {WIDTH} columns.",
        epilog="example: imresearch data list --long")
    lst.add_argument("--data-dir", help=_DATA_DIR_HELP)
    lst.add_argument("--format", choices=("table", "csv", "json"), default="table")
    lst.add_argument("--long", action="store_true",
                     help="also the description, files and availability of each data set")
    show = data_sub.add_parser("show", help="summary of one data set or file",
                               epilog="example: imresearch data show sp500")
    show.add_argument("name", help="built-in or catalogue name, a CSV/Parquet path, or a "
                      "study file (its [market], with the metadata of its factors)")
    show.add_argument("--data-dir", help=_DATA_DIR_HELP)
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
        "OUT/results.parquet with a manifest; an interrupted sweep resumes, reusing only the "
        "tasks whose inputs (study, grid point, data, code, seed) are unchanged.",
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
    sweep.add_argument("--out", default="imresearch-sweep", help=_OUT_HELP)
    sweep.add_argument("--data-dir", help=_DATA_DIR_HELP)
    sweep.add_argument("--quiet", action="store_true", help=_QUIET_HELP)
    return parser


# ---------------------------------------------------------------------------- commands
def _progress(title: str, quiet: bool) -> Any:
    """A :class:`~imresearch.progress.Progress` on stderr (off with ``--quiet``), which first
    says that Numba compiles the kernels when their cache is empty (a first run)."""
    from imresearch._numba import CACHE_DIR, DISABLE_NUMBA, kernels_cached
    from imresearch.progress import Progress

    bar = Progress(title, mode="off" if quiet else "auto")
    if not DISABLE_NUMBA and not kernels_cached():
        where = (f"cached in {CACHE_DIR} for later runs" if CACHE_DIR is not None else
                 "not cached: no writable cache folder; set NUMBA_CACHE_DIR")
        bar.note(f"compiling the Numba kernels on first use (a minute or two; {where})")
    return bar


def _cmd_init(args: argparse.Namespace) -> int:
    import shutil
    from importlib.resources import as_file, files
    from pathlib import Path

    from imresearch.errors import OutputError

    target = Path(args.dir)
    if target.exists() and not target.is_dir():
        raise InputError(f"init: {target} exists and is not a folder")
    taken = [name for name in EXAMPLE_FILES if os.path.lexists(target / name)]
    if taken:
        raise InputError(f"init: {target / taken[0]} exists; imresearch init never overwrites "
                         "files: choose a new or empty folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in EXAMPLE_FILES:
            with as_file(files("imresearch") / "examples" / name) as source:
                shutil.copyfile(source, target / name)
    except OSError as exc:
        raise OutputError(f"init: cannot write into {target} ({exc.strerror})") from None
    print(f"wrote {', '.join(EXAMPLE_FILES)} into {target}/\n"
          f"next: imresearch run {target / 'study.toml'} --out {target / 'results'}")
    return 0


def _cmd_simm(args: argparse.Namespace) -> int:
    import math

    import pandas as pd

    from imresearch.provenance import strict_json
    from imresearch.simm import DEFAULT_VERSION, simm

    version = args.version or DEFAULT_VERSION
    result = simm(args.crif, version=version, mpor_days=args.mpor_days, side=args.side,
                  calculation_currency=args.calculation_currency, group_by=args.group_by)
    totals = {"total": float(result.total)}
    if args.group_by:
        totals.update({f"{args.group_by} {k}": float(v) for k, v in result.totals.items()})
    bad = {k: v for k, v in totals.items() if not math.isfinite(v)}
    if bad:
        name, value = next(iter(bad.items()))
        raise InputError(f"{args.crif}: SIMM {name} is {value} (not a finite number): an amount "
                         "in the CRIF is too large or not finite")
    if args.format == "json":
        payload: dict[str, Any] = {
            "total": totals["total"],
            "version": version,
            "mpor_days": args.mpor_days,
            "side": args.side,
            "calculation_currency": args.calculation_currency,
            "breakdown": result.breakdown.to_dict(orient="records"),
        }
        if args.group_by:
            payload["totals"] = {str(k): float(v) for k, v in result.totals.items()}
        print(strict_json(payload, indent=2))
    elif args.format == "csv":
        print(result.breakdown.to_csv(index=False), end="")
    else:
        print(f"SIMM {version}, {args.mpor_days}-day, {args.side} side: total "
              f"{result.total:,.2f} {args.calculation_currency}")
        with pd.option_context("display.width", WIDTH, "display.max_rows", 1000,
                               "display.float_format", "{:,.2f}".format):
            print(result.breakdown.to_string(index=False))
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from imresearch.provenance import claim_output_dir
    from imresearch.study import load_grid, load_study, sweep_study

    with claim_output_dir(args.out):
        study = load_study(args.study)
        points = load_grid(args.grid)
        bar = _progress(f"sweep {study.name}", args.quiet)
        table = sweep_study(study, points, scheduler=args.scheduler, n_workers=args.workers,
                            seed=args.seed, out=args.out, data_dir=args.data_dir,
                            progress=bar, task_threads=args.task_threads)
        bar.close(f"{len(table)} tasks done")
    print(f"{len(table)} tasks; results written to {args.out}/results.parquet")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from imresearch.provenance import claim_output_dir
    from imresearch.scenarios.archegos import is_archegos_file

    with claim_output_dir(args.out):
        if is_archegos_file(args.study):  # a scenario file with kind = "archegos"
            import datetime as dt

            from imresearch.report.archegos_report import write_archegos
            from imresearch.scenarios.archegos import (
                archegos_progress_steps,
                load_archegos_scenario,
                run_archegos,
            )

            started = dt.datetime.now(dt.timezone.utc)
            scenario = load_archegos_scenario(args.study)
            bar = _progress("archegos replay", args.quiet)
            bar.steps.update(archegos_progress_steps(scenario))
            result = run_archegos(scenario, data_dir=args.data_dir, progress=bar.say)
            bar.step("write")
            write_archegos(result, args.out, started=started)
            bar.close("done")
            print(f"Archegos replay ({result.history_source.split(':')[0]} history); results "
                  f"written to {args.out}/ (report.html, manifest.json, figures/)")
            return 0
        from imresearch.report.study_report import write_study
        from imresearch.study import load_study, progress_steps, run_study

        study = load_study(args.study)
        bar = _progress(f"study {study.name}", args.quiet)
        bar.steps.update(progress_steps(study))
        results = run_study(study, data_dir=args.data_dir, progress=bar.say)
        bar.step("write")
        out = write_study(results, args.out)
        bar.close("done")
    print(f"results written to {out}/ (report.html, manifest.json, figures/)")
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    import datetime as dt

    from imresearch.portfolio import load_portfolio
    from imresearch.provenance import claim_output_dir
    from imresearch.report.backtest_report import write_backtests
    from imresearch.report.palette import Palette
    from imresearch.report.study_report import study_inputs
    from imresearch.schema import to_mapping
    from imresearch.study import load_study
    from imresearch.study.backtests import run_backtests
    from imresearch.study.market import study_market
    from imresearch.study.settings import BacktestConfig

    with claim_output_dir(args.out):
        started = dt.datetime.now(dt.timezone.utc)
        study = load_study(args.study)
        if study.portfolio is None:
            raise InputError(f"{args.study}: [portfolio] source = 'none': nothing to backtest")
        portfolio = load_portfolio(study.portfolio.source)
        config = study.backtest or BacktestConfig()
        bar = _progress(f"backtests {study.name}", args.quiet)
        market = study_market(study.market, data_dir=args.data_dir)
        results = run_backtests(market, portfolio, study.models, config, apc=study.apc,
                                progress=bar.say)
        bar.step("write")
        settings = {**study.settings(), "backtest": to_mapping(config)}
        write_backtests(results, args.out, inputs=study_inputs(study, market, portfolio),
                        settings=settings, started=started, palette=Palette(study.models),
                        title=f"Backtests of study {study.name} on {market.name}")
        bar.close("done")
    print(f"{len(results.summary)} backtests; results written to {args.out}/ (report.html, "
          "manifest.json, backtest_summary.csv, backtest_exceptions.csv)")
    return 0


_RANGE = re.compile(r"\b(\d{4}-\d{2}(?:-\d{2})?) \.\. (\d{4}-\d{2}(?:-\d{2})?)\b"
                    r"|\b(1[89]\d\d|20\d\d)-(1[89]\d\d|20\d\d)\b")
_N_FACTORS = re.compile(r"\b(\d+) factors\b")


def _date_range(description: str) -> str:
    """The date range a description states (``1927-12-30 .. 2026-08`` or ``1999-2018``)."""
    m = _RANGE.search(description)
    if m is None:
        return ""
    first, last = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return f"{first} .. {last}"


def _dataset_rows(data_dir: str | None) -> list[dict[str, Any]]:
    """One row per data set; range and built-in factor counts as their descriptions state
    them (blank when they do not), the catalogue's factors from its metadata."""
    from imresearch.marketdata.builtin import builtin_names
    from imresearch.marketdata.catalogue import list_datasets

    rows = []
    for name, desc in builtin_names().items():
        m = _N_FACTORS.search(desc)
        rows.append({"name": name, "kind": "built-in", "range": _date_range(desc),
                     "n_factors": int(m.group(1)) if m else None, "risk_classes": "",
                     "available": True, "description": desc, "files": ""})
    for rec in list_datasets(data_dir=data_dir).to_dict("records"):
        rows.append({"name": rec["name"], "kind": "catalogue",
                     "range": _date_range(rec.get("description", "")),
                     "n_factors": int(rec["n_factors"]), "risk_classes": rec["risk_classes"],
                     "available": bool(rec.get("available", False)),
                     "description": rec.get("description", ""), "files": rec["files"]})
    return rows


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _cmd_data_list(args: argparse.Namespace) -> int:
    rows = _dataset_rows(args.data_dir)
    if args.format == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return 0
    if args.format == "json":
        from imresearch.provenance import strict_json

        print(strict_json(rows, indent=2))
        return 0
    if args.long:
        for row in rows:
            state = "available" if row["available"] else "not in the data directory"
            print(f"{row['name']}  ({row['kind']}, {state})")
            for key in ("range", "description", "files"):
                if row[key]:
                    print(textwrap.fill(str(row[key]), WIDTH, initial_indent=f"  {key}: ",
                                        subsequent_indent="    "))
            if row["n_factors"]:
                classes = f" ({row['risk_classes']})" if row["risk_classes"] else ""
                print(f"  factors: {row['n_factors']}{classes}")
        return 0
    heads = ("name", "kind", "range", "factors")
    cells = []
    for row in rows:
        kind = row["kind"] if row["available"] else f"{row['kind']}*"
        factors = f"{row['n_factors'] or ''} {row['risk_classes']}".strip()
        cells.append((row["name"], kind, row["range"], factors))
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads[:3])]
    room = WIDTH - sum(widths) - 2 * 3
    for line in (heads, *cells):
        fixed = "  ".join(str(v).ljust(w) for v, w in zip(line[:3], widths))
        print(f"{fixed}  {_fit(line[3], room)}".rstrip())
    if any(not r["available"] for r in rows):
        print(_fit("\n* not in the data directory: set IMRESEARCH_DATA or pass --data-dir "
                   "(see market_data/README.md)", WIDTH))
    return 0


def _cmd_data_show(args: argparse.Namespace) -> int:
    import pandas as pd

    from imresearch.study import load_market, load_study, study_market

    if args.name.lower().endswith(".toml"):  # a study file: its market as the study reads it
        market = study_market(load_study(args.name).market, data_dir=args.data_dir)
    else:
        market = load_market(args.name, seed=args.seed, data_dir=args.data_dir)
    print(f"{market.name}: {market.n_factors} factors, {market.n_dates} dates, "
          f"{market.start:%Y-%m-%d} .. {market.end:%Y-%m-%d}")
    report = market.gap_report
    print(f"gap policy: {report.policy}; dropped dates: {report.n_dropped}; "
          f"forward-filled values: {report.n_filled}")
    gaps = market.calendar_gaps()
    print(f"calendar gaps longer than 3 business days: {len(gaps)}")
    if len(gaps):
        with pd.option_context("display.width", WIDTH):
            print(gaps.head(10).to_string(index=False))
    cols = ["risk_class", "convention", "units", "currency", "tenor", "first_level",
            "last_level", "min_level", "max_level", "daily_shock_std"]
    summary = market.summary()
    with pd.option_context("display.width", 200, "display.max_rows", 500,
                           "display.float_format", "{:,.6g}".format):
        print(summary[[c for c in cols if c in summary]].to_string())
    return 0


# ------------------------------------------------------------------------------- main
@contextlib.contextmanager
def _one_line_messages() -> Iterator[None]:
    """Log messages as single ``imresearch: ...`` lines on stderr; warnings as single
    ``imresearch: warning: ...`` lines once the command has succeeded (a command that fails
    on bad input prints its one error line only)."""
    caught: dict[str, None] = {}

    def keep(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        caught[f"{' '.join(str(message).split())} ({category.__name__})"] = None

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("imresearch: %(message)s"))
    log = logging.getLogger("imresearch")
    saved = warnings.showwarning, log.propagate
    warnings.showwarning = keep
    log.addHandler(handler)
    log.propagate = False
    try:
        yield
    finally:
        warnings.showwarning, log.propagate = saved
        log.removeHandler(handler)
    for text in caught:
        print(f"imresearch: warning: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``imresearch`` command; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        with command_line(), _one_line_messages():
            if hasattr(args, "data_dir"):
                _check_data_dir(args.data_dir)
            if args.command == "run":
                return _cmd_run(args)
            if args.command == "init":
                return _cmd_init(args)
            if args.command == "backtest":
                return _cmd_backtest(args)
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
        print(f"imresearch: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ImResearchError as exc:
        if os.environ.get("IMRESEARCH_DEBUG"):
            raise
        print(f"imresearch: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("imresearch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _check_data_dir(path: str | None) -> None:
    """A market-data directory that ``--data-dir`` (``path``) or ``$IMRESEARCH_DATA`` names
    must exist, whatever the command reads from it."""
    from imresearch.marketdata.catalogue import DATA_DIR_ENV, data_dir

    if path is not None or os.environ.get(DATA_DIR_ENV, "").strip():
        data_dir(path)  # DataNotFoundError naming the option or the variable, and the path


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (line breaks of embedded text collapsed)."""
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
