"""The package's one exception type.

Every bad input the package can detect (a malformed config, an unknown model, a
non-positive size) raises :class:`WorkloadError`, so callers, and the command line,
can report it as one clear line.

>>> try:
...     raise WorkloadError("batch must be a positive integer, got 0")
... except WorkloadError as err:
...     print(err)
batch must be a positive integer, got 0
"""

from __future__ import annotations


class WorkloadError(ValueError):
    """A bad input: the message says what is wrong and how to fix it."""


def positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is a positive integer, else raise :class:`WorkloadError`.

    >>> positive_int("context", 4096)
    4096
    >>> positive_int("context", 0)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: context must be a positive integer, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise WorkloadError(f"{name} must be a positive integer, got {value!r}")
    return value


def parse_positive_int(text: str) -> int:
    """The positive whole number written in ``text`` (decimal), else a one-line error.

    The command line's and the calculator's rule for typed sizes (batch, context, devices).

    >>> parse_positive_int("4096")
    4096
    >>> parse_positive_int("0")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: expected a positive integer, got '0'
    """
    try:
        value = int(text, 10)
    except (TypeError, ValueError):
        raise WorkloadError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise WorkloadError(f"expected a positive integer, got {text!r}")
    return value
