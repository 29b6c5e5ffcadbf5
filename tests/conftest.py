"""The suite runs once per engine: KERAS_BACKEND picks it (numpy by default).

The user's own keras.json must not change test results, so KERAS_HOME points
at an empty folder for the whole run (before kbackend reads its config).

XLA (the jax engine) compiles one small program per eager op and shape and one
per jitted step, and compiling is most of the jax pass's time. The tests run
tiny arrays, so XLA's optimising passes cost far more than they save: the run
compiles with LLVM at -O0 (jax's `jax_disable_most_optimizations`) and with the
quicker code generators below. Both are read when jax starts, so they are set
before kbackend imports it; flags the caller already put in XLA_FLAGS come last
and so win. A test that computes much (a model trained on thousands of images)
runs slower unoptimised than optimising costs: mark it `heavy_compute` and it
compiles with LLVM's full optimisation.
"""

import os
import tempfile

import pytest

os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="kbackend-tests-home-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
FAST_COMPILE_FLAGS = (
    "--xla_llvm_disable_expensive_passes=true",  # skip LLVM's costly passes
    "--xla_cpu_use_fusion_emitters=false",  # the older fusion code generator, quicker to run
    "--xla_cpu_parallel_codegen_split_count=1",  # one LLVM module: no splitting for threads the run lacks
)
os.environ["XLA_FLAGS"] = " ".join(FAST_COMPILE_FLAGS + (os.environ.get("XLA_FLAGS", ""),)).strip()

import kbackend as K  # noqa: E402


def pytest_report_header(config):
    return f"kbackend engine: {K.backend()}"


def pytest_configure(config):
    config.addinivalue_line("markers", "heavy_compute: compile this test's programs with XLA's full optimisation")


@pytest.fixture(autouse=True)
def _full_xla_optimisation_for_heavy_compute(request):
    if K.backend() != "jax" or request.node.get_closest_marker("heavy_compute") is None:
        yield
        return
    import jax  # the active engine: already imported

    # read at each compilation, so it covers exactly the programs this test compiles
    previous = jax.config.values["jax_disable_most_optimizations"]
    jax.config.update("jax_disable_most_optimizations", False)
    try:
        yield
    finally:
        jax.config.update("jax_disable_most_optimizations", previous)
