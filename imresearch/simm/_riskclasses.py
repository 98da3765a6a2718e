"""Margins of the six SIMM risk classes from integer-coded sensitivity rows.

Delta, vega, curvature and base-correlation margins per node (netting set x product class), with
concentration factors, intra-bucket correlations (with the ``f_kl`` concentration ratios),
inter-bucket aggregation and residual buckets, the curvature ``lambda(theta)`` adjustment and the
interest-rate curvature scaling. Every weight, correlation and threshold comes from the version's
:class:`~imresearch.simm.parameters.SimmParameters`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from imresearch._typing import Float64Array1D, Float64Array2D, Int64Array
from imresearch.simm._codes import Codes
from imresearch.simm._groups import (
    bincount,
    clip,
    concentration,
    dense,
    first_of,
    group,
    pair_sum,
    per_code,
    quad_rows,
)
from imresearch.simm.crif import risk_type_code
from imresearch.simm.parameters import THRESHOLD_UNIT, SimmParameters

__all__ = ["Margins", "Rows", "base_correlation_margin", "bucketed_class_margin", "fx_margin",
           "interest_rate_margin"]


@dataclass(frozen=True)
class Rows:
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

    def of_types(self, *risk_types: str) -> Rows:
        idx = np.flatnonzero(np.isin(self.rt, risk_type_code(*risk_types)))
        return self.take(idx)

    def take(self, idx: np.ndarray) -> Rows:
        return Rows(self.node[idx], self.rt[idx], self.qual.take(idx), self.bucket.take(idx),
                     self.label1.take(idx), self.label2.take(idx), self.amount[idx])

    def is_type(self, risk_type: str) -> np.ndarray:
        return self.rt == risk_type_code(risk_type)[0]


@dataclass
class Margins:
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


def interest_rate_margin(d: Rows, p: SimmParameters, n: int, out: Margins, fx: float) -> None:
    """Interest-rate delta, vega and curvature; buckets are currencies."""
    ir = p.interest_rate
    m = p.methodology
    tenor_idx = {t: i for i, t in enumerate(ir.tenors)}
    n_t = len(ir.tenors)
    unit = THRESHOLD_UNIT / fx

    def bucket_codes(rows: Rows) -> tuple[Int64Array, Int64Array, Int64Array]:
        b, first = group(rows.node, rows.qual.codes)
        return b, rows.node[first], rows.qual.codes[first]

    def tenors(rows: Rows) -> Int64Array:
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
        thr = per_code(b_q, rows.qual.values,
                        lambda c: ir.delta_threshold[ir.concentration_group(c)]) * unit
        cr_b = concentration(bincount(b, np.where(xccy, 0.0, amt), nb), thr, m.concentration)
        ws = rw * amt * np.where(xccy, 1.0, cr_b[b])
        # curve part: per (currency, sub-curve) tenor vectors
        cb = b[curve]
        sc, sc_first = group(cb, rows.label2.codes[curve])
        sc_b = cb[sc_first]
        vec_sc = dense(sc, t[curve], ws[curve], (len(sc_b), n_t))
        vec_b = np.zeros((nb, n_t))
        np.add.at(vec_b, sc_b, vec_sc)
        phi = ir.sub_curve_correlation
        rho = ir.tenor_correlation
        k2 = phi * quad_rows(vec_b, rho) + (1 - phi) * bincount(
            sc_b, quad_rows(vec_sc, rho), nb
        )
        c_sum = vec_b.sum(axis=1)
        inf_sum = bincount(b, np.where(infl, ws, 0.0), nb)
        x_sum = bincount(b, np.where(xccy, ws, 0.0), nb)
        k2 += inf_sum**2 + x_sum**2
        k2 += 2 * ir.inflation_correlation * inf_sum * c_sum
        k2 += 2 * ir.xccy_basis_correlation * x_sum * (c_sum + inf_sum)
        k = np.sqrt(np.maximum(k2, 0.0))
        s = clip(c_sum + inf_sum + x_sum, k)
        cross = ir.currency_correlation * pair_sum(b_node, s, n, cr_b)
        total = np.sqrt(np.maximum(bincount(b_node, k**2, n) + cross, 0.0))
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
        thr = per_code(b_q, rows.qual.values,
                        lambda c: ir.vega_threshold[ir.concentration_group(c)]) * unit
        vcr = concentration(bincount(b, vr, nb), thr, m.concentration)
        ws = ir.vega_weight * vr * vcr[b]
        k, s = _ir_vol_bucket(b, nb, ti, ws, infl, rho, ir.inflation_correlation, n_t)
        cross = ir.currency_correlation * pair_sum(b_node, s, n, vcr)
        total = np.sqrt(np.maximum(bincount(b_node, k**2, n) + cross, 0.0))
        out.add("InterestRate", "Vega", total, b_node, b_ccy, k)
        # curvature
        sf = rows.label1.lookup(m.curvature_scaling)
        cvr = sf * amt
        k, s = _ir_vol_bucket(
            b, nb, ti, cvr, infl, rho**2, ir.inflation_correlation**2, n_t
        )
        # |CVR| per risk factor: (currency, tenor) for IR vol, currency for inflation vol
        fac = dense(b, np.where(infl, n_t, ti), cvr, (nb, n_t + 1))
        abs_node = bincount(b_node, np.abs(fac).sum(axis=1), n)
        sum_node = bincount(b_node, fac.sum(axis=1), n)
        cross = ir.currency_correlation**2 * pair_sum(b_node, s, n)
        k_node = np.sqrt(np.maximum(bincount(b_node, k**2, n) + cross, 0.0))
        scale = m.ir_curvature_multiplier(ir.hvr)
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
    vec = dense(b[~infl], ti[~infl], x[~infl], (nb, n_t))
    inf_sum = bincount(b, np.where(infl, x, 0.0), nb)
    c_sum = vec.sum(axis=1)
    k2 = quad_rows(vec, rho) + inf_sum**2 + 2 * rho_inf * inf_sum * c_sum
    k = np.sqrt(np.maximum(k2, 0.0))
    return k, clip(c_sum + inf_sum, k)


def _curvature_margin(
    total: Float64Array1D, abs_total: Float64Array1D, k: Float64Array1D, lambda_base: float
) -> Float64Array1D:
    """``max(sum CVR + lambda(theta) * K, 0)`` with ``theta = min(sum CVR / sum |CVR|, 0)``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = np.where(abs_total > 0, np.minimum(total / abs_total, 0.0), 0.0)
    lam = lambda_base * (1.0 + theta) - theta
    return np.maximum(total + lam * k, 0.0)


def bucketed_class_margin(
    d: Rows,
    p: SimmParameters,
    n: int,
    out: Margins,
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
        return per_code(codes, values, func)

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
        b, first = group(factor_node, factor_bucket)
        nb = len(first)
        bcodes = factor_bucket[first]
        same, diff = rho_of(bcodes)
        if squared:
            same, diff = same**2, diff**2
        sum_sq = bincount(b, x**2, nb)
        k2 = sum_sq + diff * pair_sum(b, x, nb, cr)
        if credit:  # pairs of the same name get the same-name correlation
            qb, _ = group(b, factor_qual)
            within = pair_sum(qb, x, int(qb.max()) + 1, cr)
            within_b = bincount(first_of(b, qb), within, nb)
            k2 += (same - diff) * within_b
        k = np.sqrt(np.maximum(k2, 0.0))
        return factor_node[first], bcodes, k, bincount(b, x, nb)

    def across(
        b_node: Int64Array, bcodes: Int64Array, k: Float64Array1D, s: Float64Array1D,
        squared: bool,
    ) -> tuple[Float64Array1D, Float64Array1D]:
        """(non-residual aggregate sqrt(sum K^2 + gamma S S), residual K) per node."""
        res = values[bcodes] == "Residual"
        pos = per_code(bcodes, values, lambda bk: bucket_pos.get(bk, 0), np.int64)
        s_mat = dense(b_node[~res], pos[~res], s[~res], (n, nbo))
        g = off**2 if squared else off
        inner = bincount(b_node[~res], k[~res] ** 2, n) + quad_rows(s_mat, g)
        return np.sqrt(np.maximum(inner, 0.0)), bincount(b_node[res], k[res], n)

    def factors(rows: Rows) -> tuple[Int64Array, Int64Array]:
        keys = [rows.node, rows.bucket.codes, rows.qual.codes]
        if credit:
            keys += [rows.label1.codes, rows.label2.codes]
        return group(*keys)

    # ---- delta
    rows = d.of_types(*delta_types)
    if len(rows):
        f, ff = factors(rows)
        amt = bincount(f, rows.amount, len(ff))
        node = rows.node[ff]
        bucket = rows.bucket.codes[ff]
        qual = rows.qual.codes[ff]
        same = getattr(rows, same_attr).codes[ff]
        rw = bucket_param(bucket, lambda bk: c.delta_weight[bk])
        thr = bucket_param(bucket, lambda bk: c.delta_threshold[bk]) * unit
        q, qf = group(node, bucket, qual)
        cr = concentration(bincount(q, amt, len(qf)), thr[qf], m.concentration)[q]
        ws = rw * amt * cr
        b_node, bcodes, k, sums = aggregate(node, bucket, same, ws, cr, squared=False)
        nonres, res = across(b_node, bcodes, k, clip(sums, k), squared=False)
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
        vr = bincount(f, hvr * sigma * amt_r, nf)
        cvr = bincount(f, sf * sigma * amt_r, nf)
        node = rows.node[ff]
        bucket = rows.bucket.codes[ff]
        qual = rows.qual.codes[ff]
        same = getattr(rows, same_attr).codes[ff]
        zero_buckets = m.curvature_zero_buckets.get(risk_class, ())
        zero = per_code(bucket, values, lambda bk: bk in zero_buckets, bool)
        cvr = np.where(zero, 0.0, cvr)
        if credit:
            vrw = np.full(nf, c.vega_weight)
            thr = np.full(nf, c.vega_threshold) * unit
        else:
            vrw = bucket_param(bucket, lambda bk: c.vega_weight[bk])
            thr = bucket_param(bucket, lambda bk: c.vega_threshold[bk]) * unit
        q, qf = group(node, bucket, qual)
        vcr = concentration(bincount(q, vr, len(qf)), thr[qf], m.concentration)[q]
        ws = vrw * vr * vcr
        b_node, bcodes, k, sums = aggregate(node, bucket, same, ws, vcr, squared=False)
        nonres, res = across(b_node, bcodes, k, clip(sums, k), squared=False)
        out.add(risk_class, "Vega", nonres + res, b_node, values[bcodes], k)
        # curvature
        b_node, bcodes, k, sums = aggregate(node, bucket, same, cvr, None, squared=True)
        nonres_k, res_k = across(b_node, bcodes, k, clip(sums, k), squared=True)
        is_res = values[bucket] == "Residual"
        tot = bincount(node[~is_res], cvr[~is_res], n)
        absd = bincount(node[~is_res], np.abs(cvr[~is_res]), n)
        tot_r = bincount(node[is_res], cvr[is_res], n)
        abs_r = bincount(node[is_res], np.abs(cvr[is_res]), n)
        lb = m.curvature_lambda_base
        total = _curvature_margin(tot, absd, nonres_k, lb) + _curvature_margin(
            tot_r, abs_r, res_k, lb
        )
        out.add(risk_class, "Curvature", total, b_node, values[bcodes], k)


def base_correlation_margin(d: Rows, p: SimmParameters, n: int, out: Margins) -> None:
    rows = d.of_types("Risk_BaseCorr")
    if not len(rows):
        return
    c = p.credit_qualifying
    f, ff = group(rows.node, rows.qual.codes)
    ws = c.base_correlation_weight * bincount(f, rows.amount, len(ff))
    node = rows.node[ff]
    sq = bincount(node, ws**2, n)
    total = bincount(node, ws, n)
    k = np.sqrt(np.maximum(sq + c.base_correlation_correlation * (total**2 - sq), 0.0))
    present = np.unique(node)
    out.add("CreditQualifying", "BaseCorr", k, present, [""] * len(present), k[present])


def fx_margin(
    d: Rows, p: SimmParameters, n: int, out: Margins, fx: float, calc_ccy: str
) -> None:
    c = p.fx
    m = p.methodology
    unit = THRESHOLD_UNIT / fx
    calc_group = c.vol_group_index(calc_ccy)

    rows = d.of_types("Risk_FX")
    rows = rows.take(np.flatnonzero(rows.qual.lookup(lambda v: v != calc_ccy, bool)))
    if len(rows):
        f, ff = group(rows.node, rows.qual.codes)
        amt = bincount(f, rows.amount, len(ff))
        node = rows.node[ff]
        ccy = rows.qual.codes[ff]
        values = rows.qual.values
        vol_group = per_code(ccy, values, c.vol_group_index, np.int64)
        rw = c.delta_weight[calc_group, vol_group]
        thr = per_code(ccy, values,
                        lambda x: c.delta_threshold[c.concentration_group(x)]) * unit
        cr = concentration(amt, thr, m.concentration)
        ws = rw * amt * cr
        corr = np.asarray(c.correlation[c.vol_group_order[calc_group]])
        k2 = bincount(node, ws**2, n) + pair_sum(node, ws, n, cr, vol_group, corr)
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
        f, ff = group(rows.node, key.codes)
        vr = bincount(f, c.hvr * sigma * amt, len(ff))
        cvr = bincount(f, sf * sigma * amt, len(ff))
        node = rows.node[ff]
        thr = per_code(key.codes[ff], key.values,
                        lambda x: c.vega_threshold[c.pair_threshold_key(x)]) * unit
        vcr = concentration(vr, thr, m.concentration)
        ws = c.vega_weight * vr * vcr
        rho = c.vega_correlation
        k = np.sqrt(np.maximum(bincount(node, ws**2, n) + rho * pair_sum(node, ws, n, vcr),
                               0.0))
        present = np.unique(node)
        out.add("FX", "Vega", k, present, [""] * len(present), k[present])
        kc = np.sqrt(np.maximum(bincount(node, cvr**2, n) + rho**2 * pair_sum(node, cvr, n),
                                0.0))
        total = _curvature_margin(
            bincount(node, cvr, n), bincount(node, np.abs(cvr), n), kc,
            m.curvature_lambda_base,
        )
        out.add("FX", "Curvature", total, present, [""] * len(present), kc[present])
