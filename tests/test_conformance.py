"""Every protocol op against its float64 numpy reference on the active engine
(kbackend.conformance), plus dtype promotion, weak Python scalars and the
exception types of common misuse."""

import subprocess
import sys

import numpy as np
import pytest

import kbackend as K
from kbackend import dtypes, protocol
from kbackend.conformance import cases, runner

OWN_TEST_FILES = ("random", "autodiff", "control")


def test_every_op_has_a_case():
    covered = {c.op for c in cases.CASES} | set(cases.ELSEWHERE)
    needed = [n for n in protocol.names() if protocol.GROUPS[n] not in OWN_TEST_FILES]
    assert [n for n in needed if n not in covered] == []
    cases.by_name()  # case names are unique


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.name)
def test_op(case):
    result = runner.run_case(case)
    if "f32" in result.get("skipped", {}):  # an engine may leave cases of some ops to the caller's fallback
        pytest.skip(result["skipped"]["f32"])
    assert result["errors"]["f32"] is not None  # the forward pass always compares numbers
    report = "; ".join(f"[{mode}] {msg}" for mode, msg in result["failures"].items())
    assert not result["failures"], f"{case.name}: {report}"


def test_matrix_command_runs_the_active_engine_in_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "kbackend.conformance", "--engines", K.backend(),
                           "-k", "relu-rank0"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    header, row = proc.stdout.splitlines()[:2]
    assert header.split() == ["op"] + [f"{K.backend()}:{m}" for m in ("f32", "f16", "grad")]
    assert row.split()[0] == "relu" and float(row.split()[1]) <= 1e-5


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_gradient_splits_ties_evenly(op):
    x = np.array([1.0, 3.0, 3.0, -1.0]) * (1 if op == "max" else -1)
    _, g = K.value_and_grad(lambda v: getattr(K, op)(v))(K.convert_to_tensor(x))
    np.testing.assert_allclose(K.convert_to_numpy(g), [0.0, 0.5, 0.5, 0.0], atol=1e-12)


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------

def _ones(dtype, shape=(2, 2)):
    return K.ones(shape, dtype=dtype)


PROMOTED_OPS = {
    "add": (lambda a, b: K.add(a, b), 2),
    "multiply": (lambda a, b: K.multiply(a, b), 1),
    "maximum": (lambda a, b: K.maximum(a, b), 1),
    "where": (lambda a, b: K.where(K.convert_to_tensor([[True, False], [False, True]]), a, b), 1),
    "matmul": (lambda a, b: K.matmul(a, b), 2),
}


def _unsupported(op, a, b):
    """Why an engine cannot hold this pair, or None."""
    if op == "maximum" and (a in dtypes.COMPLEX or b in dtypes.COMPLEX):
        return "complex numbers have no order"
    return None


@pytest.mark.parametrize("first", dtypes.ALL)
@pytest.mark.parametrize("op", sorted(PROMOTED_OPS))
def test_binary_promotion_follows_result_type(op, first):
    fn, value = PROMOTED_OPS[op]
    wrong = []
    for second in dtypes.ALL:
        if _unsupported(op, first, second):
            continue
        expected = dtypes.result_type(first, second)
        # a bool result of add/matmul is a logical or
        want = 1 if expected == "bool" else value
        try:
            out = fn(_ones(first), _ones(second))
            got = K.dtype(out)
            values = np.asarray(K.convert_to_numpy(out)).astype(np.complex128)
        except Exception as e:
            wrong.append(f"{first}, {second}: {type(e).__name__}: {str(e)[:120]}")
            continue
        if got != expected or not np.all(values == want):
            wrong.append(f"{first}, {second}: {got} {values.ravel()[:2]}, expected {expected} {want}")
    assert wrong == []


@pytest.mark.parametrize("scalar", [True, 3, 2.5, 1.5j])
@pytest.mark.parametrize("dtype", dtypes.ALL)
def test_python_scalars_are_weak(dtype, scalar):
    expected = dtypes.result_type(dtype, scalar)
    assert K.dtype(K.add(_ones(dtype), scalar)) == expected
    assert K.dtype(K.multiply(scalar, _ones(dtype))) == expected


@pytest.mark.parametrize("scalar", [np.bool_(True), np.int64(3), np.float64(2.5), np.float32(0.5)])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "float16", "float32", "float64"])
def test_numpy_scalars_are_weak_in_ops_but_keep_their_dtype_alone(dtype, scalar):
    expected = dtypes.result_type(dtype, scalar.item())
    assert K.dtype(K.add(_ones(dtype), scalar)) == expected
    assert K.dtype(K.where(_ones("bool"), scalar, _ones(dtype))) == expected
    assert K.dtype(K.convert_to_tensor(scalar)) == scalar.dtype.name
    got = K.convert_to_numpy(K.multiply(scalar, _ones(dtype, (3,)))).astype("float64")
    np.testing.assert_allclose(got, np.full(3, float(scalar.item())), rtol=1e-3)


@pytest.mark.parametrize("dtype, scalar, expected", [
    ("int8", 3, "int8"), ("uint8", 1, "uint8"), ("float16", 2.5, "float16"),
    ("bfloat16", 2, "bfloat16"), ("int32", 2.5, "float32"), ("bool", 3, "int32"),
    ("float64", 1, "float64"), ("int64", 0.5, "float32"), ("complex64", 2.0, "complex64")])
def test_weak_scalar_examples(dtype, scalar, expected):
    assert K.dtype(K.add(_ones(dtype), scalar)) == expected
    assert K.dtype(K.subtract(scalar, _ones(dtype))) == expected


INTEGERS = ("bool",) + dtypes.UNSIGNED + dtypes.SIGNED


@pytest.mark.parametrize("floatx", ["float32", "float64"])
@pytest.mark.parametrize("dtype", INTEGERS)
def test_float_valued_ops_on_integers_give_floatx(dtype, floatx):
    previous = K.floatx()
    K.set_floatx(floatx)
    try:
        x = K.convert_to_tensor(np.array([1, 0, 1, 1]).astype(dtype))
        results = {"mean": K.mean(x), "sqrt": K.sqrt(x), "divide": K.divide(x, K.ones_like(x))}
        for name, out in results.items():
            assert K.dtype(out) == floatx, name
        np.testing.assert_allclose(K.convert_to_numpy(results["mean"]), 0.75)
        np.testing.assert_allclose(K.convert_to_numpy(results["sqrt"]), [1, 0, 1, 1])
    finally:
        K.set_floatx(previous)


def test_sum_of_bool_is_int32_and_argmax_is_int64():
    b = K.convert_to_tensor(np.array([[True, False, True], [True, True, True]]))
    s = K.sum(b)
    assert K.dtype(s) == "int32" and int(K.convert_to_numpy(s)) == 5
    assert K.dtype(K.sum(b, axis=0)) == "int32"
    for op in (K.argmax, K.argmin):
        i = op(K.convert_to_tensor(np.array([[0.5, 2.0, 1.0]], np.float32)))
        assert K.dtype(i) == "int64"
    np.testing.assert_array_equal(K.convert_to_numpy(K.argmax(np.array([[0.5, 2.0, 1.0]]))), [1])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_float_dtypes_keep_their_width(dtype):
    x = K.cast(K.convert_to_tensor(np.array([0.25, 1.0, 4.0])), dtype)
    for op in (K.sqrt, K.exp, K.tanh, K.mean, K.sum, K.sigmoid, K.softmax):
        assert K.dtype(op(x)) == dtype, op.__name__
    np.testing.assert_allclose(np.asarray(K.convert_to_numpy(K.sqrt(x)), np.float64), [0.5, 1.0, 2.0])


# ---------------------------------------------------------------------------
# misuse raises the same exception type everywhere
# ---------------------------------------------------------------------------

_IMAGE = np.zeros((1, 5, 5, 2), np.float32)
_KERNEL = np.zeros((3, 3, 2, 4), np.float32)

MISUSE = {
    "add-broadcast-mismatch": lambda: K.add(K.ones((3,)), K.ones((4,))),
    "add-broadcast-mismatch-2d": lambda: K.add(K.ones((2, 3)), K.ones((3, 2))),
    "matmul-mismatch": lambda: K.matmul(K.ones((2, 3)), K.ones((4, 5))),
    "reshape-wrong-size": lambda: K.reshape(K.ones((2, 3)), (4, 2)),
    "conv2d-bad-padding": lambda: K.conv2d(_IMAGE, _KERNEL, padding="full"),
    "conv1d-bad-padding": lambda: K.conv1d(_IMAGE[:, 0], _KERNEL[0], padding="full"),
    "conv2d-bad-data-format": lambda: K.conv2d(_IMAGE, _KERNEL, data_format="NHWC"),
    "pool2d-bad-padding": lambda: K.pool2d(_IMAGE, (2, 2), padding="bogus"),
    "pool2d-bad-data-format": lambda: K.pool2d(_IMAGE, (2, 2), data_format="channels_middle"),
    "pool2d-bad-mode": lambda: K.pool2d(_IMAGE, (2, 2), pool_mode="median"),
    "zeros-unknown-dtype": lambda: K.zeros((2,), dtype="float17"),
    "cast-unknown-dtype": lambda: K.cast(K.ones((2,)), "quaternion"),
    "conv2d-strides-and-dilation": lambda: K.conv2d(_IMAGE, _KERNEL, strides=(2, 2), dilation_rate=(2, 2)),
    "conv1d-strides-and-dilation": lambda: K.conv1d(_IMAGE[:, 0], _KERNEL[0], strides=2, dilation_rate=2),
    "conv2d-transpose-impossible-output-shape": lambda: K.conv2d_transpose(
        K.ones((1, 4, 4, 2)), K.ones((3, 3, 5, 2)), (1, 13, 13, 5), strides=(2, 2), padding="same",
        data_format="channels_last"),
}


@pytest.mark.parametrize("name", sorted(MISUSE))
def test_misuse_raises_value_error(name):
    with pytest.raises(ValueError):
        MISUSE[name]()
