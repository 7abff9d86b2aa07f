"""Report figures: one style, a PNG fit for a slide, a vector copy and the plotted numbers as CSV.

:func:`save_figure` writes every report figure three ways — a PNG at 200 dpi
and at least 1000 px wide, an SVG beside it, and a CSV of the data drawn in it
(every line, marker set and scalar image, read back from the matplotlib
artists, so a figure and its table cannot disagree) — and closes it.
:data:`STYLE` is the package's matplotlib style (sizes, fonts, a colour-blind
safe colour cycle, tick labels without offsets); :func:`style` applies it in a
``with`` block, as the report does around every section.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> with style():
...     fig, ax = plt.subplots()
...     _ = ax.plot([1, 2, 3], [2.0, 4.0, 8.0], label="a")
>>> figure_data(fig)[["series", "x", "y"]].values.tolist()
[['a', 1.0, 2.0], ['a', 2.0, 4.0], ['a', 3.0, 8.0]]
>>> plt.close(fig)
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["STYLE", "MIN_WIDTH_IN", "DPI", "style", "figure_data", "save_figure", "companion_files", "png_width"]

#: The package's matplotlib style file.
STYLE = str(resources.files("ssbkit.report").joinpath("ssbkit.mplstyle"))
#: Raster resolution of report figures, dots per inch.
DPI = 200
#: Smallest figure width, inches (1000 px at :data:`DPI`).
MIN_WIDTH_IN = 5.0


def style():
    """A context manager applying :data:`STYLE` (``with style(): ...``)."""
    import matplotlib.pyplot as plt

    return plt.style.context(STYLE)


def _panel_name(ax, index: int) -> str:
    return ax.get_title() or ax.get_ylabel() or f"panel {index + 1}"


def _line_rows(ax, panel: str):
    from matplotlib.collections import PathCollection

    for k, line in enumerate(ax.get_lines()):
        if line.get_transform() is not ax.transData:
            continue  # reference lines (axvline, axhline) are drawn in axes coordinates and carry no data
        x, y = (np.asarray(v, dtype=float).ravel() for v in line.get_data())
        label = line.get_label()
        yield from ((panel, label if not label.startswith("_") else f"line {k + 1}", a, b, np.nan)
                    for a, b in zip(x, y))
    for k, coll in enumerate(c for c in ax.collections if isinstance(c, PathCollection)):
        offsets = np.asarray(coll.get_offsets(), dtype=float)
        label = coll.get_label()
        name = label if label and not label.startswith("_") else f"markers {k + 1}"
        yield from ((panel, name, a, b, np.nan) for a, b in offsets)


def _image_rows(ax, panel: str):
    for k, image in enumerate(ax.get_images()):
        values = np.asarray(image.get_array(), dtype=float)
        if values.ndim != 2:
            continue  # a colour-coded (RGB) image: its numbers are in the scalar maps beside it
        x0, x1, y0, y1 = image.get_extent()
        ny, nx = values.shape
        xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
        ys = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
        gx, gy = np.meshgrid(xs, ys)
        name = f"image {k + 1}"
        yield from ((panel, name, a, b, c) for a, b, c in zip(gx.ravel(), gy.ravel(), values.ravel()))


def figure_data(fig) -> pd.DataFrame:
    """The numbers drawn in ``fig``, one row per point.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    pandas.DataFrame
        Columns ``panel`` (axes title, else its y label), ``series`` (the legend
        label), ``x``, ``y`` and ``value`` (the pixel value of a scalar image,
        NaN for lines and markers), in the axes' own units.
    """
    rows = []
    for index, ax in enumerate(fig.axes):
        panel = _panel_name(ax, index)
        rows.extend(_line_rows(ax, panel))
        rows.extend(_image_rows(ax, panel))
    return pd.DataFrame(rows, columns=["panel", "series", "x", "y", "value"])


def companion_files(filename: str) -> tuple[str, str]:
    """The vector and data file names written beside the PNG ``filename``."""
    stem = filename.rsplit(".", 1)[0]
    return f"{stem}.svg", f"{stem}.csv"


def save_figure(fig, folder, filename: str, *, dpi: int = DPI) -> str:
    """Write ``fig`` as PNG, SVG and data CSV into ``folder``, close it, return the PNG's name.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    folder : str or Path
        The report folder.
    filename : str
        PNG file name; the SVG and CSV take the same stem (:func:`companion_files`).
    dpi : int
        Raster resolution; the figure is widened to :data:`MIN_WIDTH_IN` inches first if narrower,
        and the resolution raised when cropping to the drawn area would leave fewer than
        ``MIN_WIDTH_IN * DPI`` pixels.

    Returns
    -------
    str
        ``filename``.
    """
    import matplotlib.pyplot as plt

    folder = Path(folder)
    width, height = fig.get_size_inches()
    if width < MIN_WIDTH_IN:
        fig.set_size_inches(MIN_WIDTH_IN, height * MIN_WIDTH_IN / width)
    vector, data = companion_files(filename)
    try:
        box = _drawn_box(fig)
        dpi = max(dpi, math.ceil(1.01 * MIN_WIDTH_IN * DPI / box.width))  # >= 1000 px once cropped
        fig.savefig(folder / filename, dpi=dpi, bbox_inches=box)
        fig.savefig(folder / vector, bbox_inches=box)
        figure_data(fig).to_csv(folder / data, index=False)
    finally:
        plt.close(fig)
    return filename


def _drawn_box(fig):
    """The figure's drawn area plus the ``savefig.pad_inches`` margin, inches, with its layout fixed.

    The layout engine (if any) runs once here and is then removed, so the
    PNG and the SVG are laid out identically and each save draws the figure
    once (with an engine, or with ``bbox_inches="tight"``, matplotlib draws it
    twice per save); the crop is what ``bbox_inches="tight"`` would give.
    """
    import matplotlib as mpl

    fig.draw_without_rendering()
    box = fig.get_tightbbox().padded(mpl.rcParams["savefig.pad_inches"])
    fig.set_layout_engine(None)  # no engine unless rcParams ask for one (figure.autolayout / constrained_layout.use)
    return box


def png_width(path) -> int:
    """Width in pixels of a PNG file, from its IHDR chunk (PNG spec §11.2.2), without reading the image.

    Raises
    ------
    ValueError
        When ``path`` is not a PNG file.
    """
    with open(path, "rb") as handle:
        header = handle.read(24)
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    return int.from_bytes(header[16:20], "big")
