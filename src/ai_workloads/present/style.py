"""The one look of every figure: palette, rcParams, figure helpers, deterministic output.

* Colours: the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2002), readable
  with every common colour-vision deficiency; sequential data use ``cividis``.
* Background: figures keep a **white** background on purpose, in light and dark mode
  alike (the site's CSS frames them in dark mode), so one image serves both themes.
* Output: :func:`render` turns a figure into SVG (default) or 2x PNG bytes that are
  identical from build to build (fixed ``svg.hashsalt``, no date, text as paths), wrapped
  in an object that Jupyter (and myst-nb's ``glue``) displays as an image.
* No pyplot: :func:`new_figure` builds a :class:`matplotlib.figure.Figure` directly, so
  nothing depends on a GUI backend or on pyplot's global figure list; it works headless.

>>> fig, ax = new_figure()
>>> _ = ax.plot([1, 2, 3], [1, 4, 9])
>>> image = render(fig)
>>> image.mime, image.data == render(fig).data
('image/svg+xml', True)
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, cast

import matplotlib as mpl
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..core.errors import WorkloadError

# The palette, re-exported: figures take their colours from here.
from .palette import CONCEPT_COLORS as CONCEPT_COLORS
from .palette import OKABE_ITO as OKABE_ITO
from .palette import PALETTE as PALETTE
from .palette import REGION_COLORS as REGION_COLORS

#: Salt for the ids matplotlib writes into SVG files: fixed, so files do not change.
SVG_HASHSALT = "ai-workloads"
#: Default figure size in inches (width, height): fits the page's text column.
FIGSIZE: tuple[float, float] = (6.4, 3.6)
#: Resolution factor of PNG output (2x for sharp images on high-density screens).
PNG_SCALE = 2

#: Everything :func:`apply_style` and :func:`use_style` set.
RC: dict[str, Any] = {
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "image.cmap": "cividis",
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.0,
    "legend.fontsize": 9.0,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.color": "#b0b0b0",
    "grid.linewidth": 0.6,
    "grid.alpha": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "lines.linewidth": 1.8,
    "lines.markersize": 5.0,
    "svg.hashsalt": SVG_HASHSALT,
    "svg.fonttype": "path",
    "path.simplify": True,
}

#: Keyword arguments of ``savefig`` shared by every format.
_SAVE: dict[str, Any] = {"bbox_inches": "tight", "pad_inches": 0.05}


def apply_style() -> None:
    """Make the site's style matplotlib's global default (for a whole chapter).

    >>> apply_style()
    >>> mpl.rcParams["svg.hashsalt"] == SVG_HASHSALT
    True
    """
    mpl.rcParams.update(cast(Any, RC))


@contextmanager
def use_style(overrides: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Use the site's style (plus ``overrides``) inside a ``with`` block only.

    >>> with use_style({"font.size": 12.0}):
    ...     mpl.rcParams["font.size"], mpl.rcParams["image.cmap"]
    (12.0, 'cividis')
    """
    with mpl.rc_context(cast(Any, {**RC, **(overrides or {})})):
        yield


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    figsize: tuple[float, float] | None = None,
    sharex: bool = False,
    sharey: bool = False,
) -> tuple[Figure, Any]:
    """A styled figure and its axes (one :class:`~matplotlib.axes.Axes`, or an array).

    Built without pyplot, so it never opens a window and is freed like any object.

    >>> fig, ax = new_figure()
    >>> type(ax).__name__, fig.get_size_inches().tolist()
    ('Axes', [6.4, 3.6])
    >>> fig, axes = new_figure(1, 2, figsize=(8.0, 3.0))
    >>> axes.shape
    (2,)
    """
    if nrows < 1 or ncols < 1:
        raise WorkloadError(f"a figure needs at least one row and column, got {nrows}x{ncols}")
    with use_style():
        fig = Figure(figsize=figsize or FIGSIZE, layout="constrained")
        axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=True)
    return fig, axes


def colors(n: int) -> list[str]:
    """The first ``n`` palette colours (it has 8; more series need another encoding).

    >>> colors(3)
    ['#0072B2', '#E69F00', '#009E73']
    """
    if not 0 <= n <= len(PALETTE):
        raise WorkloadError(
            f"the palette has {len(PALETTE)} colours, asked for {n}; "
            "use markers or line styles for more series"
        )
    return list(PALETTE[:n])


def label_axes(ax: Axes, *, xlabel: str = "", ylabel: str = "", title: str = "") -> Axes:
    """Set the labels and title of ``ax`` in one call; returns ``ax``.

    >>> _, ax = new_figure()
    >>> label_axes(ax, xlabel="context S", ylabel="FLOPs").get_xlabel()
    'context S'
    """
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG, byte-identical for the same figure (no date, fixed ids).

    >>> fig, ax = new_figure()
    >>> _ = ax.bar(["a", "b"], [1, 2])
    >>> data = svg_bytes(fig)
    >>> data.startswith(b"<?xml"), b"<dc:date>" in data, data == svg_bytes(fig)
    (True, False, True)
    """
    buffer = io.BytesIO()
    with mpl.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, **_SAVE)
    return buffer.getvalue()


def png_bytes(fig: Figure, scale: int = PNG_SCALE) -> bytes:
    """The figure as PNG at ``scale`` times its dpi (2x by default); no time stamp.

    >>> fig, _ = new_figure()
    >>> png_bytes(fig)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    if scale < 1:
        raise WorkloadError(f"PNG scale must be a positive integer, got {scale}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi * scale, metadata={"Software": None},
                **_SAVE)
    return buffer.getvalue()


@dataclass(frozen=True)
class RenderedFigure:
    """A figure turned into image bytes, which Jupyter displays as that image.

    Give it to ``myst_nb.glue`` (or leave it as a cell's last value). Its text form names
    only the format and size, so executed notebooks do not change between runs.

    >>> fig, _ = new_figure()
    >>> render(fig, "png")
    RenderedFigure(png, ...x... px)
    """

    mime: Literal["image/svg+xml", "image/png"]
    data: bytes
    width_px: int
    height_px: int

    def _repr_svg_(self) -> str | None:
        return self.data.decode("utf-8") if self.mime == "image/svg+xml" else None

    def _repr_png_(self) -> tuple[bytes, dict[str, int]] | None:
        if self.mime != "image/png":
            return None
        return self.data, {"width": self.width_px, "height": self.height_px}

    def __repr__(self) -> str:
        kind = "svg" if self.mime == "image/svg+xml" else "png"
        return f"RenderedFigure({kind}, {self.width_px}x{self.height_px} px)"


def render(fig: Figure, fmt: Literal["svg", "png"] = "svg") -> RenderedFigure:
    """Turn ``fig`` into a deterministic SVG (default) or 2x PNG for display or ``glue``.

    The size of an SVG is the figure's nominal size at its dpi; a PNG's is its cropped
    size at 1x, at which it is displayed (its pixels are twice as many each way).

    >>> fig, _ = new_figure()
    >>> render(fig)
    RenderedFigure(svg, 640x360 px)
    >>> render(fig, "gif")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown figure format 'gif'; use 'svg' or 'png'
    """
    width, height = (round(v * fig.dpi) for v in fig.get_size_inches())
    if fmt == "svg":
        return RenderedFigure("image/svg+xml", svg_bytes(fig), width, height)
    if fmt == "png":
        data = png_bytes(fig)
        # Display size: the cropped image's pixels (PNG header) at 1x.
        width = int.from_bytes(data[16:20], "big") // PNG_SCALE
        height = int.from_bytes(data[20:24], "big") // PNG_SCALE
        return RenderedFigure("image/png", data, width, height)
    raise WorkloadError(f"unknown figure format {fmt!r}; use 'svg' or 'png'")
