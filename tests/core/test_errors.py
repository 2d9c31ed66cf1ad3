"""The one exception type, and the positive-integer check every layer uses."""

from __future__ import annotations

import pytest

from ai_workloads.core.errors import WorkloadError, positive_int


def test_workload_error_is_a_value_error() -> None:
    # Callers catching ValueError (argparse, the CLI) also catch the package's errors.
    assert issubclass(WorkloadError, ValueError)
    with pytest.raises(ValueError, match="bad batch"):
        raise WorkloadError("bad batch")


def test_the_message_is_the_text_given() -> None:
    assert str(WorkloadError("context must be a positive integer, got 0")) == (
        "context must be a positive integer, got 0")


@pytest.mark.parametrize("value", [1, 4096, 2**70])
def test_positive_int_returns_the_value(value: int) -> None:
    assert positive_int("context", value) == value
    assert type(positive_int("context", value)) is int


@pytest.mark.parametrize("value", [0, -1, True, False, 1.0, 2.5, "8", None, [8]])
def test_positive_int_rejects_everything_else(value: object) -> None:
    with pytest.raises(WorkloadError) as info:
        positive_int("batch", value)
    assert str(info.value) == f"batch must be a positive integer, got {value!r}"
