"""The result of a SIMM calculation: totals per netting set and the margin tree.

:func:`assemble` turns the risk-class margins of every node (netting set x product class) into
product-class margins ``sqrt(sum psi_rs K_r K_s)``, applies the add-ons (product-class
multipliers, notional factors, fixed amounts) and lays out the breakdown as ISDA's and ORE's
reports do; :class:`SimmResult` holds it with the views a reader asks for first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch._typing import Float64Array1D, Int64Array
from imresearch.simm._groups import bincount, quad_rows
from imresearch.simm._riskclasses import Margins
from imresearch.simm.crif import PRODUCT_CLASSES
from imresearch.simm.parameters import RISK_CLASSES, SimmParameters

__all__ = ["ADDITIONAL_IM", "ALL", "MARGIN_TYPES", "SimmResult", "assemble"]

MARGIN_TYPES: tuple[str, ...] = ("Delta", "Vega", "Curvature", "BaseCorr")
"""Margin types of a risk class, in breakdown order."""
ADDITIONAL_IM = "AdditionalIM"
ALL = "All"
_PC_NAMES = (*PRODUCT_CLASSES, ALL)
_RC_NAMES = (*RISK_CLASSES, ALL)
_MT_NAMES = (*MARGIN_TYPES, ALL, ADDITIONAL_IM)


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


def assemble(
    addons: pd.DataFrame,
    params: SimmParameters,
    out: Margins,
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
    product = np.sqrt(np.maximum(quad_rows(im, params.risk_class_correlation), 0.0))

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
    fixed_addon = bincount(grp[fixed], amt[fixed], n_groups)

    totals = (
        bincount(node_group, product + mult_addon, n_groups) + notional_addon + fixed_addon
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
                      np.sqrt(np.maximum(quad_rows(by_rc, params.risk_class_correlation), 0.0))))
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
