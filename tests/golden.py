"""Golden numbers recorded before the model-interface redesign (issue #12).

``python -m tests.golden --record`` recomputes and writes ``tests/data/golden.json``;
``tests/test_golden.py`` checks that the current code reproduces every number (relative 1e-12).
The numbers come from the public API as it stood when they were recorded; this module is the
one place that maps them onto today's API.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

GOLDEN = Path(__file__).with_name("data") / "golden.json"

START, END = "2024-01-02", "2024-04-30"
MC_DATE = "2024-04-30"


def compute() -> dict[str, Any]:
    """Every golden number, from today's API."""
    import imresearch.marketdata as md
    from imresearch.engines.hs import rolling_im
    from imresearch.engines.mc import monte_carlo_im
    from imresearch.models import HSModel
    from imresearch.portfolio import load_portfolio
    from imresearch.portfolio.binding import bind
    from imresearch.portfolio.sensitivities import to_crif
    from imresearch.scenarios.archegos import load_archegos_scenario, run_archegos
    from imresearch.simm import simm

    market = md.synthetic_market(seed=0)
    book = load_portfolio("dealer_book")
    bound = bind(book, market, market.end)
    out: dict[str, Any] = {"rolling": {}, "mc": {}, "simm": {}, "archegos": {}}
    models = {
        "HS 1y": HSModel(lookback_days=250),
        "HS 3y+stress": HSModel(lookback_days=750, stress=True),
        "FHS-EWMA 1y": HSModel(lookback_days=250, filtering="ewma"),
        "HS 1y+stress 25%": HSModel(lookback_days=250, stress=True, stress_weight=0.25),
    }
    for label, model in models.items():
        im = rolling_im(bound, market, START, END, model, step=5)["im"]
        out["rolling"][label] = {d.date().isoformat(): float(v) for d, v in im.items()}
    mc = monte_carlo_im(bound, market, pd.Timestamp(MC_DATE), n_paths=4000, seed=7)
    out["mc"] = {"im": float(mc.im), "es": float(mc.es)}
    for date in ("2024-01-31", "2024-04-30"):
        crif = to_crif(bind(book, market, pd.Timestamp(date)))
        for version in ("2.5", "2.6", "2.8+2512"):
            out["simm"][f"{version} {date}"] = float(simm(crif, version=version).total)
    shipped = Path(__file__).resolve().parents[1] / "scenarios" / "archegos_2021.toml"
    scenario = load_archegos_scenario(shipped)
    tranches = {k: dataclasses.replace(b, exit="tranches", block_discount=0.0)
                for k, b in scenario.brokers.items()}  # every broker sold as recorded: tranches
    scenario = dataclasses.replace(scenario, history="builtin", brokers=tranches)
    arch = run_archegos(scenario)  # the built-in history: the same wherever the data lives
    losses = arch.default_loss["loss_after_im"]
    out["archegos"] = {str(k): float(v) for k, v in losses.items()}
    return out


if __name__ == "__main__":
    if "--record" in sys.argv:
        GOLDEN.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN}")
