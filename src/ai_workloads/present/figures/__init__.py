"""Figures of the site: every one is drawn with :mod:`ai_workloads.present.style`.

Figure code only draws numbers computed by the analyses; it does no arithmetic of its own.

>>> from ai_workloads.present.figures import new_figure, render
>>> fig, ax = new_figure()
>>> render(fig).mime
'image/svg+xml'
"""

from ..style import (
    OKABE_ITO,
    PALETTE,
    RenderedFigure,
    apply_style,
    colors,
    label_axes,
    new_figure,
    png_bytes,
    render,
    svg_bytes,
    use_style,
)

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "RenderedFigure",
    "apply_style",
    "colors",
    "label_axes",
    "new_figure",
    "png_bytes",
    "render",
    "svg_bytes",
    "use_style",
]
