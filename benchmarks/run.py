"""Shared benchmark runner.

    python benchmarks/run.py [NAME ...] [--quick] [--repeat N]

Each benchmark module ``benchmarks/bench_<name>.py`` defines ``setup(quick) -> ctx``,
``engine(ctx)``, ``baseline(ctx)`` and ``check(engine_result, baseline_result)`` (raises if the two
disagree). Engine and baseline each run in a fresh subprocess so their peak memory is measured
cleanly: the peak resident set (VmHWM) is reset after set-up and warm-up, and the peak above the
resident size at that moment is reported. Times are the best of ``--repeat`` runs after one
warm-up run (so Numba compilation is excluded). One JSON object per line is printed:
``name``, ``engine_s``, ``baseline_s``, ``ratio`` (baseline / engine time), ``peak_mb`` (engine),
``baseline_peak_mb``, ``memory_ratio`` (baseline / engine peak), ``agree`` and the parameters;
``engine_cpu_s``, ``baseline_cpu_s`` and ``cpu_ratio`` are the CPU times of the benchmark
process (every thread; not of worker processes it starts), a measure of the work done that
holds up better than wall time on a loaded machine.
A module may also define ``extra(ctx, quick) -> dict`` of further figures measured by the
engine's process (e.g. throughput, or a longer engine-only run), merged into the record, and
``warmup(ctx, side)`` to compile its kernels more cheaply than a full untimed run (for a
baseline that takes many minutes).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def available() -> list[str]:
    """Names of the benchmarks in this folder."""
    return sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _child(name: str, side: str, quick: bool, repeat: int, out: str) -> None:
    mod = importlib.import_module(f"bench_{name}")
    ctx = mod.setup(quick)
    func = getattr(mod, side)
    if hasattr(mod, "warmup"):  # a cheaper warm-up of the module's own
        mod.warmup(ctx, side)
    else:
        result = func(ctx)  # warm-up (compiles Numba kernels)
        del result
    times, cpu = [], []
    peak = float("nan")
    for i in range(repeat):
        ok = _reset_peak()
        base = _status_mb("VmRSS")
        t0, c0 = time.perf_counter(), time.process_time()
        result = func(ctx)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if i == 0 and ok:
            peak = _status_mb("VmHWM") - base
        if i < repeat - 1:
            del result
    extra = mod.extra(ctx, quick) if side == "engine" and hasattr(mod, "extra") else {}
    with open(out, "wb") as fh:
        pickle.dump({"time": min(times), "cpu": min(cpu), "peak_mb": peak, "result": result,
                     "extra": extra,
                     "params": getattr(mod, "params", lambda q: {})(quick)}, fh)


def run_one(name: str, quick: bool, repeat: int) -> dict:
    """Run one benchmark (engine and baseline in subprocesses) and return its record."""
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for side in ("engine", "baseline"):
            out = os.path.join(tmp, f"{side}.pkl")
            cmd = [sys.executable, __file__, "--child", name, side, out, "--repeat", str(repeat)]
            if quick:
                cmd.append("--quick")
            subprocess.run(cmd, check=True)
            with open(out, "rb") as fh:
                res[side] = pickle.load(fh)
    mod = importlib.import_module(f"bench_{name}")
    agree = True
    try:
        mod.check(res["engine"]["result"], res["baseline"]["result"])
    except AssertionError as exc:
        agree = False
        print(f"# {name}: engine and baseline disagree: {exc}", file=sys.stderr)
    e, b = res["engine"], res["baseline"]
    return {
        "name": name,
        "engine_s": round(e["time"], 6),
        "baseline_s": round(b["time"], 6),
        "ratio": round(b["time"] / e["time"], 2),
        "engine_cpu_s": round(e["cpu"], 3),
        "baseline_cpu_s": round(b["cpu"], 3),
        "cpu_ratio": round(b["cpu"] / e["cpu"], 2) if e["cpu"] > 0 else None,
        "peak_mb": round(e["peak_mb"], 1),
        "baseline_peak_mb": round(b["peak_mb"], 1),
        "memory_ratio": round(b["peak_mb"] / e["peak_mb"], 2) if e["peak_mb"] > 0 else None,
        "agree": agree,
        "quick": quick,
        "params": e["params"],
        **e.get("extra", {}),
    }


def smoke(name: str) -> dict:
    """Run benchmark ``name`` once at its quick size in this process, untimed: its set-up,
    engine, baseline, ``check`` and ``extra``; returns the extra figures. The test suite's
    check that every benchmark still runs and that engine and baseline agree."""
    mod = importlib.import_module(f"bench_{name}")
    ctx = mod.setup(True)
    mod.check(mod.engine(ctx), mod.baseline(ctx))
    return mod.extra(ctx, True) if hasattr(mod, "extra") else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of "
                        f"{', '.join(available())})")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is kept)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, side, out = args.child
        _child(name, side, args.quick, args.repeat, out)
        return 0
    names = args.names or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"run.py: error: unknown benchmark(s) {unknown}; available: {available()}",
              file=sys.stderr)
        return 2
    failed = False
    for name in names:
        record = run_one(name, args.quick, args.repeat)
        failed |= not record["agree"]
        print(json.dumps(record), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
