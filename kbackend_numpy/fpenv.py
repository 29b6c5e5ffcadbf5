"""Float32 denormals flushed to zero inside compiled (K.jit) functions.

XLA (jax, TensorFlow) and the torch engine's jit run with the CPU's
flush-to-zero and denormals-are-zero modes on; numpy has no switch for them.
Without them the moment estimates of units whose gradient stays ~0 decay
into denormals, which every numpy pass over them then handles dozens of
times slower: an Adam update of a 784x512 kernel takes twice as long when a
third of its momentum is denormal.

On x86-64 Linux the modes are two bits of the MXCSR register, part of the
calling thread's floating-point environment: saved with fegetenv, set, and
restored afterwards, so nothing outside the function sees them. Elsewhere
(other CPUs, other C libraries) `flushed` leaves the function as it is.
"""

import ctypes
import functools
import platform
import sys

_FTZ_DAZ = 0x8040  # MXCSR bits: flush-to-zero (15), denormals-are-zero (6)
_MXCSR = slice(28, 32)  # glibc and musl x86-64 fenv_t: the x87 environment (28 bytes), then mxcsr
_FENV_SIZE = 32


def _load_libm():
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    try:
        libm = ctypes.CDLL("libm.so.6")
        libm.fegetenv, libm.fesetenv  # noqa: B018 - both present, or no flushing
    except (OSError, AttributeError):
        return None
    return libm


_libm = _load_libm()


def flushed(fn):
    """fn, run with denormals flushed to zero (where the platform allows it)."""
    if _libm is None:
        return fn

    @functools.wraps(fn)
    def run_flushed(*args, **kwargs):
        saved = (ctypes.c_ubyte * _FENV_SIZE)()
        if _libm.fegetenv(saved) != 0:
            return fn(*args, **kwargs)
        flushing = (ctypes.c_ubyte * _FENV_SIZE).from_buffer_copy(saved)
        mxcsr = int.from_bytes(bytes(flushing[_MXCSR]), "little") | _FTZ_DAZ
        flushing[_MXCSR] = mxcsr.to_bytes(4, "little")
        _libm.fesetenv(flushing)
        try:
            return fn(*args, **kwargs)
        finally:
            _libm.fesetenv(saved)
    return run_flushed
