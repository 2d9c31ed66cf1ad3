"""What the measurements ran on: the CPU, its cores and memory, NumPy and its BLAS, the load.

Nothing here is timed. A description is taken with every measurement, so that a result
says which machine, which library and how busy a machine it came from.

>>> info = machine_info()
>>> info.cores >= 1, info.numpy == np.__version__
(True, True)
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

#: Environment variables that change how BLAS runs; recorded (never changed) with results.
BLAS_ENV_PREFIXES: tuple[str, ...] = ("OPENBLAS_", "OMP_", "MKL_", "BLIS_", "GOTO_")


@dataclass(frozen=True, slots=True)
class MachineInfo:
    """What the measurements ran on: CPU, cores, memory, NumPy and its BLAS.

    ``load_average`` is the operating system's one-minute load average when the
    description was taken: near 0 on an idle machine, near ``cores`` or above when other
    work competes for the cores (and the measurements come out lower).
    """

    cpu: str
    cores: int
    memory_bytes: int
    system: str
    python: str
    numpy: str
    blas: str
    blas_env: Mapping[str, str] = field(default_factory=dict)
    load_average: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        >>> machine_info().to_dict()["numpy"] == np.__version__
        True
        """
        return {"cpu": self.cpu, "cores": self.cores, "memory_bytes": self.memory_bytes,
                "system": self.system, "python": self.python, "numpy": self.numpy,
                "blas": self.blas, "blas_env": dict(self.blas_env),
                "load_average": self.load_average}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as lines:
            for line in lines:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def physical_memory_bytes() -> int:
    """Bytes of physical memory of this machine (0 where the system does not say).

    >>> physical_memory_bytes() >= 0
    True
    """
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 0


def _blas_name() -> str:
    try:
        config: Any = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except (TypeError, KeyError, AttributeError):
        return "unknown BLAS"


def machine_info() -> MachineInfo:
    """Describe this machine (nothing is timed).

    >>> info = machine_info()
    >>> info.cores >= 1 and info.numpy == np.__version__
    True
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    return MachineInfo(
        cpu=_cpu_model(),
        cores=cores or os.cpu_count() or 1,
        memory_bytes=physical_memory_bytes(),
        system=f"{platform.system()} {platform.machine()}",
        python=platform.python_version(),
        numpy=np.__version__,
        blas=_blas_name(),
        blas_env=MappingProxyType({k: v for k, v in sorted(os.environ.items())
                                   if k.startswith(BLAS_ENV_PREFIXES)}),
        load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0,
    )
