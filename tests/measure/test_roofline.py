"""The machine's roofline: the two roofs, the ridge, and the medians it is built on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure.bandwidth import BandwidthResult
from ai_workloads.measure.matmul import MatmulPoint
from ai_workloads.measure.roofline import MachineRoofline, largest_gemm, machine_roofline


@given(st.floats(1e6, 1e15), st.floats(1e6, 1e13), st.floats(1e-3, 1e5))
def test_attainable_is_min_of_peak_and_intensity_times_bandwidth(
        peak: float, bandwidth: float, intensity: float) -> None:
    roof = MachineRoofline(peak, bandwidth, 2**30)
    assert roof.attainable(intensity) == min(peak, intensity * bandwidth)


def test_roofline_on_arrays_and_at_the_ridge() -> None:
    roof = MachineRoofline(peak_flops=200e9, bandwidth=40e9, memory_bytes=2**34)
    assert roof.ridge_point == 5.0
    np.testing.assert_allclose(roof.attainable(np.array([0.5, 5.0, 50.0])),
                               [20e9, 200e9, 200e9])


def test_memory_roof_is_the_best_median_and_compute_roof_the_largest_gemm() -> None:
    bw = [BandwidthResult("copy", 10, 240, 2, (1e-8, 1e-8, 1e-6)),   # median 24 GB/s
          BandwidthResult("add", 10, 320, 2, (1e-8, 4e-9, 1e-8)),    # median 32 GB/s
          BandwidthResult("triad", 10, 320, 2, (1e-9, 2e-8, 2e-8))]  # one fast outlier
    mm = [MatmulPoint("gemm", 100, 100, 100, (1e-4, 1e-4)),    # 2e6 FLOPs: 20 GFLOP/s
          MatmulPoint("gemm", 200, 200, 200, (2e-3, 4e-3, 1e-3)),  # 1.6e7 FLOPs: median 8
          MatmulPoint("gemm", 150, 150, 150, (1e-5,))]         # faster, but not the largest
    roof = machine_roofline(bw, mm, memory_bytes=2**30)
    assert roof.bandwidth == pytest.approx(32e9)
    assert roof.peak_flops == pytest.approx(8e9)
    assert (roof.bandwidth_from, roof.peak_from) == ("add", "gemm n=200")
    assert largest_gemm(mm) is mm[1]


def test_roofline_rejects_empty_or_bad_inputs() -> None:
    with pytest.raises(WorkloadError, match="at least one bandwidth result"):
        machine_roofline([], [MatmulPoint("gemm", 2, 2, 2, (1.0,))])
    with pytest.raises(WorkloadError, match="at least one GEMM point"):
        largest_gemm([])
    with pytest.raises(WorkloadError, match="bandwidth must be a positive number"):
        MachineRoofline(1e9, 0.0, 1)
    with pytest.raises(WorkloadError, match="peak_flops must be a positive number"):
        MachineRoofline(math.nan, 1e9, 1)



def test_share_and_the_machine_as_an_accelerator() -> None:
    roof = MachineRoofline(peak_flops=100e9, bandwidth=20e9, memory_bytes=2**30)
    chip = roof.as_accelerator("box")
    assert (chip.name, chip.peak("fp32"), chip.bandwidth, chip.capacity_bytes) == (
        "box", 100e9, 20e9, 2**30)
    assert chip.ridge_point("fp32") == roof.ridge_point == 5.0
    assert roof.share(1.0, 10e9) == 0.5       # the roof is 20e9 at 1 FLOP/byte
    assert roof.share(10.0, 50e9) == 0.5      # and 100e9 past the ridge
    assert roof.to_dict()["ridge_point"] == 5.0
