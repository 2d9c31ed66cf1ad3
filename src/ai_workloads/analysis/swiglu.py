"""Llama's SwiGLU hidden size ``F``, step by step, and the classic MLP it replaces.

A gated MLP has three ``D × F`` matrices where a classic one has two ``D × 4D``; Meta's
rule picks ``F`` near ``8D/3`` to keep the parameter budget, rounded up to a multiple.

>>> swiglu_hidden_size(4096)   # Llama 2 7B: int(8·4096/3) = 10922, up to 43 · 256
11008
>>> classic_mlp_params(4096)   # two 4096 × 16384 matrices
134217728
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int


@dataclass(frozen=True, slots=True)
class SwigluSizing:
    """The steps of Llama's rule for the SwiGLU hidden size ``F``.

    ``two_thirds`` is ``int(2·4D/3)`` (the 8D/3 that keeps 3 matrices at the parameter
    budget of a classic 4D MLP), ``scaled`` applies the optional ``ffn_dim_multiplier``,
    and ``d_ff`` rounds up to a multiple of ``multiple_of``.

    >>> s = swiglu_sizing(8192, multiple_of=4096, ffn_dim_multiplier=1.3)
    >>> s.two_thirds, s.scaled, s.d_ff
    (21845, 28398, 28672)
    """

    d_model: int
    multiple_of: int
    ffn_dim_multiplier: float | None
    two_thirds: int
    scaled: int
    d_ff: int

    @property
    def multiples(self) -> int:
        """``d_ff`` in units of ``multiple_of``."""
        return self.d_ff // self.multiple_of

    @property
    def exact_two_thirds(self) -> float:
        """``8D/3`` before truncation (for display).

        >>> round(swiglu_sizing(4096).exact_two_thirds, 2)
        10922.67
        """
        return 8 * self.d_model / 3

    @property
    def exact_multiples(self) -> float:
        """``scaled / multiple_of`` before rounding up (for display).

        >>> round(swiglu_sizing(4096).exact_multiples, 2)
        42.66
        """
        return self.scaled / self.multiple_of


def swiglu_sizing(d_model: int, multiple_of: int = 256,
                  ffn_dim_multiplier: float | None = None) -> SwigluSizing:
    """Llama's SwiGLU hidden size, step by step, as Meta's reference code computes it.

    ``F = multiple_of · ceil(m · int(8D/3) / multiple_of)`` with ``m`` the optional
    multiplier (the product truncated to an integer, as the reference code does).

    >>> s = swiglu_sizing(4096)
    >>> s.two_thirds, s.multiples, s.d_ff
    (10922, 43, 11008)
    >>> swiglu_sizing(4096, ffn_dim_multiplier=0)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: ffn_dim_multiplier must be a positive number, got 0
    """
    positive_int("d_model", d_model)
    positive_int("multiple_of", multiple_of)
    if ffn_dim_multiplier is not None and (
            isinstance(ffn_dim_multiplier, bool)
            or not isinstance(ffn_dim_multiplier, int | float) or ffn_dim_multiplier <= 0):
        raise WorkloadError(
            f"ffn_dim_multiplier must be a positive number, got {ffn_dim_multiplier!r}")
    two_thirds = 8 * d_model // 3  # int(2 * (4 * D) / 3), exactly
    scaled = two_thirds if ffn_dim_multiplier is None else int(ffn_dim_multiplier * two_thirds)
    d_ff = multiple_of * -(-scaled // multiple_of)  # round up to a multiple
    return SwigluSizing(d_model, multiple_of, ffn_dim_multiplier, two_thirds, scaled, d_ff)


def swiglu_hidden_size(d_model: int, multiple_of: int = 256,
                       ffn_dim_multiplier: float | None = None) -> int:
    """Llama's SwiGLU hidden size ``F`` for model width ``D`` (see :func:`swiglu_sizing`).

    >>> swiglu_hidden_size(5120), swiglu_hidden_size(16384, 4096, 1.2)
    (13824, 53248)
    """
    return swiglu_sizing(d_model, multiple_of, ffn_dim_multiplier).d_ff


#: Meta's ``multiple_of`` and ``ffn_dim_multiplier`` of the catalog's Llama checkpoints,
#: as published in each checkpoint's ``params.json`` (collected in meta-llama/llama-models,
#: ``models/sku_list.py``: https://github.com/meta-llama/llama-models).
LLAMA_FFN_ARGS: dict[str, tuple[int, float | None]] = {
    "llama-2-7b": (256, None),
    "llama-2-13b": (256, None),
    "llama-2-70b": (4096, 1.3),
    "llama-3-8b": (1024, 1.3),
    "llama-3-70b": (4096, 1.3),
    "llama-3.1-405b": (4096, 1.2),
    "llama-3.2-1b": (256, 1.5),
}
#: Where :data:`LLAMA_FFN_ARGS` come from.
LLAMA_FFN_ARGS_SOURCE = (
    "https://github.com/meta-llama/llama-models/blob/main/models/sku_list.py")


@dataclass(frozen=True, slots=True)
class FfnRuleCheck:
    """Llama's size rule applied to a catalog model, beside the catalog's ``d_ff``."""

    model: str
    sizing: SwigluSizing
    catalog_d_ff: int

    @property
    def matches(self) -> bool:
        """True when the rule gives the checkpoint's ``d_ff``."""
        return self.sizing.d_ff == self.catalog_d_ff


def llama_ffn_checks(configs: Sequence[TransformerConfig]) -> list[FfnRuleCheck]:
    """The SwiGLU size rule checked against each Llama config, with Meta's published
    arguments for it from :data:`LLAMA_FFN_ARGS` (looked up by the config's name).

    >>> from ai_workloads.catalog import get_model
    >>> checks = llama_ffn_checks([get_model(name) for name in LLAMA_FFN_ARGS])
    >>> [(c.model, c.sizing.d_ff, c.matches) for c in checks][:3]
    [('llama-2-7b', 11008, True), ('llama-2-13b', 13824, True), ('llama-2-70b', 28672, True)]
    >>> llama_ffn_checks([get_model("mistral-7b")])
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: no published multiple_of for 'mistral-7b'; ...
    """
    checks = []
    for cfg in configs:
        if cfg.name not in LLAMA_FFN_ARGS:
            raise WorkloadError(f"no published multiple_of for {cfg.name!r}; known: "
                                f"{', '.join(LLAMA_FFN_ARGS)}")
        multiple_of, multiplier = LLAMA_FFN_ARGS[cfg.name]
        checks.append(FfnRuleCheck(cfg.name, swiglu_sizing(cfg.d_model, multiple_of,
                                                           multiplier), cfg.d_ff))
    return checks


def classic_mlp_params(d_model: int, expansion: int = 4) -> int:
    """Weights of a classic ungated MLP with ``F = expansion·D``: ``2·expansion·D²``.

    >>> classic_mlp_params(4096)   # 2 · 4096 · 16384
    134217728
    """
    positive_int("d_model", d_model)
    positive_int("expansion", expansion)
    return 2 * expansion * d_model * d_model


def ffn_param_ratio(cfg: TransformerConfig, expansion: int = 4) -> float:
    """One layer's MLP parameters over those of a classic ungated MLP with ``F = 4D``.

    A classic MLP has two ``D × expansion·D`` matrices (biases ignored on both sides);
    a SwiGLU MLP with ``F = 8D/3`` has three ``D × F`` matrices and the same count.

    >>> from ai_workloads.catalog import get_model
    >>> round(ffn_param_ratio(get_model("llama-2-7b")), 4)   # 3·11008 / (2·16384)
    1.0078
    """
    matrices = 3 if cfg.gated_mlp else 2
    mlp = matrices * cfg.n_experts * cfg.d_model * cfg.d_ff
    return mlp / classic_mlp_params(cfg.d_model, expansion)
