"""kbackend.allocator: freed blocks are reused without new page faults (glibc)."""

import os
import resource
import subprocess
import sys
import textwrap

import pytest

from kbackend import allocator

BLOCK = 48 << 20  # above glibc's largest mmap threshold (32 MiB): unmapped on free by default
PAGES = BLOCK // resource.getpagesize()

# mallocs, touches and frees a BLOCK-sized buffer five times, in a thread (as an
# engine's worker would), and prints the page faults of the last four rounds
PROBE = textwrap.dedent(f"""
    import ctypes, ctypes.util, resource, threading
    import kbackend
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    counts = []
    def work():
        for _ in range(5):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            block = libc.malloc({BLOCK})
            ctypes.memset(block, 1, {BLOCK})
            counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
            libc.free(block)
    t = threading.Thread(target=work)
    t.start(); t.join()
    print(sum(counts[1:]))
""")

glibc_only = pytest.mark.skipif(not allocator.keep_freed_memory(), reason="needs Linux with glibc")


def _faults(env_extra):
    env = dict(os.environ, **env_extra)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


@glibc_only
def test_freed_large_blocks_are_reused_without_page_faults():
    kept = _faults({"KBACKEND_MALLOC": ""})
    assert kept < 0.05 * 4 * PAGES, f"{kept} page faults over 4 rounds of {PAGES} pages"


@glibc_only
def test_opt_out_leaves_malloc_alone():
    # the default glibc behaviour: every round faults its pages in again
    fresh = _faults({"KBACKEND_MALLOC": "system"})
    assert fresh > 0.9 * 4 * PAGES, f"{fresh} page faults over 4 rounds of {PAGES} pages"
