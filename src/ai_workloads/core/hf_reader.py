"""Reading the keys of a Hugging Face ``config.json``, one clear error per bad key.

>>> r = Reader({"model_type": "llama", "hidden_size": 64, "rope_theta": None}, "cfg.json")
>>> r.int("hidden_size"), r.float("rope_theta", 10000.0), r.present("rope_theta")
(64, 10000.0, False)
>>> r.int("num_hidden_layers")
Traceback (most recent call last):
...
ai_workloads.core.errors.WorkloadError: cfg.json: missing key 'num_hidden_layers' required ...
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import WorkloadError


class Reader:
    """Reads keys of one config dict, naming the file and key in every error.

    ``null`` values count as absent; ``families`` lists the supported families for the
    message about a missing key.
    """

    def __init__(self, raw: Mapping[str, Any], where: str,
                 families: Sequence[str] = ()) -> None:
        self.raw = raw
        self.where = where
        self.families = tuple(families)

    def fail(self, message: str) -> WorkloadError:
        """An error about this config.

        >>> str(Reader({}, "cfg.json").fail("bad"))
        'cfg.json: bad'
        """
        return WorkloadError(f"{self.where}: {message}")

    def present(self, key: str) -> bool:
        """Whether ``key`` is there and not ``null``.

        >>> Reader({"a": None}, "cfg").present("a")
        False
        """
        return key in self.raw and self.raw[key] is not None

    def int(self, *keys: str, default: int | None = None) -> int:
        """The first of ``keys`` present, a positive integer; else ``default``.

        >>> r = Reader({"n": 4, "zero": 0, "on": True, "x": 1.5, "s": "gelu", "ls": [0, 2]}, "cfg")
        >>> r.int("missing", "n"), r.int("missing", default=7)
        (4, 7)
        """
        for key in keys:
            if self.present(key):
                value = self.raw[key]
                if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                    raise self.fail(f"key '{key}' must be a positive integer, got {value!r}")
                return value
        if default is not None:
            return default
        family = self.raw.get("model_type")
        supported = f" (supported families: {', '.join(self.families)})" if self.families else ""
        raise self.fail(f"missing key '{keys[0]}' required for model_type '{family}'"
                        f"{supported}")

    def count(self, key: builtins.str, default: builtins.int = 0) -> builtins.int:
        """A non-negative integer (0 allowed, e.g. no experts); ``default`` when absent.

        >>> r = Reader({"n": 4, "zero": 0, "on": True, "x": 1.5, "s": "gelu", "ls": [0, 2]}, "cfg")
        >>> r.count("zero"), r.count("missing", 3)
        (0, 3)
        """
        if not self.present(key):
            return default
        value = self.raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"key '{key}' must be a non-negative integer, got {value!r}")
        return value

    def bool(self, key: str, default: bool) -> bool:
        """A true/false key; ``default`` when absent.

        >>> r = Reader({"n": 4, "zero": 0, "on": True, "x": 1.5, "s": "gelu", "ls": [0, 2]}, "cfg")
        >>> r.bool("on", False), r.bool("missing", False)
        (True, False)
        """
        if not self.present(key):
            return default
        value = self.raw[key]
        if not isinstance(value, bool):
            raise self.fail(f"key '{key}' must be true or false, got {value!r}")
        return value

    def float(self, key: str, default: float) -> float:
        """A number; ``default`` when absent.

        >>> r = Reader({"n": 4, "zero": 0, "on": True, "x": 1.5, "s": "gelu", "ls": [0, 2]}, "cfg")
        >>> r.float("x", 0.0), r.float("n", 0.0)
        (1.5, 4.0)
        """
        if not self.present(key):
            return default
        value = self.raw[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"key '{key}' must be a number, got {value!r}")
        return float(value)

    def str(self, *keys: str, default: str) -> str:
        """The first of ``keys`` present, as a string; else ``default``.

        >>> r = Reader({"n": 4, "zero": 0, "on": True, "x": 1.5, "s": "gelu", "ls": [0, 2]}, "cfg")
        >>> r.str("missing", "s", default="silu")
        'gelu'
        """
        for key in keys:
            if self.present(key):
                return str(self.raw[key])
        return default

    def list(self, key: builtins.str) -> builtins.list[Any] | None:
        """A JSON list, or ``None`` when absent.

        >>> r = Reader({"n": 4, "zero": 0, "on": True, "x": 1.5, "s": "gelu", "ls": [0, 2]}, "cfg")
        >>> r.list("ls"), r.list("missing")
        ([0, 2], None)
        """
        if not self.present(key):
            return None
        value = self.raw[key]
        if not isinstance(value, list):
            raise self.fail(f"key '{key}' must be a list, got {value!r}")
        return value

    def int_list(self, key: builtins.str) -> builtins.list[builtins.int] | None:
        """A list of non-negative integers, or ``None`` when absent.

        >>> Reader({"moe_layers": [1, "x"]}, "cfg").int_list("moe_layers")
        Traceback (most recent call last):
        ...
        ai_workloads.core.errors.WorkloadError: cfg: key 'moe_layers' must list non-negative ...
        """
        values = self.list(key)
        if values is None:
            return None
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise self.fail(f"key '{key}' must list non-negative integers, got {value!r}")
        return values


def split_heads(d_model: int, n_heads: int, where: str) -> int:
    """``D / N``, or an error asking for an explicit ``head_dim``.

    >>> split_heads(4096, 32, "cfg")
    128
    """
    if d_model % n_heads:
        raise WorkloadError(
            f"{where}: hidden size {d_model} is not divisible by {n_heads} heads; "
            "give 'head_dim' explicitly")
    return d_model // n_heads
