"""K.variable / kbackend.Variable and the K value helpers, on the active engine."""

import numpy as np
import pytest

import kbackend as K
from kbackend import StatelessScope, Variable


def npv(x):
    return np.asarray(K.eval(x))


def test_variable_defaults_to_floatx_and_keeps_its_name():
    v = K.variable([[1, 2], [3, 4]], name="kernel")
    assert v.dtype == "float32" and v.shape == (2, 2) and v.ndim == 2
    assert v.name == "kernel" and v.trainable
    np.testing.assert_array_equal(v.numpy(), [[1, 2], [3, 4]])
    assert K.is_variable(v) and not K.is_variable(v.value)
    assert K.is_tensor(v.value)
    assert K.dtype(v) == "float32"


def test_variable_class_infers_integer_dtype():
    v = Variable(np.arange(3, dtype="int64"), trainable=False)
    assert v.dtype == "int64" and not v.trainable
    assert K.dtype(v.value) == "int64"


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "@", "<", "<=", ">", ">=", "==", "!="])
def test_operators_match_numpy(op):
    a = np.array([[1.5, -2.0], [3.0, 0.5]], np.float32)
    b = np.array([[0.5, 2.0], [3.0, 1.5]], np.float32)
    va, vb = K.variable(a), K.variable(b)  # noqa: F841 (used inside eval)
    expected = eval(f"a {op} b")
    for result in (eval(f"va {op} vb"), eval(f"va {op} b"), eval(f"a {op} vb")):
        assert K.is_tensor(result)
        np.testing.assert_allclose(npv(result), expected, rtol=1e-6)


def test_scalar_operators_and_unary():
    v = K.variable([1.0, -2.0, 4.0])
    np.testing.assert_allclose(npv(2.0 - v), [1.0, 4.0, -2.0])
    np.testing.assert_allclose(npv(v / 2), [0.5, -1.0, 2.0])
    np.testing.assert_allclose(npv(-v), [-1.0, 2.0, -4.0])
    np.testing.assert_allclose(npv(abs(v)), [1.0, 2.0, 4.0])
    np.testing.assert_allclose(npv(v[1:]), [-2.0, 4.0])
    assert K.dtype(v * 3) == "float32" and K.dtype(v * 3.5) == "float32"


def test_assign_family_and_shape_errors():
    v = K.variable(np.zeros((2, 3)), name="w")
    v.assign(np.ones((2, 3)))
    v.assign_add(np.full((2, 3), 2.0))
    v.assign_sub(np.full((2, 3), 0.5))
    np.testing.assert_allclose(v.numpy(), np.full((2, 3), 2.5))
    assert v.dtype == "float32"
    with pytest.raises(ValueError, match=r"variable 'w' of shape \(2, 3\)"):
        v.assign(np.ones((3, 2)))


def test_value_helpers():
    a, b = K.variable([1.0, 2.0]), K.variable(np.eye(2))
    K.set_value(a, [5.0, 6.0])
    K.batch_set_value([(b, np.full((2, 2), 3.0))])
    got_a, got_b = K.batch_get_value([a, b])
    np.testing.assert_allclose(got_a, [5.0, 6.0])
    np.testing.assert_allclose(K.get_value(b), np.full((2, 2), 3.0))
    assert K.count_params(b) == 4
    np.testing.assert_allclose(K.eval(K.constant([1, 2])), [1.0, 2.0])
    with pytest.raises(TypeError, match="needs a Variable"):
        K.set_value(K.constant(1.0), 2.0)


def test_stateless_scope_reads_and_records_without_touching_the_variable():
    v = K.variable([1.0, 2.0])
    with StatelessScope({v: K.constant([10.0, 20.0])}) as scope:
        np.testing.assert_allclose(npv(v * 2), [20.0, 40.0])
        v.assign(K.constant([7.0, 8.0]))
        np.testing.assert_allclose(npv(v.value), [7.0, 8.0])
    np.testing.assert_allclose(v.numpy(), [1.0, 2.0])
    (var, value), = scope.assignments()
    assert var is v
    np.testing.assert_allclose(npv(value), [7.0, 8.0])


def test_variable_reads_inside_jit_see_assignments():
    v = K.variable([1.0, 2.0])
    fn = K.jit(lambda x: K.add(v.value, x))
    np.testing.assert_allclose(npv(fn(K.constant([1.0, 1.0]))), [2.0, 3.0])
    v.assign([5.0, 5.0])
    np.testing.assert_allclose(npv(fn(K.constant([1.0, 1.0]))), [6.0, 6.0])
