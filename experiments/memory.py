"""The memory a run needs, checked before its model is built: too big a population is one line.

A run's memory grows with its population: each developer's own arrays (region, segment,
provider, tenure, tokens, ...) and, most of all, its ties in the network, which is built as
pairs of 64-bit ids before it is packed into a sparse matrix. Measured on this project's machine
(peak resident memory of the model built and stepped, above the interpreter's, from 100,000 to
2,000,000 developers): about 83 bytes per developer plus 61 per tie of its network degree (570
bytes at the default degree of 8, 6.2 kB at the highest, 100). :func:`run_bytes` rounds both
up and adds :data:`MARGIN`.

What is available is the least of what the system can still give (``MemAvailable`` in
``/proc/meminfo``, else the free pages ``os.sysconf`` reports), what this process's control
group may still take, and what its address-space limit (``ulimit -v``, where NumPy's
allocations end in ``MemoryError``) leaves. Where none of these can be read, nothing is checked.
"""

import os
from collections.abc import Iterable
from pathlib import Path

from scenario.scenario import Scenario
from vocabulary.errors import InputError

BYTES_PER_DEVELOPER = 100
"""Memory a run takes per developer, whatever its network (measured: about 83)."""
BYTES_PER_TIE = 64
"""Memory a run takes per developer per unit of network degree (measured: about 61)."""
MARGIN = 1.25
"""How much more than measured a run is assumed to take: other machines, other libraries."""
_PROC = Path("/proc")
_CGROUP = Path("/sys/fs/cgroup")


def run_bytes(scenario: Scenario) -> int:
    """The memory a run of ``scenario`` needs at its peak, beyond the interpreter's: an estimate."""
    per_developer = BYTES_PER_DEVELOPER + BYTES_PER_TIE * scenario.network.degree
    return int(scenario.developers * per_developer * MARGIN)


def check_memory(scenarios: Iterable[Scenario], at_once: int | None = 1) -> None:
    """Refuse runs whose models cannot fit in the memory available, before any is built.

    Args:
        scenarios: the scenarios to be run (the largest is checked).
        at_once: how many of them run at the same time on this machine (local worker
            processes), each in its own process: together they share the system's memory,
            while each process has an address-space limit of its own. None when they run
            elsewhere (a Dask cluster's workers), where nothing is checked.

    Raises:
        InputError: the largest run, or ``at_once`` of them, need more than is available.
    """
    largest = max(scenarios, key=run_bytes, default=None)
    if largest is None or at_once is None:
        return
    need = run_bytes(largest)
    own = _address_space_left()
    if own is not None and need > own:
        raise InputError(_too_big(largest, need, own, 1))
    shared = min(
        (left for left in (_system_available(), _cgroup_left()) if left is not None),
        default=None,
    )
    if shared is not None and need * at_once > shared:
        raise InputError(_too_big(largest, need * at_once, shared, at_once))


def _too_big(scenario: Scenario, need: int, available: int, at_once: int) -> str:
    """The one line saying that ``at_once`` runs of ``scenario`` cannot fit, and what would."""
    fit = int(scenario.developers * available / need)
    runs = "a run needs" if at_once == 1 else f"{at_once} runs at once (one a process) need"
    fewer = "fewer developers" if at_once == 1 else "fewer --workers or developers"
    return (
        f"--developers {scenario.developers:,}: {runs} about "
        f"{_gigabytes(need)} of memory, and {_gigabytes(available)} is available; use "
        f"{fewer} (about {fit:,} developers fit)"
    )


def _gigabytes(size: int) -> str:
    return f"{size / 1e9:.1f} GB"


def _system_available() -> int | None:
    """The memory the system can still give without swapping: ``MemAvailable``, or free pages."""
    try:
        for line in (_PROC / "meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_left() -> int | None:
    """What this process's control group (v2) may still take, if it has a memory limit."""
    try:
        lines = (_PROC / "self" / "cgroup").read_text().splitlines()
        group = next(line[3:] for line in lines if line.startswith("0::"))
        folder = _CGROUP / group.lstrip("/")
        limit = (folder / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int((folder / "memory.current").read_text())
    except (OSError, ValueError, StopIteration):
        return None


def _address_space_left() -> int | None:
    """What this process's address-space limit (``ulimit -v``) leaves, if it has one."""
    try:
        import resource
    except ImportError:  # not a Unix
        return None
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit == resource.RLIM_INFINITY:
        return None
    try:
        for line in (_PROC / "self" / "status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return limit - int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
