"""The malloc thresholds `refine` sets for a run (`refine.memory`)."""

import ctypes
import platform

import pytest

from refine import memory


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_thresholds_are_set_on_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    calls = []
    real = ctypes.CDLL

    class Recording:
        def __init__(self, name):
            self._lib = real(name)

        def mallopt(self, param, value):
            calls.append((param, value))
            return self._lib.mallopt(param, value)

    monkeypatch.setattr(memory.ctypes, "CDLL", Recording)
    assert memory.return_freed_memory()
    # above the network's per-batch buffers (a few MB), so they are reused rather than faulted in anew
    assert calls == [(-3, memory.THRESHOLD_BYTES), (-1, memory.THRESHOLD_BYTES)]
    assert memory.THRESHOLD_BYTES >= 8 * 1024 * 1024


def test_the_environment_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert memory.return_freed_memory() is False
