"""How many threads numpy's BLAS (OpenBLAS) uses, set at run time.

The tagger's network runs in numpy (`refine.tagger.runtime`) beside a second thread that embeds the
next batch; OpenBLAS would start a thread per core for its larger products and spin them between
calls, which on 1,000 real pages with two cores cost ~11 s of CPU time for no gain in wall time.
OPENBLAS_NUM_THREADS works only before numpy loads, so the library is found among those loaded and
told directly (as threadpoolctl does); a BLAS other than OpenBLAS is left as it is.
"""

from __future__ import annotations

import ctypes
import sys

# OpenBLAS's own name, its 64-bit-integer build's, and the scipy-openblas wheels' (numpy's own BLAS)
_SETTERS = ("openblas_set_num_threads", "openblas_set_num_threads64_", "scipy_openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads")


def _loaded_openblas() -> list[str]:
    """Paths of the OpenBLAS libraries mapped into this process (Linux; elsewhere none are found)."""
    import numpy  # noqa: F401 - loads the BLAS numpy was built with

    if not sys.platform.startswith("linux"):
        return []
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    except OSError:
        return []
    return sorted(paths)


def set_blas_threads(threads: int) -> bool:
    """Tell every loaded OpenBLAS to use `threads` threads; False when none was found."""
    done = False
    for path in _loaded_openblas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SETTERS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(int(threads))
                done = True
                break
    return done
