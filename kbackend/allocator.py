"""Keep freed memory in the process instead of handing it back to the OS.

A train step allocates the same large scratch buffers every time (XLA's
temporaries, numpy's intermediates, ...). glibc's malloc serves blocks over
32 MiB with mmap and unmaps them on free, so the next step gets fresh pages
that the kernel zero-fills one by one on first touch: on jax, W3's 37 MiB of
temporaries cost ~9,000 page faults (10-15 ms) per step. So, on glibc: no
mmap for large blocks (they come from the heaps) and up to TRIM_THRESHOLD of
free memory kept at the top of a heap. Peak memory is unchanged; memory freed
after the peak stays reserved for the next step.
(Limiting the number of arenas would cut a few more faults but serializes
XLA's multi-threaded compiler: the first step got 30% slower.)

Set KBACKEND_MALLOC=system to leave malloc as it is.
"""

import ctypes
import ctypes.util
import os
import sys

TRIM_THRESHOLD = 512 << 20
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_applied = None


def keep_freed_memory():
    """Apply the settings once; True when glibc took them."""
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply():
    if os.environ.get("KBACKEND_MALLOC", "").lower() == "system" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # glibc only: these mallopt options are glibc's
        return False
    settings = ((_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return all(libc.mallopt(option, value) == 1 for option, value in settings)
