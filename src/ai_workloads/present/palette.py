"""The site's colours, one per concept: the Okabe–Ito palette and what each colour means.

Kept apart from :mod:`ai_workloads.present.style` (which sets up matplotlib) so that the
in-browser calculator, which draws without matplotlib, uses the same colours as the figures.

>>> color_of("attention"), color_of("memory")
('#0072B2', '#56B4E9')
"""

from __future__ import annotations

from ..core.errors import WorkloadError

#: The eight Okabe–Ito colours (hex, as published).
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: One colour per concept across the site: attention blue, MLP orange, embeddings bluish
#: green, LM head sky blue, norms vermillion, router reddish purple. Parts of one concept
#: (attention's projections and its core) share its colour and differ by hatch or line style.
CONCEPT_COLORS: dict[str, str] = {
    "attention": OKABE_ITO["blue"],
    "mlp": OKABE_ITO["orange"],
    "embedding": OKABE_ITO["bluish_green"],
    "lm_head": OKABE_ITO["sky_blue"],
    "norms": OKABE_ITO["vermillion"],
    "router": OKABE_ITO["reddish_purple"],
    "pooler": OKABE_ITO["black"],
}
#: A roofline's two regions, in every roofline of the site: memory-bound sky blue,
#: compute-bound orange.
REGION_COLORS: dict[str, str] = {"memory": OKABE_ITO["sky_blue"],
                                 "compute": OKABE_ITO["orange"]}
#: The order series take colours in: strong colours first, yellow (weak on white) late.
PALETTE: tuple[str, ...] = tuple(
    OKABE_ITO[name]
    for name in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple",
                 "sky_blue", "black", "yellow")
)


def color_of(concept: str) -> str:
    """The site's colour of ``concept``: a part of the model (:data:`CONCEPT_COLORS`) or a
    roofline region (:data:`REGION_COLORS`).

    >>> color_of("mlp")
    '#E69F00'
    >>> color_of("plum")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: no site colour for 'plum'; ...
    """
    colors = CONCEPT_COLORS | REGION_COLORS
    if concept not in colors:
        raise WorkloadError(f"no site colour for {concept!r}; known: {', '.join(colors)}")
    return colors[concept]
