"""The HTML page: title, lead, contents, readable tables, figures, the manifest collapsed."""

from __future__ import annotations

import re

import pandas as pd

from imresearch.report import tables as T
from imresearch.report.html import html_report


def _page(**kw) -> str:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"im": [1.5e7, 2.25e6]}, index=pd.Index(["HS 1y", "SIMM"],
                                                                name="model"))
    sections = [{"heading": "Summary of findings", "id": "summary", "bullets": ["a < b"],
                 "table": T.show(frame, {"im": T.mn("IM")}, index="model")},
                {"heading": "Raw", "table": frame, "note": "look here"},
                {"heading": "Detail", "level": 3, "text": "x"},
                {"heading": "Raw", "text": "same heading twice"}]
    return html_report("Study <x>", sections, manifest={"seed": 1}, lead="Market data: m", **kw)


def test_structure() -> None:
    page = _page()
    assert page.index("class='lead'") < page.index("<nav class='toc'>") < page.index(
        "id='summary'")  # what the data are, contents, then the summary first
    toc = page[page.index("<nav"):page.index("</nav>")]
    assert re.findall(r"href='#([^']+)'", toc) == ["summary", "raw", "raw-2", "manifest"]
    assert "Detail" not in toc  # level-3 sections are not listed
    assert "<section class='summary'>" in page and "<li>a &lt; b</li>" in page
    assert "<details id='manifest'><summary>" in page and "&quot;seed&quot;: 1" in page
    assert page.index("<details") > page.index("same heading twice")  # the manifest last
    assert "<p class='note'>look here</p>" in page
    assert "<title>Study &lt;x&gt;</title>" in page
    assert "<nav" not in html_report("t", [{"heading": "one"}])  # no contents for one section


def test_tables_have_one_header_row_and_scroll() -> None:
    page = _page()
    tables = re.findall(r"<div class='scroll'><table.*?</table></div>", page, flags=re.S)
    assert len(tables) == 2
    for table in tables:
        assert table.count("<tr") == 3  # one header row, two rows
        head = table[table.index("<thead>"):table.index("</thead>")]
        assert head.count("<tr") == 1  # no stray row of the index name
    shown, raw = tables
    assert "IM, USD mn" in shown and "15.0" in shown and "2.2" in shown
    assert "<th>model</th>" in raw  # the index as a first column
    assert "<td>15,000,000</td>" in raw and "<td>2,250,000</td>" in raw  # no 1.5e+07


def test_show_formats() -> None:
    frame = pd.DataFrame({"im": [1234567.0, float("nan")], "rate": [0.1234, 0.5],
                          "n": [12345, 7], "zone": ["green", "red"],
                          "day": [pd.Timestamp("2020-03-16"), pd.NaT]}, index=["a", "b"])
    out = T.show(frame, {"im": T.mn("IM"), "rate": T.pct("rate"), "n": T.count("windows"),
                         "zone": T.text("zone"), "day": T.date("peak")}, index="model")
    assert list(out.columns) == ["model", "IM, USD mn", "rate, %", "windows", "zone", "peak"]
    assert out.iloc[0].tolist() == ["a", "1.2", "12.3", "12,345", "green", "2020-03-16"]
    assert out.iloc[1].tolist() == ["b", "", "50.0", "7", "red", ""]
    assert isinstance(out.index, pd.RangeIndex)


def test_long_text_cells_wrap() -> None:
    """Long text (sources, notes) wraps in its cell instead of widening the table."""
    long = "Credit Suisse Q1 2021 results: CHF 4.4bn, p. 3, https://www.credit-suisse.com"
    page = html_report("t", [{"heading": "s", "table": pd.DataFrame(
        {"name": ["CS", "NO"], "source": [long, "short"]})}])
    assert f"<td class='long'>{long}</td>" in page and "<td>short</td>" in page
    assert "td.long { white-space: normal" in page
