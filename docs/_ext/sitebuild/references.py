"""Cross-references of the API reference: short names, type aliases, attribute docstrings.

Docstrings name the package's classes and functions by their short name
(``:class:`WorkloadError```), which Sphinx's Python domain finds only with a leading dot;
:func:`resolve_short_name` retries such a reference as if it had one. A type variable or
alias that signatures mention has no entry of its own and is shown as plain text. napoleon
is kept away from attribute docstrings, whose first line it would read as a type.

>>> is_type_alias("typing.AnyStr")
True
"""

from __future__ import annotations

import builtins
import importlib
import typing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def is_type_alias(dotted: str) -> bool:
    """True if ``dotted`` names a module-level type variable or type alias.

    >>> is_type_alias("typing.AnyStr"), is_type_alias("json.JSONDecodeError")
    (True, False)
    >>> is_type_alias("no_such_module.Name"), is_type_alias("bytes")
    (False, False)
    """
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        return False
    try:
        value = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        return False
    alias_types = (typing.TypeVar, typing.ParamSpec, typing.TypeVarTuple)
    if isinstance(value, alias_types) or type(value).__name__ == "TypeAliasType":
        return True
    return typing.get_origin(value) is not None


def resolve_short_name(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """``missing-reference``: let ``:class:`WorkloadError``` find the one object so named.

    A unique match wins; several matches are reported as ambiguous. A builtin such as
    ``bytes`` or a type alias is shown as plain text.

    >>> resolve_short_name(None, None, {"refdomain": "std"}, "text") is None  # not Python
    True
    """
    if node.get("refdomain") != "py":
        return None
    if is_type_alias(node["reftarget"]) or hasattr(builtins, node["reftarget"]):
        return contnode  # a builtin such as ``bytes`` is never a package attribute
    if node.hasattr("refspecific"):
        return None
    retry = node.deepcopy()
    retry["refspecific"] = True
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], node["reftarget"], retry, contnode
    )


def napoleon_skips_attributes(app: Sphinx) -> None:
    """Keep napoleon away from attribute, data and property docstrings.

    napoleon reads the first line of such a docstring as ``type: description``, so a
    sentence with a colon ("Parameters one token uses: ...") would become a bogus type.

    >>> callable(napoleon_skips_attributes)
    True
    """
    from sphinx.ext import napoleon

    for listener in list(app.events.listeners.get("autodoc-process-docstring", [])):
        if listener.handler is not napoleon._process_docstring:
            continue
        app.disconnect(listener.id)

        def process(app: Sphinx, what: Any, name: str, obj: Any, options: Any,
                    lines: list[str]) -> None:
            if what not in ("attribute", "data", "property"):
                napoleon._process_docstring(app, what, name, obj, options, lines)

        app.connect("autodoc-process-docstring", process, priority=listener.priority)
