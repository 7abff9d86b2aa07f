"""ssbkit: analysis suite for battery-materials characterization.

The technique packages (``echem``, ``xrd``, ``xas``, ``eels``, ``stem``)
import only :mod:`ssbkit.errors` from here, so this module loads the heavier
study and report layers lazily, on first use of their names.

Examples
--------
>>> import ssbkit
>>> study = ssbkit.Study.load("study.toml")        # doctest: +SKIP
>>> results = ssbkit.analyze(study)                 # doctest: +SKIP
>>> with ssbkit.style():                            # doctest: +SKIP
...     results.results[0].section.result.plot()    # the report's figure style in a notebook
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ssbkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

_LAZY = {
    "Sample": "ssbkit.sample",
    "Study": "ssbkit.study",
    "analyze": "ssbkit.report",
    "write_report": "ssbkit.report",
    "StudyResults": "ssbkit.report",
    "write_demo_study": "ssbkit.demo",
    "style": "ssbkit.report.figures",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ssbkit' has no attribute {name!r}")
