"""What the measurements ran on: the CPU, its cores, caches and memory, NumPy, BLAS, the load.

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
    ``last_level_cache_bytes`` is the size of the largest caches, summed over the machine
    (0 where the system does not say).
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
    last_level_cache_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        >>> machine_info().to_dict()["numpy"] == np.__version__
        True
        """
        return {"cpu": self.cpu, "cores": self.cores, "memory_bytes": self.memory_bytes,
                "system": self.system, "python": self.python, "numpy": self.numpy,
                "blas": self.blas, "blas_env": dict(self.blas_env),
                "load_average": self.load_average,
                "last_level_cache_bytes": self.last_level_cache_bytes}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MachineInfo:
        """The description that :meth:`to_dict` wrote.

        >>> info = machine_info()
        >>> MachineInfo.from_dict(info.to_dict()) == info
        True
        """
        return cls(cpu=str(data["cpu"]), cores=int(data["cores"]),
                   memory_bytes=int(data["memory_bytes"]), system=str(data["system"]),
                   python=str(data["python"]), numpy=str(data["numpy"]),
                   blas=str(data["blas"]),
                   blas_env=MappingProxyType(dict(data.get("blas_env", {}))),
                   load_average=float(data.get("load_average", 0.0)),
                   last_level_cache_bytes=int(data.get("last_level_cache_bytes", 0)))


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


def _cache_size_bytes(text: str) -> int:
    """Bytes of a cache size as Linux writes it (``32768K``, ``1M`` or plain bytes).

    >>> _cache_size_bytes("32768K"), _cache_size_bytes("2M"), _cache_size_bytes("512")
    (33554432, 2097152, 512)
    """
    text = text.strip().upper()
    scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
    return int(text.rstrip("KMG")) * scale


def last_level_cache_bytes(root: str = "/sys/devices/system/cpu") -> int:
    """Bytes of the machine's last-level caches, each shared cache counted once (0: unknown).

    >>> last_level_cache_bytes() >= 0, last_level_cache_bytes("/nonexistent")
    (True, 0)
    """
    caches: dict[int, dict[str, int]] = {}
    try:
        cpus = [entry for entry in os.listdir(root)
                if entry.startswith("cpu") and entry[3:].isdigit()]
        for cpu in cpus:
            base = os.path.join(root, cpu, "cache")
            for index in os.listdir(base):
                if not index.startswith("index"):
                    continue
                path = os.path.join(base, index)
                with open(os.path.join(path, "type"), encoding="ascii") as f:
                    if f.read().strip() == "Instruction":
                        continue
                with open(os.path.join(path, "level"), encoding="ascii") as f:
                    level = int(f.read())
                with open(os.path.join(path, "shared_cpu_list"), encoding="ascii") as f:
                    shared = f.read().strip()
                with open(os.path.join(path, "size"), encoding="ascii") as f:
                    caches.setdefault(level, {})[shared] = _cache_size_bytes(f.read())
    except (OSError, ValueError):
        return 0
    return sum(caches[max(caches)].values()) if caches else 0


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
    return MachineInfo(
        cpu=_cpu_model(),
        cores=usable_cores(),
        memory_bytes=physical_memory_bytes(),
        system=f"{platform.system()} {platform.machine()}",
        python=platform.python_version(),
        numpy=np.__version__,
        blas=_blas_name(),
        blas_env=MappingProxyType({k: v for k, v in sorted(os.environ.items())
                                   if k.startswith(BLAS_ENV_PREFIXES)}),
        load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0,
        last_level_cache_bytes=last_level_cache_bytes(),
    )


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1.

    >>> usable_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
