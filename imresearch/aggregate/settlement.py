"""Collateral balances carried from date to date: IM collected, IM posted and VM per netting set.

On each date a netting set has three targets: the IM to collect and the IM to post after the
allocated threshold (``required_collect``, ``required_post`` >= 0) and the variation margin,
its mark-to-market (VM threshold zero: a positive MtM is VM we hold). The balances move towards
them by transfers:

* a transfer that grows a balance is a *delivery*, rounded up to the terms' rounding; one
  that shrinks it is a *return*, rounded down (the ISDA credit support convention); a VM
  balance that changes sign is returned whole (rounded down) and the other party delivers
  the new amount (rounded up) once it reaches the MTA on its own; the MTA is tested on the
  amounts before rounding;
* with the MTA combined (the regulations' single MTA for IM and VM), each party transfers
  everything it owes on the netting set (IM it delivers or returns, and VM it pays) once the
  sum reaches the MTA; with the MTA separate, each balance moves once its own transfer
  reaches the MTA. Below the MTA the balance is carried unchanged.

The first date opens the balances as on a date with no prior balance
(:func:`~imresearch.aggregate.terms.exchanged`: IM only, VM at the MtM); transfers are
counted from the second date. Arrays are (n_dates, n_netting_sets).

:func:`collateral_flows` sums the transfers of each date by direction (the calls, the returns
and the net liquidity they drain) and :func:`rolling_peaks` finds their largest sums over
runs of dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imresearch.aggregate.terms import exchanged, round_transfer

__all__ = ["FLOW_COLUMNS", "PEAK_DAYS", "Balances", "collateral_flows", "rolling_peaks",
           "settle"]

#: Runs of IM dates over which the largest sums of calls are reported.
PEAK_DAYS = (1, 5, 20)


@dataclass(frozen=True)
class Balances:
    """Balances after each date's transfers, and the transfers (signed, our point of view).

    Attributes
    ----------
    collected, posted : ndarray
        IM held from the counterparty, IM we have posted (>= 0).
    vm : ndarray
        VM held (positive: held by us; negative: posted by us).
    collect_flow, post_flow, vm_flow : ndarray
        Change of each balance on the date (0 on the first date).
    """

    collected: np.ndarray
    posted: np.ndarray
    vm: np.ndarray
    collect_flow: np.ndarray
    post_flow: np.ndarray
    vm_flow: np.ndarray


def _transfer(balance: np.ndarray, target: np.ndarray, rounding: np.ndarray,
              mta: np.ndarray) -> np.ndarray:
    """Signed transfer moving ``balance`` to ``target``, rounded (deliveries up, returns
    down by magnitude); across zero, the return of the balance plus the delivery of the
    target when that reaches the MTA on its own (the credit support Delivery Amount)."""
    d = target - balance
    delivery = np.abs(target) > np.abs(balance)
    plain = round_transfer(np.abs(d), delivery, rounding)
    new_side = np.where(np.abs(target) >= mta,
                        round_transfer(np.abs(target), np.ones(d.shape, bool), rounding), 0.0)
    across = round_transfer(np.abs(balance), np.zeros(d.shape, bool), rounding) + new_side
    return np.sign(d) * np.where(balance * target < 0, across, plain)


def settle(required_collect: np.ndarray, required_post: np.ndarray, mtm: np.ndarray,
           mta: np.ndarray, rounding: np.ndarray, combined: np.ndarray) -> Balances:
    """Carry the balances through the dates (see the module docstring).

    Parameters
    ----------
    required_collect, required_post : ndarray of shape (n_dates, n_ns)
        IM to collect and to post after the allocated threshold.
    mtm : ndarray of shape (n_dates, n_ns)
        Mark-to-market of each netting set (our point of view), the VM target.
    mta, rounding : ndarray of shape (n_ns,)
        Each netting set's minimum transfer amount and rounding.
    combined : ndarray of shape (n_ns,) bool
        MTA combined over IM and VM (else per balance).
    """
    rc = np.asarray(required_collect, dtype=np.float64)
    rp = np.asarray(required_post, dtype=np.float64)
    v = np.asarray(mtm, dtype=np.float64)
    n, m = rc.shape
    out = {k: np.zeros((n, m)) for k in ("collected", "posted", "vm", "collect_flow",
                                         "post_flow", "vm_flow")}
    zero = np.zeros(m)
    hc = exchanged(rc[0], zero, mta, rounding)
    hp = exchanged(rp[0], zero, mta, rounding)
    hv = v[0].copy()
    out["collected"][0], out["posted"][0], out["vm"][0] = hc, hp, hv
    for t in range(1, n):
        # unrounded amounts decide (the MTA), rounded ones move
        dc, dp, dv = rc[t] - hc, rp[t] - hp, v[t] - hv
        # what each party delivers: the counterparty IM to us (dc > 0), returns of our IM
        # (dp < 0) and VM (dv > 0); we the opposite
        theirs = np.maximum(dc, 0) + np.maximum(-dp, 0) + np.maximum(dv, 0)
        ours = np.maximum(-dc, 0) + np.maximum(dp, 0) + np.maximum(-dv, 0)
        they_pay = theirs >= mta
        we_pay = ours >= mta
        flows = []
        for d, held, target, theirs_if_positive in ((dc, hc, rc[t], True),
                                                    (dp, hp, rp[t], False),
                                                    (dv, hv, v[t], True)):
            by_them = (d > 0) == theirs_if_positive
            joint = np.where(by_them, they_pay, we_pay)
            moves = np.where(combined, joint, np.abs(d) >= mta) & (d != 0)
            flows.append(np.where(moves, _transfer(held, target, rounding, mta), 0.0))
        hc, hp, hv = hc + flows[0], hp + flows[1], hv + flows[2]
        out["collected"][t], out["posted"][t], out["vm"][t] = hc, hp, hv
        out["collect_flow"][t], out["post_flow"][t], out["vm_flow"][t] = flows
    return Balances(**out)


#: The columns of :func:`collateral_flows`.
FLOW_COLUMNS = ("im_calls_out", "vm_calls_out", "calls_out", "im_calls_in", "vm_calls_in",
                "calls_in", "im_returns_out", "im_returns_in", "net_outflow")


def collateral_flows(balances: Balances) -> dict[str, np.ndarray]:
    """Each date's transfers summed over the netting sets, by direction (n_dates,).

    ``im_calls_out``: IM we deliver on the counterparties' calls; ``vm_calls_out``: VM we pay
    (VM is one signed balance: what we pay includes VM returned to the counterparty);
    ``calls_out``: their sum. ``im_calls_in``, ``vm_calls_in``, ``calls_in``: the same
    towards us. ``im_returns_out``: collected IM we return; ``im_returns_in``: our posted IM
    returned to us. ``net_outflow``: the liquidity the margin process drains, IM we post net
    of our IM returned plus VM we pay net of VM we receive; the IM we collect is left out, as
    the rules have it segregated (neither a source nor a use of our liquidity).
    """
    post, collect, vm = balances.post_flow, balances.collect_flow, balances.vm_flow
    out = {
        "im_calls_out": np.maximum(post, 0.0).sum(axis=1),
        "vm_calls_out": np.maximum(-vm, 0.0).sum(axis=1),
        "im_calls_in": np.maximum(collect, 0.0).sum(axis=1),
        "vm_calls_in": np.maximum(vm, 0.0).sum(axis=1),
        "im_returns_out": np.maximum(-collect, 0.0).sum(axis=1),
        "im_returns_in": np.maximum(-post, 0.0).sum(axis=1),
        "net_outflow": post.sum(axis=1) - vm.sum(axis=1),
    }
    out["calls_out"] = out["im_calls_out"] + out["vm_calls_out"]
    out["calls_in"] = out["im_calls_in"] + out["vm_calls_in"]
    return {k: out[k] for k in FLOW_COLUMNS}


def rolling_peaks(flows: pd.DataFrame, days: tuple[int, ...] = PEAK_DAYS) -> pd.DataFrame:
    """Largest sum of each column of ``flows`` over ``days`` consecutive dates (index
    ``days``; over all dates when fewer), and the date ending it (``<column>_date``; NaT
    when no sum is positive). The first date, which opens the balances, is left out."""
    later = flows.iloc[1:]
    rows = {}
    for d in days:
        row: dict[str, object] = {}
        for col in flows.columns:  # whole runs only (net flows can be negative)
            sums = later[col].rolling(d, min_periods=min(d, max(len(later), 1))).sum()
            best = float(sums.max()) if len(sums) else 0.0
            row[col] = best
            row[f"{col}_date"] = sums.idxmax() if len(sums) and best > 0 else pd.NaT
        rows[d] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "days"
    return out
