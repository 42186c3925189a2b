"""Fixed malloc thresholds: freed memory goes back to the operating system, but not block by block.

glibc raises its mmap threshold each time a large block is freed (up to 32 MB), after which the
tensors and arrays a refiner makes per batch come from the heap, and a heap fragmented by two
threads keeps its peak (~630 MB for the default refiner on 1,000 real pages). Fixed thresholds stop
that. They were first set at 256 KB, which held the peak at ~510 MB but sent every batch's network
buffers (a few MB each) back to the kernel and faulted them in again: 1.1 million page faults and
~3 s of system time on those pages. At 16 MB, with the tagger's batches kept below it
(`refine.tagger.infer.Tagger`), faults fell to ~0.1 million and system time to ~0.9 s at the same
peak (`bench/results/default_speed.md` has today's figures).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
THRESHOLD_BYTES = 16 * 1024 * 1024  # blocks this large are mmapped, and free heap this large is returned


def return_freed_memory() -> bool:
    """Fix glibc's trim and mmap thresholds for this process; False where the C library is not glibc
    (or the environment already sets them: MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_ win)."""
    if "MALLOC_TRIM_THRESHOLD_" in os.environ or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, THRESHOLD_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, THRESHOLD_BYTES))
