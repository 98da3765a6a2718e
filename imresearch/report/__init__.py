"""Reports: matplotlib figures and a self-contained HTML page."""

from imresearch.report.html import html_report

__all__ = ["html_report"]
