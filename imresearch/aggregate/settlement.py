"""Collateral balances carried from date to date: IM collected, IM posted and VM per netting set.

On each date a netting set has three targets: the IM to collect and the IM to post after the
allocated threshold (``required_collect``, ``required_post`` >= 0) and the variation margin,
its mark-to-market (VM threshold zero: a positive MtM is VM we hold). The balances move towards
them by transfers:

* a transfer that grows a balance is a *delivery*, rounded up to the terms' rounding; one
  that shrinks it is a *return*, rounded down (the ISDA credit support convention); the MTA
  is tested on the amounts before rounding;
* with the MTA combined (the regulations' single MTA for IM and VM), each party transfers
  everything it owes on the netting set (IM it delivers or returns, and VM it pays) once the
  sum reaches the MTA; with the MTA separate, each balance moves once its own transfer
  reaches the MTA. Below the MTA the balance is carried unchanged.

The first date opens the balances as on a date with no prior balance
(:func:`~imresearch.aggregate.terms.exchanged`: IM only, VM at the MtM); transfers are
counted from the second date. Arrays are (n_dates, n_netting_sets).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imresearch.aggregate.terms import exchanged, round_transfer

__all__ = ["Balances", "settle"]


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


def _transfer(balance: np.ndarray, target: np.ndarray, rounding: np.ndarray) -> np.ndarray:
    """Signed transfer moving ``balance`` to ``target``, rounded (deliveries up, returns
    down by magnitude)."""
    d = target - balance
    delivery = np.abs(target) > np.abs(balance)
    return np.sign(d) * round_transfer(np.abs(d), delivery, rounding)


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
            flows.append(np.where(moves, _transfer(held, target, rounding), 0.0))
        hc, hp, hv = hc + flows[0], hp + flows[1], hv + flows[2]
        out["collected"][t], out["posted"][t], out["vm"][t] = hc, hp, hv
        out["collect_flow"][t], out["post_flow"][t], out["vm_flow"][t] = flows
    return Balances(**out)
