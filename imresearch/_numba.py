"""Numba switch: every kernel is plain Python jitted from it, and can run without Numba.

Set the environment variable ``IMRESEARCH_DISABLE_NUMBA=1`` (before import) to run kernels as
plain Python, e.g. to debug them or to check a jitted kernel against its twin. Compiled kernels
are cached on disk (``cache=True``), so a test run compiles each kernel once per machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

DISABLE_NUMBA = os.environ.get("IMRESEARCH_DISABLE_NUMBA", "0").lower() in ("1", "true", "yes")

if DISABLE_NUMBA:  # pragma: no cover - exercised by the no-numba CI variant
    prange = range

    def n_threads() -> int:
        """Number of threads a parallel kernel uses (1 without Numba)."""
        return 1

    def jit(*args: Any, **kwargs: Any) -> Any:
        """Identity decorator used when Numba is disabled."""
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return lambda func: func

else:
    import numba
    from numba import prange

    def jit(*args: Any, **kwargs: Any) -> Any:
        """``numba.njit`` with on-disk caching and fastmath off (bit-reproducible results)."""
        kwargs.setdefault("cache", True)
        kwargs.setdefault("nogil", True)
        return numba.njit(*args, **kwargs)

    def n_threads() -> int:
        """Number of threads a parallel kernel uses."""
        return int(numba.get_num_threads())


__all__ = ["DISABLE_NUMBA", "jit", "n_threads", "prange"]
