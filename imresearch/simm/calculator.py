"""ISDA SIMM initial margin from CRIF sensitivities.

The public function :func:`simm` validates the CRIF (:func:`~imresearch.simm.crif.read_crif`),
nets it, and computes, for every netting set at once:

* delta, vega, curvature and base-correlation margins of the six risk classes, with
  concentration risk factors, the intra-bucket correlations (with the ``f_kl`` / ``g_bc``
  concentration adjustments), inter-bucket aggregation and the residual buckets;
* the curvature ``lambda(theta)`` adjustment and the ``HVR_IR ** -2`` interest-rate scaling;
* product-class margins ``sqrt(sum psi_rs K_r K_s)`` and their sum;
* add-ons: product-class multipliers, notional factors and fixed amounts.

Everything is vectorised over risk factors with group-wise numpy / pandas reductions: a netted
CRIF of many portfolios is processed in one pass (``group_by="PortfolioID"``). Every weight,
correlation and threshold comes from :func:`~imresearch.simm.parameters.load_parameters`.

Sums of pairwise terms ``sum_{k != l} rho f_kl x_k x_l`` with the concentration ratio
``f_kl = min(CR_k, CR_l) / max(CR_k, CR_l)`` are computed without forming pairs: after sorting a
group by ``CR``, ``f_kl x_k x_l = (x_k CR_k)(x_l / CR_l)`` for ``k`` before ``l``, so the sum is a
running (cumulative) sum — O(n log n) instead of O(n^2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from imresearch._typing import Float64Array1D, Float64Array2D, Int64Array
from imresearch.errors import InputError, check_choice
from imresearch.simm.crif import PRODUCT_CLASSES, SENSITIVITY_RISK_TYPES, read_crif
from imresearch.simm.parameters import (
    DEFAULT_VERSION,
    RISK_CLASSES,
    THRESHOLD_UNIT,
    SimmParameters,
    load_parameters,
)

__all__ = ["MARGIN_TYPES", "SimmResult", "WorstOfResult", "simm", "simm_worst_of"]

Side = Literal["call", "post"]
MARGIN_TYPES: tuple[str, ...] = ("Delta", "Vega", "Curvature", "BaseCorr")
"""Margin types of a risk class, in breakdown order."""
ADDITIONAL_IM = "AdditionalIM"
ALL = "All"
BREAKDOWN_COLUMNS = ("ProductClass", "RiskClass", "MarginType", "Bucket", "InitialMargin")


# --------------------------------------------------------------------------------------------
# group-wise numeric kernels
# --------------------------------------------------------------------------------------------


def _bincount(codes: Int64Array, values: Float64Array1D, n: int) -> Float64Array1D:
    return np.bincount(codes, weights=values, minlength=n).astype(np.float64)


def _pair_sum(
    groups: Int64Array,
    x: Float64Array1D,
    n_groups: int,
    cr: Float64Array1D | None = None,
    cls: Int64Array | None = None,
    corr: Float64Array2D | None = None,
) -> Float64Array1D:
    """Per group, ``sum_{k != l} corr[cls_k, cls_l] * f_kl * x_k * x_l``.

    Parameters
    ----------
    groups : ndarray of int64, shape (n,)
        Group of each element (0 .. n_groups - 1).
    x : ndarray of shape (n,)
        Values (weighted sensitivities).
    n_groups : int
        Number of groups.
    cr : ndarray of shape (n,), optional
        Concentration factors (>= 1); ``f_kl = min(cr_k, cr_l) / max(cr_k, cr_l)``. All ones if
        omitted (``f_kl = 1``).
    cls, corr : optional
        Class of each element and a symmetric class-by-class correlation matrix; correlation 1
        if omitted.

    Returns
    -------
    ndarray of shape (n_groups,)
    """
    if x.size == 0:
        return np.zeros(n_groups)
    if cr is None:
        cr = np.ones_like(x)
    order = np.lexsort((cr, groups))
    g, w, c = groups[order], x[order], cr[order]
    a, b = w * c, w / c
    gs = pd.Series(g)

    def excl_cumsum(v: Float64Array1D) -> Float64Array1D:
        return pd.Series(v).groupby(gs).cumsum().to_numpy() - v

    if cls is None or corr is None:
        acc = b * excl_cumsum(a)
    else:
        k = cls[order]
        acc = np.zeros_like(w)
        for ci in range(corr.shape[0]):
            acc += b * corr[ci, k] * excl_cumsum(np.where(k == ci, a, 0.0))
    return 2.0 * _bincount(g, acc, n_groups)


def _quad_rows(x: Float64Array2D, mat: Float64Array2D) -> Float64Array1D:
    """Row-wise quadratic forms ``x_i^T mat x_i``."""
    return np.einsum("ni,ij,nj->n", x, mat, x)


def _codes(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[Int64Array, pd.DataFrame]:
    """Integer code of each row's combination of ``columns`` (numbered in order of first
    appearance) and the table of combinations, one row per code."""
    combined: np.ndarray | None = None
    for col in columns:
        c, uniques = pd.factorize(frame[col].to_numpy(), use_na_sentinel=False)
        if combined is None:
            combined = c.astype(np.int64)
        else:
            combined, _ = pd.factorize(combined * len(uniques) + c)
    if combined is None or combined.size == 0:
        return np.zeros(0, dtype=np.int64), pd.DataFrame({c: [] for c in columns})
    codes = combined.astype(np.int64)
    first = _first(codes, int(codes.max()) + 1)
    keys = pd.DataFrame({col: frame[col].to_numpy()[first] for col in columns})
    return codes, keys


def _concentration(
    total: Float64Array1D, threshold: Float64Array1D, enabled: bool
) -> Float64Array1D:
    """``max(1, sqrt(|total| / threshold))`` (ones when concentration is switched off)."""
    if not enabled:
        return np.ones_like(total)
    return np.maximum(1.0, np.sqrt(np.abs(total) / threshold))


def _clip(total: Float64Array1D, k: Float64Array1D) -> Float64Array1D:
    return np.maximum(np.minimum(total, k), -k)


# --------------------------------------------------------------------------------------------
# containers of bucket-level and risk-class-level results
# --------------------------------------------------------------------------------------------


@dataclass
class _Margins:
    """Accumulates bucket-level and risk-class-level margins per node (group x product class)."""

    n_nodes: int
    bucket_rows: list[pd.DataFrame] = field(default_factory=list)
    margin: dict[tuple[str, str], Float64Array1D] = field(default_factory=dict)

    def add(
        self,
        risk_class: str,
        margin_type: str,
        node_margin: Float64Array1D,
        bucket_node: Int64Array | None = None,
        bucket_name: Sequence[str] | np.ndarray | None = None,
        bucket_k: Float64Array1D | None = None,
    ) -> None:
        key = (risk_class, margin_type)
        prev = self.margin.get(key)
        self.margin[key] = node_margin if prev is None else prev + node_margin
        if bucket_node is not None and bucket_k is not None and len(bucket_k):
            self.bucket_rows.append(
                pd.DataFrame(
                    {
                        "node": bucket_node,
                        "RiskClass": risk_class,
                        "MarginType": margin_type,
                        "Bucket": np.asarray(bucket_name, dtype=object),
                        "InitialMargin": bucket_k,
                    }
                )
            )


# --------------------------------------------------------------------------------------------
# risk classes
# --------------------------------------------------------------------------------------------


def _interest_rate(d: pd.DataFrame, p: SimmParameters, n: int, out: _Margins, fx: float) -> None:
    """Interest-rate delta, vega and curvature; buckets are currencies."""
    ir = p.interest_rate
    m = p.methodology
    rt = d["RiskType"].to_numpy()
    tenor_idx = {t: i for i, t in enumerate(ir.tenors)}
    n_t = len(ir.tenors)
    unit = THRESHOLD_UNIT / fx

    def bucket_codes(rows: pd.DataFrame) -> tuple[Int64Array, Int64Array, np.ndarray]:
        codes, keys = _codes(rows, ["node", "Qualifier"])
        return codes, keys["node"].to_numpy(np.int64), keys["Qualifier"].to_numpy(object)

    # ---- delta
    rows = d[np.isin(rt, ["Risk_IRCurve", "Risk_Inflation", "Risk_XCcyBasis"])]
    if len(rows):
        b, b_node, b_ccy = bucket_codes(rows)
        nb = len(b_node)
        kind = rows["RiskType"].to_numpy()
        amt = rows["amount"].to_numpy()
        curve = kind == "Risk_IRCurve"
        infl = kind == "Risk_Inflation"
        xccy = kind == "Risk_XCcyBasis"
        group = np.array([ir.weight_group(c) for c in b_ccy], dtype=object)[b]
        t = rows["Label1"].map(tenor_idx).to_numpy(dtype=np.float64, na_value=np.nan)
        rw = np.zeros(len(rows))
        for g, weights in ir.delta_weight.items():
            sel = curve & (group == g)
            rw[sel] = weights[t[sel].astype(np.int64)]
        rw[infl] = ir.inflation_weight
        rw[xccy] = ir.xccy_basis_weight
        thr = np.array([ir.delta_threshold[ir.concentration_group(c)] for c in b_ccy]) * unit
        cr_b = _concentration(_bincount(b, np.where(xccy, 0.0, amt), nb), thr, m.concentration)
        ws = rw * amt * np.where(xccy, 1.0, cr_b[b])
        # curve part: per (currency, sub-curve) tenor vectors
        crows = rows[curve]
        sc, sc_keys = _codes(crows.assign(b=b[curve]), ["b", "Label2"])
        sc_b = sc_keys["b"].to_numpy(np.int64)
        ti = t[curve].astype(np.int64)
        vec_sc = np.zeros((len(sc_b), n_t))
        np.add.at(vec_sc, (sc, ti), ws[curve])
        vec_b = np.zeros((nb, n_t))
        np.add.at(vec_b, sc_b, vec_sc)
        phi = ir.sub_curve_correlation
        rho = ir.tenor_correlation
        k2 = phi * _quad_rows(vec_b, rho) + (1 - phi) * _bincount(
            sc_b, _quad_rows(vec_sc, rho), nb
        )
        c_sum = vec_b.sum(axis=1)
        inf_sum = _bincount(b, np.where(infl, ws, 0.0), nb)
        x_sum = _bincount(b, np.where(xccy, ws, 0.0), nb)
        k2 += inf_sum**2 + x_sum**2
        k2 += 2 * ir.inflation_correlation * inf_sum * c_sum
        k2 += 2 * ir.xccy_basis_correlation * x_sum * (c_sum + inf_sum)
        k = np.sqrt(np.maximum(k2, 0.0))
        s = _clip(c_sum + inf_sum + x_sum, k)
        cross = ir.currency_correlation * _pair_sum(b_node, s, n, cr_b)
        total = np.sqrt(np.maximum(_bincount(b_node, k**2, n) + cross, 0.0))
        out.add("InterestRate", "Delta", total, b_node, b_ccy, k)

    # ---- vega and curvature
    rows = d[np.isin(rt, ["Risk_IRVol", "Risk_InflationVol"])]
    if len(rows):
        b, b_node, b_ccy = bucket_codes(rows)
        nb = len(b_node)
        amt = rows["amount"].to_numpy()
        infl = rows["RiskType"].to_numpy() == "Risk_InflationVol"
        ti = rows["Label1"].map(tenor_idx).to_numpy(dtype=np.int64)
        rho = ir.tenor_correlation
        # vega (the IR vega amount is already a volatility-weighted vega: no sigma, no HVR)
        vr = amt
        thr = np.array([ir.vega_threshold[ir.concentration_group(c)] for c in b_ccy]) * unit
        vcr = _concentration(_bincount(b, vr, nb), thr, m.concentration)
        ws = ir.vega_weight * vr * vcr[b]
        k, s = _ir_vol_bucket(b, nb, ti, ws, infl, rho, ir.inflation_correlation, n_t)
        cross = ir.currency_correlation * _pair_sum(b_node, s, n, vcr)
        total = np.sqrt(np.maximum(_bincount(b_node, k**2, n) + cross, 0.0))
        out.add("InterestRate", "Vega", total, b_node, b_ccy, k)
        # curvature
        sf = rows["Label1"].map(m.curvature_scaling).to_numpy(dtype=np.float64)
        cvr = sf * amt
        k, s = _ir_vol_bucket(
            b, nb, ti, cvr, infl, rho**2, ir.inflation_correlation**2, n_t
        )
        # |CVR| per risk factor: (currency, tenor) for IR vol, currency for inflation vol
        fac = np.zeros((nb, n_t + 1))
        np.add.at(fac, (b, np.where(infl, n_t, ti)), cvr)
        abs_node = _bincount(b_node, np.abs(fac).sum(axis=1), n)
        sum_node = _bincount(b_node, fac.sum(axis=1), n)
        cross = ir.currency_correlation**2 * _pair_sum(b_node, s, n)
        k_node = np.sqrt(np.maximum(_bincount(b_node, k**2, n) + cross, 0.0))
        scale = ir.hvr**m.ir_curvature_hvr_power
        total = _curvature_margin(sum_node, abs_node, k_node, m.curvature_lambda_base) * scale
        out.add("InterestRate", "Curvature", total, b_node, b_ccy, k * scale)


def _ir_vol_bucket(
    b: Int64Array,
    nb: int,
    ti: Int64Array,
    x: Float64Array1D,
    infl: np.ndarray,
    rho: Float64Array2D,
    rho_inf: float,
    n_t: int,
) -> tuple[Float64Array1D, Float64Array1D]:
    """Bucket K and sum of IR vol (tenor vector) and inflation vol (one factor) values."""
    vec = np.zeros((nb, n_t))
    np.add.at(vec, (b[~infl], ti[~infl]), x[~infl])
    inf_sum = _bincount(b, np.where(infl, x, 0.0), nb)
    c_sum = vec.sum(axis=1)
    k2 = _quad_rows(vec, rho) + inf_sum**2 + 2 * rho_inf * inf_sum * c_sum
    k = np.sqrt(np.maximum(k2, 0.0))
    return k, _clip(c_sum + inf_sum, k)


def _curvature_margin(
    total: Float64Array1D, abs_total: Float64Array1D, k: Float64Array1D, lambda_base: float
) -> Float64Array1D:
    """``max(sum CVR + lambda(theta) * K, 0)`` with ``theta = min(sum CVR / sum |CVR|, 0)``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = np.where(abs_total > 0, np.minimum(total / abs_total, 0.0), 0.0)
    lam = lambda_base * (1.0 + theta) - theta
    return np.maximum(total + lam * k, 0.0)


def _bucketed_class(
    d: pd.DataFrame,
    p: SimmParameters,
    n: int,
    out: _Margins,
    fx: float,
    risk_class: str,
) -> None:
    """Credit (qualifying / non-qualifying), equity and commodity: delta, vega, curvature."""
    m = p.methodology
    unit = THRESHOLD_UNIT / fx
    credit = risk_class.startswith("Credit")
    if risk_class == "CreditQualifying":
        c = p.credit_qualifying
        delta_types, vol_types = ["Risk_CreditQ"], ["Risk_CreditVol"]
    elif risk_class == "CreditNonQualifying":
        c = p.credit_non_qualifying
        delta_types, vol_types = ["Risk_CreditNonQ"], ["Risk_CreditVolNonQ"]
    elif risk_class == "Equity":
        c = p.equity
        delta_types, vol_types = ["Risk_Equity"], ["Risk_EquityVol"]
    else:
        c = p.commodity
        delta_types, vol_types = ["Risk_Commodity"], ["Risk_CommodityVol"]
    same_key = (
        m.credit_non_qualifying_same_key if risk_class == "CreditNonQualifying" else "Qualifier"
    )
    bucket_pos = {bk: i for i, bk in enumerate(c.bucket_order)}
    nbo = len(c.bucket_order)
    gamma = np.asarray(c.bucket_correlation)
    off = gamma - np.eye(nbo)

    def rho_of(buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(same-qualifier, different-qualifier) correlation of each bucket."""
        if credit:
            res = buckets == "Residual"
            same = np.where(res, c.residual_same_issuer_correlation, c.same_issuer_correlation)
            diff = np.where(
                res, c.residual_different_issuer_correlation, c.different_issuer_correlation
            )
            return same, diff
        rho = np.array([c.intra_correlation[bk] for bk in buckets])
        return np.ones_like(rho), rho

    def aggregate(
        factor_node: Int64Array,
        factor_bucket: np.ndarray,
        factor_qual: np.ndarray,
        x: Float64Array1D,
        cr: Float64Array1D | None,
        squared: bool,
    ) -> tuple[Int64Array, np.ndarray, Float64Array1D, Float64Array1D, Float64Array1D]:
        """Bucket K over risk factors; returns bucket node/name, K, sum x, residual flag."""
        frame = pd.DataFrame({"node": factor_node, "Bucket": factor_bucket})
        b, keys = _codes(frame, ["node", "Bucket"])
        nb = len(keys)
        bnames = keys["Bucket"].to_numpy(object)
        same, diff = rho_of(bnames)
        if squared:
            same, diff = same**2, diff**2
        sum_sq = _bincount(b, x**2, nb)
        k2 = sum_sq + diff * _pair_sum(b, x, nb, cr)
        if credit:  # pairs of the same name get the same-name correlation
            qb, _ = _codes(pd.DataFrame({"b": b, "q": factor_qual}), ["b", "q"])
            within = _pair_sum(qb, x, int(qb.max()) + 1, cr)
            within_b = _bincount(_first_of(b, qb), within, nb)
            k2 += (same - diff) * within_b
        k = np.sqrt(np.maximum(k2, 0.0))
        return keys["node"].to_numpy(np.int64), bnames, k, _bincount(b, x, nb), sum_sq

    def across(
        b_node: Int64Array, bnames: np.ndarray, k: Float64Array1D, s: Float64Array1D,
        squared: bool,
    ) -> tuple[Float64Array1D, Float64Array1D]:
        """(non-residual aggregate sqrt(sum K^2 + gamma S S), residual K) per node."""
        res = bnames == "Residual"
        pos = np.array([bucket_pos.get(bk, 0) for bk in bnames], dtype=np.int64)
        dense = np.zeros((n, nbo))
        np.add.at(dense, (b_node[~res], pos[~res]), s[~res])
        g = off**2 if squared else off
        inner = _bincount(b_node[~res], k[~res] ** 2, n) + _quad_rows(dense, g)
        return np.sqrt(np.maximum(inner, 0.0)), _bincount(b_node[res], k[res], n)

    rt = d["RiskType"].to_numpy()

    # ---- delta
    rows = d[np.isin(rt, delta_types)]
    if len(rows):
        fkeys = ["node", "Bucket", "Qualifier"] + (["Label1", "Label2"] if credit else [])
        f, fk = _codes(rows, fkeys)
        amt = _bincount(f, rows["amount"].to_numpy(), len(fk))
        node = fk["node"].to_numpy(np.int64)
        bucket = fk["Bucket"].to_numpy(object)
        qual = fk[same_key].to_numpy(object)
        rw = np.array([c.delta_weight[bk] for bk in bucket])
        thr = np.array([c.delta_threshold[bk] for bk in bucket]) * unit
        q, qk = _codes(fk, ["node", "Bucket", "Qualifier"])
        cr = _concentration(_bincount(q, amt, len(qk)), thr[_first(q, len(qk))],
                            m.concentration)[q]
        ws = rw * amt * cr
        b_node, bnames, k, sums, _ = aggregate(node, bucket, qual, ws, cr, squared=False)
        nonres, res = across(b_node, bnames, k, _clip(sums, k), squared=False)
        out.add(risk_class, "Delta", nonres + res, b_node, bnames, k)

    # ---- vega and curvature
    rows = d[np.isin(rt, vol_types)]
    if len(rows):
        bucket_r = rows["Bucket"].to_numpy(object)
        amt_r = rows["amount"].to_numpy()
        if credit:
            sigma = np.ones(len(rows))
            hvr = 1.0
        else:
            sigma = m.sigma_multiplier * np.array([c.delta_weight[bk] for bk in bucket_r])
            hvr = c.hvr
        sf = rows["Label1"].map(m.curvature_scaling).to_numpy(dtype=np.float64)
        # risk factors: credit (qualifier, tenor, label2); equity / commodity: qualifier
        fkeys = ["node", "Bucket", "Qualifier"] + (["Label1", "Label2"] if credit else [])
        f, fk = _codes(rows, fkeys)
        nf = len(fk)
        vr = _bincount(f, hvr * sigma * amt_r, nf)
        cvr = _bincount(f, sf * sigma * amt_r, nf)
        zero = np.isin(fk["Bucket"].to_numpy(object),
                       list(m.curvature_zero_buckets.get(risk_class, ())))
        cvr = np.where(zero, 0.0, cvr)
        node = fk["node"].to_numpy(np.int64)
        bucket = fk["Bucket"].to_numpy(object)
        qual = fk[same_key].to_numpy(object)
        if credit:
            vrw = np.full(nf, c.vega_weight)
            thr = np.full(nf, c.vega_threshold) * unit
        else:
            vrw = np.array([c.vega_weight[bk] for bk in bucket])
            thr = np.array([c.vega_threshold[bk] for bk in bucket]) * unit
        q, qk = _codes(fk, ["node", "Bucket", "Qualifier"])
        vcr = _concentration(_bincount(q, vr, len(qk)), thr[_first(q, len(qk))],
                             m.concentration)[q]
        ws = vrw * vr * vcr
        b_node, bnames, k, sums, _ = aggregate(node, bucket, qual, ws, vcr, squared=False)
        nonres, res = across(b_node, bnames, k, _clip(sums, k), squared=False)
        out.add(risk_class, "Vega", nonres + res, b_node, bnames, k)
        # curvature
        b_node, bnames, k, sums, _ = aggregate(node, bucket, qual, cvr, None, squared=True)
        nonres_k, res_k = across(b_node, bnames, k, _clip(sums, k), squared=True)
        is_res = (bucket == "Residual")
        tot = _bincount(node[~is_res], cvr[~is_res], n)
        absd = _bincount(node[~is_res], np.abs(cvr[~is_res]), n)
        tot_r = _bincount(node[is_res], cvr[is_res], n)
        abs_r = _bincount(node[is_res], np.abs(cvr[is_res]), n)
        lb = m.curvature_lambda_base
        total = _curvature_margin(tot, absd, nonres_k, lb) + _curvature_margin(
            tot_r, abs_r, res_k, lb
        )
        out.add(risk_class, "Curvature", total, b_node, bnames, k)


def _first(codes: Int64Array, n: int) -> Int64Array:
    """Index of the first element of each code."""
    first = np.full(n, -1, dtype=np.int64)
    idx = np.arange(codes.size)[::-1]
    first[codes[::-1]] = idx
    return first


def _first_of(outer: Int64Array, inner: Int64Array) -> Int64Array:
    """For nested codes, the outer code of each inner code."""
    result = np.zeros(int(inner.max()) + 1 if inner.size else 0, dtype=np.int64)
    result[inner] = outer
    return result


def _base_correlation(d: pd.DataFrame, p: SimmParameters, n: int, out: _Margins) -> None:
    rows = d[d["RiskType"].to_numpy() == "Risk_BaseCorr"]
    if not len(rows):
        return
    c = p.credit_qualifying
    f, fk = _codes(rows, ["node", "Qualifier"])
    ws = c.base_correlation_weight * _bincount(f, rows["amount"].to_numpy(), len(fk))
    node = fk["node"].to_numpy(np.int64)
    sq = _bincount(node, ws**2, n)
    total = _bincount(node, ws, n)
    k = np.sqrt(np.maximum(sq + c.base_correlation_correlation * (total**2 - sq), 0.0))
    present = np.unique(node)
    out.add("CreditQualifying", "BaseCorr", k, present, [""] * len(present), k[present])


def _fx(
    d: pd.DataFrame, p: SimmParameters, n: int, out: _Margins, fx: float, calc_ccy: str
) -> None:
    c = p.fx
    m = p.methodology
    unit = THRESHOLD_UNIT / fx
    rt = d["RiskType"].to_numpy()
    calc_group = c.vol_group_index(calc_ccy)

    rows = d[(rt == "Risk_FX") & (d["Qualifier"].to_numpy() != calc_ccy)]
    if len(rows):
        f, fk = _codes(rows, ["node", "Qualifier"])
        amt = _bincount(f, rows["amount"].to_numpy(), len(fk))
        node = fk["node"].to_numpy(np.int64)
        ccy = fk["Qualifier"].to_numpy(object)
        group = np.array([c.vol_group_index(x) for x in ccy], dtype=np.int64)
        rw = c.delta_weight[calc_group, group]
        thr = np.array([c.delta_threshold[c.concentration_group(x)] for x in ccy]) * unit
        cr = _concentration(amt, thr, m.concentration)
        ws = rw * amt * cr
        corr = np.asarray(c.correlation[c.vol_group_order[calc_group]])
        k2 = _bincount(node, ws**2, n) + _pair_sum(node, ws, n, cr, group, corr)
        k = np.sqrt(np.maximum(k2, 0.0))
        present = np.unique(node)
        out.add("FX", "Delta", k, present, [""] * len(present), k[present])

    rows = d[rt == "Risk_FXVol"]
    if len(rows):
        pair = rows["Qualifier"].to_numpy(object)
        c1 = np.array([x[:3] for x in pair], dtype=object)
        c2 = np.array([x[3:6] for x in pair], dtype=object)
        key = np.where(c1 <= c2, c1 + c2, c2 + c1)
        g1 = np.array([c.vol_group_index(x) for x in c1], dtype=np.int64)
        g2 = np.array([c.vol_group_index(x) for x in c2], dtype=np.int64)
        sigma = m.sigma_multiplier * c.delta_weight[g1, g2]
        amt = rows["amount"].to_numpy()
        sf = rows["Label1"].map(m.curvature_scaling).to_numpy(dtype=np.float64)
        f, fk = _codes(pd.DataFrame({"node": rows["node"].to_numpy(), "pair": key}),
                       ["node", "pair"])
        nf = len(fk)
        vr = _bincount(f, c.hvr * sigma * amt, nf)
        cvr = _bincount(f, sf * sigma * amt, nf)
        node = fk["node"].to_numpy(np.int64)
        pairs = fk["pair"].to_numpy(object)
        thr = np.array([c.vega_threshold[c.pair_threshold_key(x)] for x in pairs]) * unit
        vcr = _concentration(vr, thr, m.concentration)
        ws = c.vega_weight * vr * vcr
        rho = c.vega_correlation
        k = np.sqrt(np.maximum(_bincount(node, ws**2, n) + rho * _pair_sum(node, ws, n, vcr),
                               0.0))
        present = np.unique(node)
        out.add("FX", "Vega", k, present, [""] * len(present), k[present])
        kc = np.sqrt(np.maximum(_bincount(node, cvr**2, n) + rho**2 * _pair_sum(node, cvr, n),
                                0.0))
        total = _curvature_margin(
            _bincount(node, cvr, n), _bincount(node, np.abs(cvr), n), kc,
            m.curvature_lambda_base,
        )
        out.add("FX", "Curvature", total, present, [""] * len(present), kc[present])


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimmResult:
    """Result of :func:`simm`.

    Attributes
    ----------
    total : float
        Initial margin in the calculation currency, summed over the groups.
    totals : Series
        Initial margin per group (index: the ``group_by`` values; one row ``""`` if ungrouped).
    breakdown : DataFrame
        The margin tree, one row per node, columns ``[*group_by], ProductClass, RiskClass,
        MarginType, Bucket, InitialMargin``. ``"All"`` marks an aggregate level: bucket rows
        hold the bucket margin ``K_b``; ``(pc, rc, mt, "All")`` the margin of one margin type;
        ``(pc, rc, "All", "All")`` the risk-class margin; ``(pc, "All", "All", "All")`` the
        product-class margin before add-ons; ``(pc, "All", "AdditionalIM", "All")`` the
        product-class multiplier add-on; ``("All", "All", "AdditionalIM", "All")`` the
        notional-factor and fixed add-ons; ``("All", "All", "All", "All")`` the total.
    version, mpor_days, side, calculation_currency
        The settings used.
    """

    total: float
    totals: pd.Series
    breakdown: pd.DataFrame
    version: str
    mpor_days: int
    side: str
    calculation_currency: str
    group_by: tuple[str, ...] = ()

    def _select(self, **conditions: str) -> pd.DataFrame:
        b = self.breakdown
        mask = np.ones(len(b), dtype=bool)
        for col, val in conditions.items():
            mask &= (b[col] == val).to_numpy()
        return b[mask]

    def by_margin_type(self) -> pd.Series:
        """SIMM of each margin type alone (``sum_pc sqrt(sum psi_rs M_r M_s)``) and add-ons.

        This is the margin-type view of ISDA's unit tests and ORE's reports: the delta entry is
        the SIMM computed from the delta margins only, aggregated across risk classes with psi.
        """
        b = self.breakdown
        rows = b[(b["RiskClass"] == ALL) & (b["ProductClass"] != ALL)]
        out = rows.groupby("MarginType")["InitialMargin"].sum()
        out = out.reindex([*MARGIN_TYPES, ADDITIONAL_IM], fill_value=0.0)
        out[ADDITIONAL_IM] += self._select(ProductClass=ALL, MarginType=ADDITIONAL_IM)[
            "InitialMargin"].sum()
        return out

    def by_risk_class(self) -> pd.Series:
        """Risk-class margin summed over product classes (before add-ons)."""
        rows = self._select(MarginType=ALL, Bucket=ALL)
        rows = rows[rows["RiskClass"] != ALL]
        return rows.groupby("RiskClass")["InitialMargin"].sum().reindex(
            list(RISK_CLASSES), fill_value=0.0
        )

    def by_product_class(self) -> pd.Series:
        """Product-class margin including its product-class-multiplier add-on."""
        rows = self.breakdown[
            (self.breakdown["RiskClass"] == ALL)
            & (self.breakdown["ProductClass"] != ALL)
            & (self.breakdown["MarginType"].isin([ALL, ADDITIONAL_IM]))
        ]
        return rows.groupby("ProductClass")["InitialMargin"].sum().reindex(
            list(PRODUCT_CLASSES), fill_value=0.0
        )


def simm(
    crif: str | os.PathLike[str] | pd.DataFrame,
    version: str = DEFAULT_VERSION,
    mpor_days: int = 10,
    side: Side = "call",
    calculation_currency: str = "USD",
    *,
    fx_rates: Mapping[str, float] | None = None,
    group_by: str | Sequence[str] | None = None,
) -> SimmResult:
    """ISDA SIMM initial margin of a CRIF.

    Parameters
    ----------
    crif : path-like or DataFrame
        CRIF file or table (see :func:`~imresearch.simm.crif.read_crif`). Rows with
        ``IMModel == "Schedule"`` are ignored. Without ``group_by`` all rows form one netting
        set, whatever their PortfolioID.
    version : str, default "2.8+2512"
        SIMM version (see :data:`~imresearch.simm.parameters.VERSIONS`).
    mpor_days : {10, 1}, default 10
        Margin period of risk.
    side : {"call", "post"}, default "call"
        ``"call"``: margin collected (amounts as given); ``"post"``: margin posted (sensitivities
        negated).
    calculation_currency : str, default "USD"
        Currency of the result. FX delta to this currency is ignored, its FX volatility group
        selects the FX weights and correlations, and thresholds and amounts are converted with
        ``fx_rates``.
    fx_rates : Mapping[str, float], optional
        USD value of one unit of each currency. Needed for a calculation currency other than USD
        and to fill blank ``AmountUSD`` values.
    group_by : str or sequence of str, optional
        CRIF column(s), e.g. ``"PortfolioID"``, whose values are separate netting sets.

    Returns
    -------
    SimmResult
        ``.total`` (float), ``.totals`` per group and ``.breakdown`` (DataFrame).

    Raises
    ------
    InputError
        For invalid CRIF content or arguments (unknown version, side, MPOR, a missing FX rate).
    """
    side_l = check_choice("side", str(side).lower(), ("call", "post"))
    params = load_parameters(version, mpor_days)
    calc = str(calculation_currency).upper()
    if len(calc) != 3 or not calc.isalpha():
        raise InputError(f"calculation_currency must be an ISO currency code; got "
                         f"{calculation_currency!r}")
    if calc == "USD":
        fx = 1.0
    else:
        rates = {str(k).upper(): float(v) for k, v in (fx_rates or {}).items()}
        fx = rates.get(calc, float("nan"))
        if not (np.isfinite(fx) and fx > 0):
            raise InputError(
                f"calculation_currency {calc!r} needs fx_rates[{calc!r}] (USD per unit)"
            )
    group_cols = (group_by,) if isinstance(group_by, str) else tuple(group_by or ())
    table = read_crif(crif, fx_rates=fx_rates)
    for col in group_cols:
        if col not in table.columns:
            raise InputError(f"group_by column {col!r} is not a CRIF column; use one of "
                             f"{', '.join(table.columns)}")
    table = table[table["IMModel"] != "Schedule"]
    # amounts in the calculation currency; the post side negates sensitivities
    amount = table["AmountUSD"].to_numpy() / fx
    own = (table["AmountCurrency"] == calc).to_numpy()
    amount = np.where(own & (calc != "USD"), table["Amount"].to_numpy(), amount)
    is_sens = table["RiskType"].isin(list(SENSITIVITY_RISK_TYPES)).to_numpy()
    if side_l == "post":
        amount = np.where(is_sens, -amount, amount)
    table = table.assign(amount=amount)
    # groups
    if group_cols:
        gcodes, gkeys = _codes(table, list(group_cols))
    else:
        gcodes = np.zeros(len(table), dtype=np.int64)
        gkeys = pd.DataFrame(index=[0])
    n_groups = max(len(gkeys), 1)
    table = table.assign(group=gcodes)
    sens = table[is_sens]
    node, node_keys = _codes(sens, ["group", "ProductClass"])
    n_nodes = len(node_keys)
    sens = sens.assign(node=node)
    out = _Margins(n_nodes)
    if n_nodes:
        _interest_rate(sens, params, n_nodes, out, fx)
        for rc in ("CreditQualifying", "CreditNonQualifying", "Equity", "Commodity"):
            _bucketed_class(sens, params, n_nodes, out, fx, rc)
        _base_correlation(sens, params, n_nodes, out)
        _fx(sens, params, n_nodes, out, fx, calc)
    return _assemble(table[~is_sens], params, out, node_keys, gkeys, group_cols, n_groups,
                     fx, side_l, calc)


def _assemble(
    addons: pd.DataFrame,
    params: SimmParameters,
    out: _Margins,
    node_keys: pd.DataFrame,
    gkeys: pd.DataFrame,
    group_cols: tuple[str, ...],
    n_groups: int,
    fx: float,
    side: str,
    calc: str,
) -> SimmResult:
    n = len(node_keys)
    rc_idx = {rc: i for i, rc in enumerate(RISK_CLASSES)}
    im = np.zeros((n, len(RISK_CLASSES)))
    for (rc, _mt), values in out.margin.items():
        im[:, rc_idx[rc]] += values
    product = np.sqrt(np.maximum(_quad_rows(im, params.risk_class_correlation), 0.0))
    node_group = node_keys["group"].to_numpy(np.int64) if n else np.zeros(0, np.int64)
    node_pc = node_keys["ProductClass"].to_numpy(object) if n else np.zeros(0, object)

    # add-ons
    rt = addons["RiskType"].to_numpy()
    grp = addons["group"].to_numpy(np.int64)
    qual = addons["Qualifier"].to_numpy(object)
    amt = addons["amount"].to_numpy()
    mult = rt == "Param_ProductClassMultiplier"
    mult_tab = (
        pd.DataFrame({"group": grp[mult], "ProductClass": qual[mult], "m": amt[mult]})
        .groupby(["group", "ProductClass"])["m"].max()
    )
    idx = pd.MultiIndex.from_arrays([node_group, node_pc])
    m_node = mult_tab.reindex(idx).to_numpy(dtype=np.float64, na_value=1.0)
    mult_addon = product * (m_node - 1.0)
    factor = rt == "Param_AddOnNotionalFactor"
    notional = rt == "Notional"
    fac_tab = pd.DataFrame({"g": grp[factor], "q": qual[factor], "f": amt[factor]}).groupby(
        ["g", "q"])["f"].max()
    not_tab = pd.DataFrame({"g": grp[notional], "q": qual[notional], "x": amt[notional]}).groupby(
        ["g", "q"])["x"].sum()
    joined = pd.concat([fac_tab, not_tab], axis=1).dropna()
    percent = 100.0
    notional_addon = np.zeros(n_groups)
    if len(joined):
        np.add.at(notional_addon, joined.index.get_level_values(0).to_numpy(np.int64),
                  joined["f"].to_numpy() * joined["x"].to_numpy() / percent)
    fixed = rt == "Param_AddOnFixedAmount"
    fixed_addon = _bincount(grp[fixed], amt[fixed], n_groups)

    totals = (
        _bincount(node_group, product + mult_addon, n_groups) + notional_addon + fixed_addon
    )

    # breakdown rows
    frames: list[pd.DataFrame] = []
    if out.bucket_rows:
        bk = pd.concat(out.bucket_rows, ignore_index=True)
        bk = bk.assign(
            group=node_group[bk["node"].to_numpy()], ProductClass=node_pc[bk["node"].to_numpy()]
        )
        frames.append(bk.drop(columns="node"))
    for (rc, mt), values in out.margin.items():
        frames.append(pd.DataFrame({"group": node_group, "ProductClass": node_pc,
                                    "RiskClass": rc, "MarginType": mt, "Bucket": ALL,
                                    "InitialMargin": values}))
    for rc in RISK_CLASSES:
        frames.append(pd.DataFrame({"group": node_group, "ProductClass": node_pc,
                                    "RiskClass": rc, "MarginType": ALL, "Bucket": ALL,
                                    "InitialMargin": im[:, rc_idx[rc]]}))
    for mt in MARGIN_TYPES:  # product-class margin of one margin type across risk classes
        by_rc = np.zeros((n, len(RISK_CLASSES)))
        for (rc, mt_), values in out.margin.items():
            if mt_ == mt:
                by_rc[:, rc_idx[rc]] += values
        frames.append(pd.DataFrame({
            "group": node_group, "ProductClass": node_pc, "RiskClass": ALL, "MarginType": mt,
            "Bucket": ALL,
            "InitialMargin": np.sqrt(np.maximum(
                _quad_rows(by_rc, params.risk_class_correlation), 0.0)),
        }))
    frames.append(pd.DataFrame({"group": node_group, "ProductClass": node_pc, "RiskClass": ALL,
                                "MarginType": ALL, "Bucket": ALL, "InitialMargin": product}))
    frames.append(pd.DataFrame({"group": node_group, "ProductClass": node_pc, "RiskClass": ALL,
                                "MarginType": ADDITIONAL_IM, "Bucket": ALL,
                                "InitialMargin": mult_addon}))
    g_all = np.arange(n_groups)
    frames.append(pd.DataFrame({"group": g_all, "ProductClass": ALL, "RiskClass": ALL,
                                "MarginType": ADDITIONAL_IM, "Bucket": ALL,
                                "InitialMargin": notional_addon + fixed_addon}))
    frames.append(pd.DataFrame({"group": g_all, "ProductClass": ALL, "RiskClass": ALL,
                                "MarginType": ALL, "Bucket": ALL, "InitialMargin": totals}))
    breakdown = pd.concat([f for f in frames if len(f)], ignore_index=True)
    # drop empty risk-class / margin-type nodes that carry nothing
    keep = (breakdown["InitialMargin"].to_numpy() != 0) | (breakdown["ProductClass"] == ALL)
    keep |= (breakdown["RiskClass"] == ALL).to_numpy() & (breakdown["MarginType"] == ALL).to_numpy()
    breakdown = breakdown[keep]
    order = {
        "ProductClass": [*PRODUCT_CLASSES, ALL],
        "RiskClass": [*RISK_CLASSES, ALL],
        "MarginType": [*MARGIN_TYPES, ALL, ADDITIONAL_IM],
    }
    sort_keys = {c: pd.Categorical(breakdown[c], categories=v, ordered=True).codes
                 for c, v in order.items()}
    breakdown = breakdown.assign(
        _pc=sort_keys["ProductClass"], _rc=sort_keys["RiskClass"], _mt=sort_keys["MarginType"],
        _bk=(breakdown["Bucket"] == ALL).to_numpy(),
    ).sort_values(["group", "_pc", "_rc", "_mt", "_bk"], kind="stable")
    breakdown = breakdown.drop(columns=["_pc", "_rc", "_mt", "_bk"])
    if group_cols:
        labels = gkeys.iloc[breakdown["group"].to_numpy()].reset_index(drop=True)
        breakdown = pd.concat([labels, breakdown.drop(columns="group").reset_index(drop=True)],
                              axis=1)
        index = pd.MultiIndex.from_frame(gkeys) if len(group_cols) > 1 else pd.Index(
            gkeys[group_cols[0]], name=group_cols[0])
    else:
        breakdown = breakdown.drop(columns="group").reset_index(drop=True)
        index = pd.Index([""], name="group")
    breakdown["Bucket"] = breakdown["Bucket"].astype(str)
    breakdown = breakdown[[*group_cols, *BREAKDOWN_COLUMNS]]
    return SimmResult(
        total=float(totals.sum()),
        totals=pd.Series(totals, index=index, name="InitialMargin"),
        breakdown=breakdown,
        version=params.version,
        mpor_days=params.mpor_days,
        side=side,
        calculation_currency=calc,
        group_by=group_cols,
    )


UNSPECIFIED = "Unspecified"


@dataclass(frozen=True)
class WorstOfResult:
    """Result of :func:`simm_worst_of`.

    Attributes
    ----------
    total : float
        Sum over groups of the margin under each group's winning (largest) regulation.
    winning : DataFrame
        Per group: ``regulation`` (the winner) and ``InitialMargin``.
    by_regulation : Series
        Margin per group and regulation (index: group columns + ``Regulation``).
    result : SimmResult
        The full calculation, grouped by the group columns and the side's regulation column
        (``CollectRegulations`` or ``PostRegulations``, holding one regulation per group).
    """

    total: float
    winning: pd.DataFrame
    by_regulation: pd.Series
    result: SimmResult


def simm_worst_of(
    crif: str | os.PathLike[str] | pd.DataFrame,
    version: str = DEFAULT_VERSION,
    mpor_days: int = 10,
    side: Side = "call",
    calculation_currency: str = "USD",
    *,
    fx_rates: Mapping[str, float] | None = None,
    group_by: str | Sequence[str] | None = None,
    regulations: Sequence[str] | None = None,
    exclude_regulations: Sequence[str] = (),
) -> WorstOfResult:
    """SIMM under each applicable regulation and the worst (largest) of them.

    Each CRIF row applies under the regulations listed in its ``collect_regulations`` (call side)
    or ``post_regulations`` (post side) column, a comma-separated list such as ``"ESA,USPR"``.
    SIMM is computed per regulation from the rows (sensitivities and add-on parameters) that list
    it, and the regulation with the largest margin wins. Rows listing no regulation form the
    regulation ``"Unspecified"``, which only competes when no row names a regulation.

    Parameters
    ----------
    crif, version, mpor_days, side, calculation_currency, fx_rates, group_by
        As in :func:`simm`.
    regulations : sequence of str, optional
        Consider only these regulations (e.g. ``["SEC-unseg"]`` for the SEC unsegregated view).
    exclude_regulations : sequence of str, default ()
        Regulations not considered (e.g. ``["SEC-unseg"]`` for the SEC segregated view).

    Returns
    -------
    WorstOfResult

    Raises
    ------
    InputError
        If no row applies under the regulations considered.
    """
    side_l = check_choice("side", str(side).lower(), ("call", "post"))
    table = read_crif(crif, fx_rates=fx_rates)
    column = "CollectRegulations" if side_l == "call" else "PostRegulations"
    regs = table[column].str.replace(" ", "", regex=False).str.split(",")
    # one row per (row, regulation): the side's column then holds a single regulation
    exploded = table.assign(**{column: regs}).explode(column)
    exploded[column] = exploded[column].fillna("").replace("", UNSPECIFIED)
    exploded = exploded.reset_index(names="_row").drop_duplicates(["_row", column])
    exploded = exploded.drop(columns="_row")
    keep = ~exploded[column].isin(list(exclude_regulations))
    if regulations is not None:
        keep &= exploded[column].isin(list(regulations))
    exploded = exploded[keep]
    if exploded.empty:
        raise InputError(f"no CRIF row applies under the regulations considered "
                         f"(regulations={regulations!r}, exclude={list(exclude_regulations)!r})")
    group_cols = [group_by] if isinstance(group_by, str) else list(group_by or [])
    named = exploded[column] != UNSPECIFIED
    if group_cols:
        has_named = named.groupby([exploded[c] for c in group_cols]).transform("any")
    else:
        has_named = pd.Series(bool(named.any()), index=exploded.index)
    exploded = exploded[named | ~has_named].reset_index(drop=True)
    result = simm(exploded, version=version, mpor_days=mpor_days, side=side_l,  # type: ignore[arg-type]
                  calculation_currency=calculation_currency, fx_rates=fx_rates,
                  group_by=[*group_cols, column])
    by_reg = result.totals.rename_axis([*group_cols, "Regulation"])
    frame = by_reg.reset_index()
    best = frame.loc[frame.groupby(group_cols)["InitialMargin"].idxmax()] if group_cols else \
        frame.loc[[frame["InitialMargin"].idxmax()]]
    winning = best.rename(columns={"Regulation": "regulation"}).reset_index(drop=True)
    return WorstOfResult(
        total=float(winning["InitialMargin"].sum()),
        winning=winning,
        by_regulation=by_reg,
        result=result,
    )
