"""docs/formats.md documents every key and column the file readers accept (so it cannot drift
from the code): study sections and settings, model kinds and their settings, allowed values of
every choice, grid axes, trade types and fields, portfolio TOML tables, CRIF columns and risk
types, market-data date columns and missing-value texts."""

from __future__ import annotations

import dataclasses
import re
import typing
from typing import Literal, get_args, get_origin

import pytest

from imresearch.aggregate.terms import Terms
from imresearch.marketdata._reader_options import DATE_COLUMN_NAMES, DEFAULT_NA_VALUES
from imresearch.marketdata.factors import RISK_CLASSES, SHOCK_CONVENTIONS, FactorSpec
from imresearch.models import MODEL_KINDS
from imresearch.portfolio.portfolio import _BUCKET_TABLES
from imresearch.portfolio.products import PRODUCTS, trade_field_names
from imresearch.portfolio.products.rates import SUB_CURVES
from imresearch.simm import VERSIONS
from imresearch.simm.crif import (
    _ALIASES,
    CRIF_COLUMNS,
    IM_MODELS,
    PRODUCT_CLASSES,
    RISK_TYPES,
    SCHEDULE_PRODUCT_CLASSES,
)
from imresearch.study.grid import MARGIN_AXES, SWEEPABLE
from imresearch.study.settings import (
    _SECTIONS,
    AggregateConfig,
    APCConfig,
    MarketStudyConfig,
    PortfolioStudyConfig,
    RollingConfig,
)
from tests.conftest import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "formats.md").read_text()


def _section(heading: str) -> str:
    """The text under the first heading that starts with ``heading`` (any level), up to the
    next heading of the same or a higher level."""
    m = re.search(rf"^(#+) {re.escape(heading)}.*$", DOC, re.M)
    assert m is not None, f"docs/formats.md has no heading {heading!r}"
    level = len(m.group(1))
    end = re.search(rf"^#{{1,{level}}} ", DOC[m.end():], re.M)
    return DOC[m.end(): m.end() + end.start() if end else len(DOC)]


def _missing(text: str, names: typing.Iterable[str]) -> list[str]:
    return [n for n in names if f"`{n}`" not in text and f'"{n}"' not in text]


def _choices(cls: type) -> dict[str, tuple]:
    """Allowed values of every field typed as a Literal (inside Optional too)."""
    out = {}
    for name, tp in typing.get_type_hints(cls).items():
        args = [tp, *get_args(tp)]
        for a in args:
            if get_origin(a) is Literal:
                out[name] = get_args(a)
    return out


SETTINGS = [("[market]", MarketStudyConfig), ("[market.factors]", FactorSpec),
            ("[portfolio]", PortfolioStudyConfig), ("[rolling]", RollingConfig),
            ("[apc]", APCConfig), ("[aggregate]", AggregateConfig),
            ("[aggregate.terms.", Terms),
            *((f'kind = "{kind}"', cls) for kind, cls in MODEL_KINDS.items())]


@pytest.mark.parametrize(("heading", "cls"), SETTINGS, ids=[h for h, _ in SETTINGS])
def test_every_setting_and_choice_is_documented(heading: str, cls: type) -> None:
    text = _section(heading)
    fields = [f.name for f in dataclasses.fields(cls) if f.init]
    assert not _missing(text, fields)
    for name, values in _choices(cls).items():
        assert not _missing(text, [str(v) for v in values]), name


def test_study_sections_kinds_and_versions() -> None:
    study = _section("Study file")
    assert "`name`" in study
    assert all(f"`[{s}" in study for s in _SECTIONS[1:])
    assert not _missing(study, MODEL_KINDS)
    assert not _missing(_section('kind = "simm"'), VERSIONS)
    assert not _missing(_section("[market.factors]"), (*RISK_CLASSES, *SHOCK_CONVENTIONS))


def test_grid_axes() -> None:
    grid = _section("Sweep grid")
    assert not _missing(grid, (*SWEEPABLE, *MARGIN_AXES, *MODEL_KINDS))


def test_trade_types_fields_and_directions() -> None:
    types = _section("Trade types")
    for cls in PRODUCTS:
        row = next((r for r in types.splitlines() if r.startswith(f"| `{cls.TYPE}` |")), "")
        assert row, cls.TYPE
        assert not _missing(row, cls.DIRECTIONS)
        required = [f.name for f in dataclasses.fields(cls) if f.name != "trade_id"
                    and f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING]
        assert not _missing(row, required), cls.TYPE
    fields = _section("Trade fields")
    rows = {r.split("|")[1].strip(" `"): r for r in fields.splitlines() if r.startswith("| `")}
    assert set(rows) == set(trade_field_names()) - {"type"}
    assert all(r.rstrip(" |").rsplit("|", 1)[-1].strip() for r in rows.values())  # a meaning
    assert not _missing(rows["sub_curve"], SUB_CURVES)


def test_portfolio_files() -> None:
    assert "`type`" in _section("Portfolio CSV") and "`trade_id`" in _section("Portfolio CSV")
    toml = _section("Portfolio TOML")
    assert not _missing(toml, ("name", "description", "valuation_date"))
    for table in ("portfolio", "defaults", *(f"buckets.{b}" for b in _BUCKET_TABLES)):
        assert f"[{table}]" in toml, table
    assert "[[trades]]" in toml


def test_crif_columns_values_and_aliases() -> None:
    crif = _section("CRIF")
    assert not _missing(crif, (*CRIF_COLUMNS, *RISK_TYPES, *PRODUCT_CLASSES,
                               *SCHEDULE_PRODUCT_CLASSES, *IM_MODELS))
    spelled = {re.sub(r"[^a-z0-9]", "", w.lower()) for w in re.findall(r"`([\w ]+)`", crif)}
    assert not set(_ALIASES) - spelled


def test_market_data_csv() -> None:
    market = _section("Market data CSV")
    assert not _missing(market, DATE_COLUMN_NAMES)
    assert not _missing(market, [v for v in DEFAULT_NA_VALUES if v])
    assert "blank cell" in market


def test_every_example_is_documented() -> None:
    for path in (REPO_ROOT / "examples").iterdir():
        if path.suffix in (".toml", ".csv"):
            assert f"examples/{path.name}" in DOC, path.name


def test_archegos_doc_names_every_scenario_key() -> None:
    """docs/archegos.md's table of the scenario file names every key the reader accepts."""
    from imresearch.scenarios import archegos_scenario as A

    doc = (REPO_ROOT / "docs" / "archegos.md").read_text()
    text = doc[doc.index("## The scenario file"):doc.index("## The model")]
    keys = set().union(A._TOP, A._MARKET, A._BUILTIN, A._LIQ, A._AGG, A._BROKER, A._NAME,
                       A._PATH, A._EVENT, A._SOURCE, A.EXITS)
    forms = ("`{}`", '"{}"', "`{} = ", "[{}]", "[{}.", "[[{}]]")  # keys, values, sections
    assert [k for k in sorted(keys) if not any(f.format(k) in text for f in forms)] == []
    assert 'kind = "' in text and "type = " not in text  # the model table of every workflow
