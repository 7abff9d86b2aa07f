"""The cross-technique report: analyse a study, write HTML pages and summaries."""

from ssbkit.report.analysis import MeasurementResult, StudyResults, analyze
from ssbkit.report.html import write_report
from ssbkit.report.registry import Figure, Quantity, Section, SectionInput, Table, register, register_comparison

__all__ = [
    "analyze",
    "write_report",
    "StudyResults",
    "MeasurementResult",
    "Section",
    "SectionInput",
    "Quantity",
    "Figure",
    "Table",
    "register",
    "register_comparison",
]
