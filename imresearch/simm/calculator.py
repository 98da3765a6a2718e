"""ISDA SIMM initial margin from CRIF sensitivities.

The public function :func:`simm` validates the CRIF (:func:`~imresearch.simm.crif.parse_crif`)
and computes, for every netting set at once:

* delta, vega, curvature and base-correlation margins of the six risk classes, with
  concentration risk factors, the intra-bucket correlations (with the ``f_kl`` / ``g_bc``
  concentration adjustments), inter-bucket aggregation and the residual buckets;
* the curvature ``lambda(theta)`` adjustment and the ``HVR_IR ** -2`` interest-rate scaling;
* product-class margins ``sqrt(sum psi_rs K_r K_s)`` and their sum;
* add-ons: product-class multipliers, notional factors and fixed amounts.

Everything is array-based: the CRIF's text columns are factorized once into integer codes
(:class:`~imresearch.simm.crif.Codes`), parameters are looked up once per distinct value, risk
factors, buckets and netting sets are integer keys, and every sum is a group-wise ``bincount``
over all portfolios together (``group_by="PortfolioID"``), with batched quadratic forms per bucket.
Every weight, correlation and threshold comes from
:func:`~imresearch.simm.parameters.load_parameters`.

Sums of pairwise terms ``sum_{k != l} rho f_kl x_k x_l`` with the concentration ratio
``f_kl = min(CR_k, CR_l) / max(CR_k, CR_l)`` are computed without forming pairs: after sorting a
group by ``CR``, ``f_kl x_k x_l = (x_k CR_k)(x_l / CR_l)`` for ``k`` before ``l``, so the sum is a
running (cumulative) sum — O(n log n) instead of O(n^2) (Numba kernels in
:mod:`imresearch.simm._kernels`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from imresearch._typing import Float64Array1D, Float64Array2D, Int64Array
from imresearch.errors import InputError, check_choice
from imresearch.simm._kernels import pair_sum_sorted, pair_sum_sorted_classes
from imresearch.simm.crif import (
    CRIF_COLUMNS,
    PRODUCT_CLASSES,
    RISK_TYPES,
    SENSITIVITY_RISK_TYPES,
    Codes,
    parse_crif,
    read_crif,
    risk_type_code,
)
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
_PC_NAMES = (*PRODUCT_CLASSES, ALL)
_RC_NAMES = (*RISK_CLASSES, ALL)
_MT_NAMES = (*MARGIN_TYPES, ALL, ADDITIONAL_IM)
_INT_LIMIT = 1 << 62


# --------------------------------------------------------------------------------------------
# group-wise numeric helpers
# --------------------------------------------------------------------------------------------


def _bincount(codes: Int64Array, values: Float64Array1D, n: int) -> Float64Array1D:
    return np.bincount(codes, weights=values, minlength=n).astype(np.float64)


def _group(*keys: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Codes of the distinct combinations of integer keys, and the first element of each.

    Parameters
    ----------
    *keys : ndarray of int64, shape (n,)
        Non-negative integer keys (codes of columns), all of one length.

    Returns
    -------
    codes : ndarray of int64, shape (n,)
        Combination of each element, numbered in order of first appearance.
    first : ndarray of int64, shape (n_combinations,)
        Index of the first element of each combination.
    """
    combined = np.asarray(keys[0], dtype=np.int64)
    if combined.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    for key in keys[1:]:
        card = int(key.max()) + 1
        if (int(combined.max()) + 1) * card >= _INT_LIMIT:
            combined = pd.factorize(combined)[0].astype(np.int64)
        combined = combined * card + key
    codes = pd.factorize(combined)[0].astype(np.int64)
    return codes, _first(codes, int(codes.max()) + 1)


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
        order = np.argsort(groups, kind="stable")
        w = x[order]
        a, b = w * 1.0, w / 1.0
    else:
        order = np.lexsort((cr, groups))
        w, c = x[order], cr[order]
        a, b = w * c, w / c
    g = np.ascontiguousarray(groups[order], dtype=np.int64)
    if cls is None or corr is None:
        acc = pair_sum_sorted(g, a, b, n_groups)
    else:
        acc = pair_sum_sorted_classes(g, a, b, np.ascontiguousarray(cls[order], dtype=np.int64),
                                      np.ascontiguousarray(corr, dtype=np.float64), n_groups)
    return 2.0 * acc


def _quad_rows(x: Float64Array2D, mat: Float64Array2D) -> Float64Array1D:
    """Row-wise quadratic forms ``x_i^T mat x_i``."""
    return np.einsum("ni,ij,nj->n", x, mat, x)


def _dense(rows: Int64Array, cols: Int64Array, values: Float64Array1D, shape: tuple[int, int]
           ) -> Float64Array2D:
    """``out[rows_i, cols_i] += values_i`` on a zero matrix, in element order."""
    flat = np.bincount(rows * shape[1] + cols, weights=values, minlength=shape[0] * shape[1])
    return flat.astype(np.float64).reshape(shape)


def _concentration(
    total: Float64Array1D, threshold: Float64Array1D, enabled: bool
) -> Float64Array1D:
    """``max(1, sqrt(|total| / threshold))`` (ones when concentration is switched off)."""
    if not enabled:
        return np.ones_like(total)
    return np.maximum(1.0, np.sqrt(np.abs(total) / threshold))


def _clip(total: Float64Array1D, k: Float64Array1D) -> Float64Array1D:
    return np.maximum(np.minimum(total, k), -k)


def _per_code(codes: Int64Array, values: np.ndarray, func: Callable[[Any], Any],
              dtype: Any = np.float64) -> np.ndarray:
    """``func`` of each element's value, evaluated once per distinct code."""
    return Codes(codes, values).lookup(func, dtype)


# --------------------------------------------------------------------------------------------
# sensitivity rows and bucket-level / risk-class-level results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """Sensitivity rows as arrays: node (group x product class), risk type, labels, amount."""

    node: Int64Array
    rt: Int64Array
    qual: Codes
    bucket: Codes
    label1: Codes
    label2: Codes
    amount: Float64Array1D

    def __len__(self) -> int:
        return int(self.amount.size)

    def of_types(self, *risk_types: str) -> _Rows:
        idx = np.flatnonzero(np.isin(self.rt, risk_type_code(*risk_types)))
        return self.take(idx)

    def take(self, idx: np.ndarray) -> _Rows:
        return _Rows(self.node[idx], self.rt[idx], self.qual.take(idx), self.bucket.take(idx),
                     self.label1.take(idx), self.label2.take(idx), self.amount[idx])

    def is_type(self, risk_type: str) -> np.ndarray:
        return self.rt == risk_type_code(risk_type)[0]


@dataclass
class _Margins:
    """Accumulates bucket-level and risk-class-level margins per node (group x product class)."""

    n_nodes: int
    bucket_rows: list[tuple[str, str, Int64Array, np.ndarray, Float64Array1D]] = field(
        default_factory=list)
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
            self.bucket_rows.append((risk_class, margin_type, np.asarray(bucket_node),
                                     np.asarray(bucket_name, dtype=object), bucket_k))


# --------------------------------------------------------------------------------------------
# risk classes
# --------------------------------------------------------------------------------------------


def _interest_rate(d: _Rows, p: SimmParameters, n: int, out: _Margins, fx: float) -> None:
    """Interest-rate delta, vega and curvature; buckets are currencies."""
    ir = p.interest_rate
    m = p.methodology
    tenor_idx = {t: i for i, t in enumerate(ir.tenors)}
    n_t = len(ir.tenors)
    unit = THRESHOLD_UNIT / fx

    def bucket_codes(rows: _Rows) -> tuple[Int64Array, Int64Array, Int64Array]:
        b, first = _group(rows.node, rows.qual.codes)
        return b, rows.node[first], rows.qual.codes[first]

    def tenors(rows: _Rows) -> Int64Array:
        return rows.label1.lookup(lambda v: tenor_idx.get(v, -1), np.int64)

    # ---- delta
    rows = d.of_types("Risk_IRCurve", "Risk_Inflation", "Risk_XCcyBasis")
    if len(rows):
        b, b_node, b_q = bucket_codes(rows)
        b_ccy = rows.qual.values[b_q]
        nb = len(b_node)
        amt = rows.amount
        curve = rows.is_type("Risk_IRCurve")
        infl = rows.is_type("Risk_Inflation")
        xccy = rows.is_type("Risk_XCcyBasis")
        groups = list(ir.delta_weight)
        weights = np.stack([ir.delta_weight[g] for g in groups])
        g_idx = rows.qual.lookup(
            lambda c: groups.index(ir.weight_group(c)) if ir.weight_group(c) in groups else -1,
            np.int64)
        t = tenors(rows)
        rw = np.zeros(len(rows))
        known = curve & (g_idx >= 0)
        rw[known] = weights[g_idx[known], t[known]]
        rw[infl] = ir.inflation_weight
        rw[xccy] = ir.xccy_basis_weight
        thr = _per_code(b_q, rows.qual.values,
                        lambda c: ir.delta_threshold[ir.concentration_group(c)]) * unit
        cr_b = _concentration(_bincount(b, np.where(xccy, 0.0, amt), nb), thr, m.concentration)
        ws = rw * amt * np.where(xccy, 1.0, cr_b[b])
        # curve part: per (currency, sub-curve) tenor vectors
        cb = b[curve]
        sc, sc_first = _group(cb, rows.label2.codes[curve])
        sc_b = cb[sc_first]
        vec_sc = _dense(sc, t[curve], ws[curve], (len(sc_b), n_t))
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
    rows = d.of_types("Risk_IRVol", "Risk_InflationVol")
    if len(rows):
        b, b_node, b_q = bucket_codes(rows)
        b_ccy = rows.qual.values[b_q]
        nb = len(b_node)
        amt = rows.amount
        infl = rows.is_type("Risk_InflationVol")
        ti = tenors(rows)
        rho = ir.tenor_correlation
        # vega (the IR vega amount is already a volatility-weighted vega: no sigma, no HVR)
        vr = amt
        thr = _per_code(b_q, rows.qual.values,
                        lambda c: ir.vega_threshold[ir.concentration_group(c)]) * unit
        vcr = _concentration(_bincount(b, vr, nb), thr, m.concentration)
        ws = ir.vega_weight * vr * vcr[b]
        k, s = _ir_vol_bucket(b, nb, ti, ws, infl, rho, ir.inflation_correlation, n_t)
        cross = ir.currency_correlation * _pair_sum(b_node, s, n, vcr)
        total = np.sqrt(np.maximum(_bincount(b_node, k**2, n) + cross, 0.0))
        out.add("InterestRate", "Vega", total, b_node, b_ccy, k)
        # curvature
        sf = rows.label1.lookup(m.curvature_scaling)
        cvr = sf * amt
        k, s = _ir_vol_bucket(
            b, nb, ti, cvr, infl, rho**2, ir.inflation_correlation**2, n_t
        )
        # |CVR| per risk factor: (currency, tenor) for IR vol, currency for inflation vol
        fac = _dense(b, np.where(infl, n_t, ti), cvr, (nb, n_t + 1))
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
    vec = _dense(b[~infl], ti[~infl], x[~infl], (nb, n_t))
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
    d: _Rows,
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
    same_attr = {"Qualifier": "qual", "Bucket": "bucket", "Label1": "label1",
                 "Label2": "label2"}[same_key]
    bucket_pos = {bk: i for i, bk in enumerate(c.bucket_order)}
    nbo = len(c.bucket_order)
    gamma = np.asarray(c.bucket_correlation)
    off = gamma - np.eye(nbo)
    values = d.bucket.values

    def bucket_param(codes: Int64Array, func: Callable[[str], float]) -> Float64Array1D:
        return _per_code(codes, values, func)

    def rho_of(buckets: Int64Array) -> tuple[np.ndarray, np.ndarray]:
        """(same-qualifier, different-qualifier) correlation of each bucket."""
        if credit:
            res = values[buckets] == "Residual"
            same = np.where(res, c.residual_same_issuer_correlation, c.same_issuer_correlation)
            diff = np.where(
                res, c.residual_different_issuer_correlation, c.different_issuer_correlation
            )
            return same, diff
        rho = bucket_param(buckets, lambda bk: c.intra_correlation[bk])
        return np.ones_like(rho), rho

    def aggregate(
        factor_node: Int64Array,
        factor_bucket: Int64Array,
        factor_qual: Int64Array,
        x: Float64Array1D,
        cr: Float64Array1D | None,
        squared: bool,
    ) -> tuple[Int64Array, Int64Array, Float64Array1D, Float64Array1D]:
        """Bucket K over risk factors; returns bucket node and code, K and sum x."""
        b, first = _group(factor_node, factor_bucket)
        nb = len(first)
        bcodes = factor_bucket[first]
        same, diff = rho_of(bcodes)
        if squared:
            same, diff = same**2, diff**2
        sum_sq = _bincount(b, x**2, nb)
        k2 = sum_sq + diff * _pair_sum(b, x, nb, cr)
        if credit:  # pairs of the same name get the same-name correlation
            qb, _ = _group(b, factor_qual)
            within = _pair_sum(qb, x, int(qb.max()) + 1, cr)
            within_b = _bincount(_first_of(b, qb), within, nb)
            k2 += (same - diff) * within_b
        k = np.sqrt(np.maximum(k2, 0.0))
        return factor_node[first], bcodes, k, _bincount(b, x, nb)

    def across(
        b_node: Int64Array, bcodes: Int64Array, k: Float64Array1D, s: Float64Array1D,
        squared: bool,
    ) -> tuple[Float64Array1D, Float64Array1D]:
        """(non-residual aggregate sqrt(sum K^2 + gamma S S), residual K) per node."""
        res = values[bcodes] == "Residual"
        pos = _per_code(bcodes, values, lambda bk: bucket_pos.get(bk, 0), np.int64)
        dense = _dense(b_node[~res], pos[~res], s[~res], (n, nbo))
        g = off**2 if squared else off
        inner = _bincount(b_node[~res], k[~res] ** 2, n) + _quad_rows(dense, g)
        return np.sqrt(np.maximum(inner, 0.0)), _bincount(b_node[res], k[res], n)

    def factors(rows: _Rows) -> tuple[Int64Array, Int64Array]:
        keys = [rows.node, rows.bucket.codes, rows.qual.codes]
        if credit:
            keys += [rows.label1.codes, rows.label2.codes]
        return _group(*keys)

    # ---- delta
    rows = d.of_types(*delta_types)
    if len(rows):
        f, ff = factors(rows)
        amt = _bincount(f, rows.amount, len(ff))
        node = rows.node[ff]
        bucket = rows.bucket.codes[ff]
        qual = rows.qual.codes[ff]
        same = getattr(rows, same_attr).codes[ff]
        rw = bucket_param(bucket, lambda bk: c.delta_weight[bk])
        thr = bucket_param(bucket, lambda bk: c.delta_threshold[bk]) * unit
        q, qf = _group(node, bucket, qual)
        cr = _concentration(_bincount(q, amt, len(qf)), thr[qf], m.concentration)[q]
        ws = rw * amt * cr
        b_node, bcodes, k, sums = aggregate(node, bucket, same, ws, cr, squared=False)
        nonres, res = across(b_node, bcodes, k, _clip(sums, k), squared=False)
        out.add(risk_class, "Delta", nonres + res, b_node, values[bcodes], k)

    # ---- vega and curvature
    rows = d.of_types(*vol_types)
    if len(rows):
        amt_r = rows.amount
        if credit:
            sigma = np.ones(len(rows))
            hvr = 1.0
        else:
            sigma = m.sigma_multiplier * rows.bucket.lookup(lambda bk: c.delta_weight[bk])
            hvr = c.hvr
        sf = rows.label1.lookup(m.curvature_scaling)
        # risk factors: credit (qualifier, tenor, label2); equity / commodity: qualifier
        f, ff = factors(rows)
        nf = len(ff)
        vr = _bincount(f, hvr * sigma * amt_r, nf)
        cvr = _bincount(f, sf * sigma * amt_r, nf)
        node = rows.node[ff]
        bucket = rows.bucket.codes[ff]
        qual = rows.qual.codes[ff]
        same = getattr(rows, same_attr).codes[ff]
        zero_buckets = m.curvature_zero_buckets.get(risk_class, ())
        zero = _per_code(bucket, values, lambda bk: bk in zero_buckets, bool)
        cvr = np.where(zero, 0.0, cvr)
        if credit:
            vrw = np.full(nf, c.vega_weight)
            thr = np.full(nf, c.vega_threshold) * unit
        else:
            vrw = bucket_param(bucket, lambda bk: c.vega_weight[bk])
            thr = bucket_param(bucket, lambda bk: c.vega_threshold[bk]) * unit
        q, qf = _group(node, bucket, qual)
        vcr = _concentration(_bincount(q, vr, len(qf)), thr[qf], m.concentration)[q]
        ws = vrw * vr * vcr
        b_node, bcodes, k, sums = aggregate(node, bucket, same, ws, vcr, squared=False)
        nonres, res = across(b_node, bcodes, k, _clip(sums, k), squared=False)
        out.add(risk_class, "Vega", nonres + res, b_node, values[bcodes], k)
        # curvature
        b_node, bcodes, k, sums = aggregate(node, bucket, same, cvr, None, squared=True)
        nonres_k, res_k = across(b_node, bcodes, k, _clip(sums, k), squared=True)
        is_res = values[bucket] == "Residual"
        tot = _bincount(node[~is_res], cvr[~is_res], n)
        absd = _bincount(node[~is_res], np.abs(cvr[~is_res]), n)
        tot_r = _bincount(node[is_res], cvr[is_res], n)
        abs_r = _bincount(node[is_res], np.abs(cvr[is_res]), n)
        lb = m.curvature_lambda_base
        total = _curvature_margin(tot, absd, nonres_k, lb) + _curvature_margin(
            tot_r, abs_r, res_k, lb
        )
        out.add(risk_class, "Curvature", total, b_node, values[bcodes], k)


def _base_correlation(d: _Rows, p: SimmParameters, n: int, out: _Margins) -> None:
    rows = d.of_types("Risk_BaseCorr")
    if not len(rows):
        return
    c = p.credit_qualifying
    f, ff = _group(rows.node, rows.qual.codes)
    ws = c.base_correlation_weight * _bincount(f, rows.amount, len(ff))
    node = rows.node[ff]
    sq = _bincount(node, ws**2, n)
    total = _bincount(node, ws, n)
    k = np.sqrt(np.maximum(sq + c.base_correlation_correlation * (total**2 - sq), 0.0))
    present = np.unique(node)
    out.add("CreditQualifying", "BaseCorr", k, present, [""] * len(present), k[present])


def _fx(
    d: _Rows, p: SimmParameters, n: int, out: _Margins, fx: float, calc_ccy: str
) -> None:
    c = p.fx
    m = p.methodology
    unit = THRESHOLD_UNIT / fx
    calc_group = c.vol_group_index(calc_ccy)

    rows = d.of_types("Risk_FX")
    rows = rows.take(np.flatnonzero(rows.qual.lookup(lambda v: v != calc_ccy, bool)))
    if len(rows):
        f, ff = _group(rows.node, rows.qual.codes)
        amt = _bincount(f, rows.amount, len(ff))
        node = rows.node[ff]
        ccy = rows.qual.codes[ff]
        values = rows.qual.values
        group = _per_code(ccy, values, c.vol_group_index, np.int64)
        rw = c.delta_weight[calc_group, group]
        thr = _per_code(ccy, values,
                        lambda x: c.delta_threshold[c.concentration_group(x)]) * unit
        cr = _concentration(amt, thr, m.concentration)
        ws = rw * amt * cr
        corr = np.asarray(c.correlation[c.vol_group_order[calc_group]])
        k2 = _bincount(node, ws**2, n) + _pair_sum(node, ws, n, cr, group, corr)
        k = np.sqrt(np.maximum(k2, 0.0))
        present = np.unique(node)
        out.add("FX", "Delta", k, present, [""] * len(present), k[present])

    rows = d.of_types("Risk_FXVol")
    if len(rows):
        pair = rows.qual
        key = pair.mapped(lambda x: x[:6] if x[:3] <= x[3:6] else x[3:6] + x[:3])
        g1 = pair.lookup(lambda x: c.vol_group_index(x[:3]), np.int64)
        g2 = pair.lookup(lambda x: c.vol_group_index(x[3:6]), np.int64)
        sigma = m.sigma_multiplier * c.delta_weight[g1, g2]
        amt = rows.amount
        sf = rows.label1.lookup(m.curvature_scaling)
        f, ff = _group(rows.node, key.codes)
        vr = _bincount(f, c.hvr * sigma * amt, len(ff))
        cvr = _bincount(f, sf * sigma * amt, len(ff))
        node = rows.node[ff]
        thr = _per_code(key.codes[ff], key.values,
                        lambda x: c.vega_threshold[c.pair_threshold_key(x)]) * unit
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

    @property
    def im(self) -> float:
        """The total, under the name every margin model's result uses."""
        return self.total

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
    parsed = parse_crif(crif, fx_rates=fx_rates, trade_ids="TradeID" in group_cols)
    columns = dict(parsed.columns)
    for col in group_cols:
        if col not in CRIF_COLUMNS:
            raise InputError(f"group_by column {col!r} is not a CRIF column; use one of "
                             f"{', '.join(CRIF_COLUMNS)}")
        if col in ("Amount", "AmountUSD"):
            values = parsed.amount if col == "Amount" else parsed.amount_usd
            codes, uniques = pd.factorize(values)
            columns[col] = Codes(codes.astype(np.int64), np.asarray(uniques, dtype=object))
    model = columns["IMModel"]
    keep = ~model.table(lambda v: v == "Schedule", bool)[model.codes]
    rows = np.flatnonzero(keep) if not keep.all() else None

    def col(name: str) -> Codes:
        c = columns[name]
        return c if rows is None else c.take(rows)

    def num(values: Float64Array1D) -> Float64Array1D:
        return values if rows is None else values[rows]

    # amounts in the calculation currency; the post side negates sensitivities
    amount = num(parsed.amount_usd) / fx
    if calc != "USD":
        ccy = col("AmountCurrency")
        own = ccy.table(lambda v: v == calc, bool)[ccy.codes]
        amount = np.where(own, num(parsed.amount), amount)
    rt = col("RiskType").codes
    sens_table = np.zeros(len(RISK_TYPES), dtype=bool)
    sens_table[risk_type_code(*SENSITIVITY_RISK_TYPES)] = True
    is_sens = sens_table[rt]
    if side_l == "post":
        amount = np.where(is_sens, -amount, amount)
    # groups
    n_rows = amount.size
    if group_cols:
        keys = [col(c) for c in group_cols]
        gcodes, gfirst = _group(*[k.codes for k in keys])
        gkeys = pd.DataFrame({c: pd.Series(k.values[k.codes[gfirst]], dtype=str)
                              for c, k in zip(group_cols, keys, strict=True)})
    else:
        gcodes = np.zeros(n_rows, dtype=np.int64)
        gkeys = pd.DataFrame(index=[0])
    n_groups = len(gkeys) if group_cols else 1  # no rows, no groups
    sens = np.flatnonzero(is_sens)
    pc = col("ProductClass")
    node, nfirst = _group(gcodes[sens], pc.codes[sens])
    node_group = gcodes[sens][nfirst]
    node_pc = pc.values[pc.codes[sens][nfirst]]
    n_nodes = len(nfirst)
    out = _Margins(n_nodes)
    if n_nodes:
        d = _Rows(node, rt[sens], col("Qualifier").take(sens), col("Bucket").take(sens),
                  col("Label1").take(sens), col("Label2").take(sens), amount[sens])
        _interest_rate(d, params, n_nodes, out, fx)
        for rc in ("CreditQualifying", "CreditNonQualifying", "Equity", "Commodity"):
            _bucketed_class(d, params, n_nodes, out, fx, rc)
        _base_correlation(d, params, n_nodes, out)
        _fx(d, params, n_nodes, out, fx, calc)
    other = np.flatnonzero(~is_sens)
    addons = pd.DataFrame({
        "RiskType": np.asarray(RISK_TYPES, dtype=object)[rt[other]],
        "group": gcodes[other],
        "Qualifier": col("Qualifier").take(other).dense(),
        "amount": amount[other],
    })
    return _assemble(addons, params, out, node_group, node_pc, gkeys, group_cols, n_groups,
                     side_l, calc)


def _assemble(
    addons: pd.DataFrame,
    params: SimmParameters,
    out: _Margins,
    node_group: Int64Array,
    node_pc: np.ndarray,
    gkeys: pd.DataFrame,
    group_cols: tuple[str, ...],
    n_groups: int,
    side: str,
    calc: str,
) -> SimmResult:
    n = len(node_group)
    rc_idx = {rc: i for i, rc in enumerate(RISK_CLASSES)}
    im = np.zeros((n, len(RISK_CLASSES)))
    for (rc, _mt), values in out.margin.items():
        im[:, rc_idx[rc]] += values
    product = np.sqrt(np.maximum(_quad_rows(im, params.risk_class_correlation), 0.0))

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

    # breakdown rows, as integer-coded parts: (group, pc, rc, mt, bucket name or None, margin)
    pc_code = np.array([_PC_NAMES.index(p) for p in node_pc], dtype=np.int64)
    parts: list[tuple[Int64Array, Int64Array, int, int, np.ndarray | None, Float64Array1D]] = []
    for rc, mt, b_node, b_name, b_k in out.bucket_rows:
        parts.append((node_group[b_node], pc_code[b_node], _RC_NAMES.index(rc),
                      _MT_NAMES.index(mt), b_name, b_k))
    for (rc, mt), values in out.margin.items():
        parts.append((node_group, pc_code, _RC_NAMES.index(rc), _MT_NAMES.index(mt), None,
                      values))
    for rc in RISK_CLASSES:
        parts.append((node_group, pc_code, _RC_NAMES.index(rc), _MT_NAMES.index(ALL), None,
                      im[:, rc_idx[rc]]))
    for mt in MARGIN_TYPES:  # product-class margin of one margin type across risk classes
        by_rc = np.zeros((n, len(RISK_CLASSES)))
        for (rc, mt_), values in out.margin.items():
            if mt_ == mt:
                by_rc[:, rc_idx[rc]] += values
        parts.append((node_group, pc_code, _RC_NAMES.index(ALL), _MT_NAMES.index(mt), None,
                      np.sqrt(np.maximum(_quad_rows(by_rc, params.risk_class_correlation), 0.0))))
    parts.append((node_group, pc_code, _RC_NAMES.index(ALL), _MT_NAMES.index(ALL), None, product))
    parts.append((node_group, pc_code, _RC_NAMES.index(ALL), _MT_NAMES.index(ADDITIONAL_IM),
                  None, mult_addon))
    g_all = np.arange(n_groups)
    pc_all = np.full(n_groups, _PC_NAMES.index(ALL), dtype=np.int64)
    parts.append((g_all, pc_all, _RC_NAMES.index(ALL), _MT_NAMES.index(ADDITIONAL_IM), None,
                  notional_addon + fixed_addon))
    parts.append((g_all, pc_all, _RC_NAMES.index(ALL), _MT_NAMES.index(ALL), None, totals))
    parts = [part for part in parts if len(part[5])]

    def cat(i: int) -> np.ndarray:
        return np.concatenate([np.broadcast_to(part[i], len(part[5])) for part in parts]
                              or [np.zeros(0, dtype=np.float64 if i == 5 else np.int64)])

    group, pcs, rcs, mts, margin = cat(0), cat(1), cat(2), cat(3), cat(5)
    is_bucket = np.concatenate([np.full(len(part[5]), part[4] is not None) for part in parts]
                               or [np.zeros(0, dtype=bool)])
    names = np.concatenate([part[4] for part in parts if part[4] is not None] or
                           [np.zeros(0, dtype=object)])
    bucket = np.full(margin.size, ALL, dtype=object)
    bucket[is_bucket] = names
    # drop empty risk-class / margin-type nodes that carry nothing
    i_all = _PC_NAMES.index(ALL)
    keep = (margin != 0) | (pcs == i_all)
    keep |= (rcs == _RC_NAMES.index(ALL)) & (mts == _MT_NAMES.index(ALL))
    bucket_all = bucket == ALL
    order = np.flatnonzero(keep)
    order = order[np.lexsort((bucket_all[order], mts[order], rcs[order], pcs[order],
                              group[order]))]
    data: dict[str, Any] = {}
    if group_cols:
        for c in group_cols:
            data[c] = pd.Series(gkeys[c].to_numpy(object)[group[order]], dtype=str)
        index = pd.MultiIndex.from_frame(gkeys) if len(group_cols) > 1 else pd.Index(
            gkeys[group_cols[0]], name=group_cols[0])
    else:
        index = pd.Index([""], name="group")
    data["ProductClass"] = pd.Series(np.array(_PC_NAMES, dtype=object)[pcs[order]], dtype=str)
    data["RiskClass"] = pd.Series(np.array(_RC_NAMES, dtype=object)[rcs[order]], dtype=str)
    data["MarginType"] = pd.Series(np.array(_MT_NAMES, dtype=object)[mts[order]], dtype=str)
    data["Bucket"] = pd.Series(bucket[order], dtype=str)
    data["InitialMargin"] = margin[order]
    breakdown = pd.DataFrame(data)
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
