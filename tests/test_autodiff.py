"""K.gradients, K.value_and_grad, K.stop_gradient and K.jit on the active
engine, against gradients worked out by hand or by finite differences."""

import numpy as np
import pytest

import kbackend as K
from kbackend.conformance.references import central_difference as _fd

RNG = np.random.default_rng(99)
A = RNG.standard_normal((3, 2))
B = RNG.standard_normal((2,))
X = RNG.standard_normal((4, 3))


def npv(x):
    return np.asarray(K.convert_to_numpy(x))



# ---------------------------------------------------------------------------
# K.gradients
# ---------------------------------------------------------------------------

def test_gradients_of_variables():
    a = K.variable(A, dtype="float64")
    b = K.variable(B, dtype="float64")
    unused = K.variable(np.ones((2, 2), np.float32))

    def loss():
        return K.sum(K.square(K.add(K.dot(K.convert_to_tensor(X), a), b)))

    ga, gb, gu = K.gradients(loss, [a, b, unused])
    residual = X @ A + B
    np.testing.assert_allclose(npv(ga), 2 * X.T @ residual, rtol=1e-12)
    np.testing.assert_allclose(npv(gb), 2 * residual.sum(0), rtol=1e-12)
    # a variable the loss does not use gets zeros of its shape and dtype
    assert tuple(K.int_shape(gu)) == (2, 2) and K.dtype(gu) == "float32"
    np.testing.assert_array_equal(npv(gu), 0)
    # the variables are unchanged
    np.testing.assert_array_equal(a.numpy(), A)


def test_gradients_float32_variables():
    v = K.variable(A)
    (g,) = K.gradients(lambda: K.sum(K.tanh(v)), [v])
    assert K.dtype(g) == "float32"
    np.testing.assert_allclose(npv(g), 1 - np.tanh(A.astype(np.float32)) ** 2, rtol=1e-5)


def test_gradients_through_variable_operators():
    v = K.variable(B, dtype="float64")
    (g,) = K.gradients(lambda: K.sum(v * v * 3.0 - v), [v])
    np.testing.assert_allclose(npv(g), 6 * B - 1, rtol=1e-12)


def test_gradients_needs_a_function():
    v = K.variable(B)
    with pytest.raises(TypeError, match="function"):
        K.gradients(K.sum(v.value), [v])


# ---------------------------------------------------------------------------
# K.value_and_grad
# ---------------------------------------------------------------------------

def _nested_loss(params, x):
    h = K.tanh(K.add(K.dot(x, params["dense"][0]), params["dense"][1]))
    out = K.multiply(h, params["scale"]["gain"])
    loss = K.mean(K.square(out))
    return loss, {"mean_abs": K.mean(K.abs(out)), "out": out}


def _nested_reference(w, b, gain, x):
    out = np.tanh(x @ w + b) * gain
    return np.mean(out ** 2), out


def test_value_and_grad_nested_params_with_aux():
    gain = np.array(1.5)
    params = {"dense": [K.convert_to_tensor(A), K.convert_to_tensor(B)],
              "scale": {"gain": K.convert_to_tensor(gain)}}
    (value, aux), grads = K.value_and_grad(_nested_loss, has_aux=True)(params, K.convert_to_tensor(X))
    ref_value, ref_out = _nested_reference(A, B, gain, X)
    np.testing.assert_allclose(float(npv(value)), ref_value, rtol=1e-12)
    np.testing.assert_allclose(float(npv(aux["mean_abs"])), np.abs(ref_out).mean(), rtol=1e-12)
    np.testing.assert_allclose(npv(aux["out"]), ref_out, rtol=1e-12)
    assert set(grads) == {"dense", "scale"} and isinstance(grads["dense"], list) and len(grads["dense"]) == 2
    expected = [_fd(lambda v: _nested_reference(v, B, gain, X)[0], A),
                _fd(lambda v: _nested_reference(A, v, gain, X)[0], B),
                _fd(lambda v: _nested_reference(A, B, v, X)[0], gain)]
    for got, want in zip([grads["dense"][0], grads["dense"][1], grads["scale"]["gain"]], expected):
        assert tuple(K.int_shape(got)) == want.shape and K.dtype(got) == "float64"
        np.testing.assert_allclose(npv(got), want, rtol=1e-6, atol=1e-9)


def test_value_and_grad_single_tensor_and_tuple():
    value, g = K.value_and_grad(lambda x: K.sum(K.exp(x)))(K.convert_to_tensor(B))
    np.testing.assert_allclose(float(npv(value)), np.exp(B).sum(), rtol=1e-12)
    np.testing.assert_allclose(npv(g), np.exp(B), rtol=1e-12)
    _, (ga, gb) = K.value_and_grad(lambda p: K.sum(K.multiply(p[0], p[1])))(
        (K.convert_to_tensor(B), K.convert_to_tensor(2 * B)))
    np.testing.assert_allclose(npv(ga), 2 * B, rtol=1e-12)
    np.testing.assert_allclose(npv(gb), B, rtol=1e-12)


def test_value_and_grad_zeros_for_unused_params():
    _, grads = K.value_and_grad(lambda p: K.sum(K.square(p["used"])))(
        {"used": K.convert_to_tensor(B), "unused": K.convert_to_tensor(A)})
    np.testing.assert_allclose(npv(grads["used"]), 2 * B, rtol=1e-12)
    assert tuple(K.int_shape(grads["unused"])) == A.shape
    np.testing.assert_array_equal(npv(grads["unused"]), 0)


def test_value_and_grad_extra_args_are_not_differentiated():
    value, g = K.value_and_grad(lambda w, x, y: K.sum(K.square(K.subtract(K.dot(x, w), y))))(
        K.convert_to_tensor(A), K.convert_to_tensor(X), K.convert_to_tensor(np.ones((4, 2))))
    np.testing.assert_allclose(npv(g), 2 * X.T @ (X @ A - 1), rtol=1e-12)


# ---------------------------------------------------------------------------
# stop_gradient
# ---------------------------------------------------------------------------

def test_stop_gradient():
    def loss(x):
        return K.sum(K.multiply(x, K.stop_gradient(x)))  # d/dx = stop(x), not 2x

    value, g = K.value_and_grad(loss)(K.convert_to_tensor(B))
    np.testing.assert_allclose(float(npv(value)), np.sum(B * B), rtol=1e-12)
    np.testing.assert_allclose(npv(g), B, rtol=1e-12)
    np.testing.assert_allclose(npv(K.stop_gradient(K.convert_to_tensor(B))), B)


def test_stop_gradient_with_gradients_and_variables():
    v = K.variable(B, dtype="float64")
    (g,) = K.gradients(lambda: K.sum(K.square(K.stop_gradient(v)) + v), [v])
    np.testing.assert_allclose(npv(g), np.ones_like(B))


# ---------------------------------------------------------------------------
# K.jit
# ---------------------------------------------------------------------------

def _model(x, w, b):
    return K.softmax(K.add(K.dot(K.relu(x), w), b))


def test_jit_gives_the_same_numbers():
    args = [K.convert_to_tensor(a) for a in (X, A, B)]
    eager = npv(_model(*args))
    compiled = K.jit(_model)
    np.testing.assert_allclose(npv(compiled(*args)), eager, rtol=1e-12)
    # a second call with new values reuses the compiled function correctly
    args2 = [K.convert_to_tensor(a * 0.5) for a in (X, A, B)]
    np.testing.assert_allclose(npv(compiled(*args2)), npv(_model(*args2)), rtol=1e-12)
    ref = np.maximum(X, 0) @ A + B
    ref = np.exp(ref - ref.max(1, keepdims=True))
    np.testing.assert_allclose(eager, ref / ref.sum(1, keepdims=True), rtol=1e-12)


def test_jit_of_value_and_grad():
    def loss(w, x):
        return K.mean(K.square(K.dot(x, w)))

    step = K.jit(K.value_and_grad(loss))
    value, g = step(K.convert_to_tensor(A), K.convert_to_tensor(X))
    np.testing.assert_allclose(float(npv(value)), np.mean((X @ A) ** 2), rtol=1e-12)
    np.testing.assert_allclose(npv(g), 2 * X.T @ (X @ A) / (X @ A).size, rtol=1e-12)


def test_jit_with_nested_outputs_and_float32():
    fn = K.jit(lambda x: {"sum": K.sum(x), "pair": (K.square(x), K.negative(x))})
    out = fn(K.convert_to_tensor(B.astype(np.float32)))
    assert K.dtype(out["pair"][0]) == "float32"
    np.testing.assert_allclose(npv(out["sum"]), B.astype(np.float32).sum(), rtol=1e-6)
    np.testing.assert_allclose(npv(out["pair"][0]), B.astype(np.float32) ** 2, rtol=1e-6)
    np.testing.assert_allclose(npv(out["pair"][1]), -B.astype(np.float32), rtol=1e-6)



def test_jit_keeps_structures_shapes_and_dtypes_apart():
    # one compiled function called with nested arguments whose shapes, dtypes and
    # nesting change between calls: each call must get its own numbers
    def fn(state, batch):
        x, y, weight = batch
        total = K.add(K.sum(x), K.cast(K.sum(y), K.dtype(x)))
        if weight is not None:
            total = K.add(total, K.multiply(K.sum(weight), 100.0))
        return {"total": total, "rows": K.shape(x)[0]}, [K.add(s, 1.0) for s in state["params"]]

    compiled = K.jit(fn)
    calls = [
        ({"params": [np.ones(3, np.float32)]}, (np.ones((4, 2), np.float32), np.arange(4), None)),
        ({"params": [np.ones(3, np.float32)]}, (np.ones((6, 2), np.float32), np.arange(6), None)),  # new batch size
        ({"params": [np.ones(3, np.float32)]}, (np.ones((4, 2), np.float32), np.arange(4), np.ones(4, np.float32))),
        ({"params": [np.ones(3, np.float32), np.zeros(2, np.float32)]}, (np.full((4, 2), 2, np.float32),
                                                                          np.arange(4), None)),
        ({"params": [np.ones(3, np.float64)]}, (np.ones((4, 2), np.float64), np.arange(4), None)),  # new dtypes
    ]
    host_calls = [(state, batch, True) for state, batch in calls[:3]]  # numpy arrays in place of tensors
    for state, batch, host in [(state, batch, False) for state, batch in calls] + host_calls:
        tensors = (state, batch) if host else (
            {"params": [K.convert_to_tensor(p) for p in state["params"]]},
            tuple(None if b is None else K.convert_to_tensor(b) for b in batch))
        logs, new_params = compiled(*tensors)
        x, y, weight = batch
        want = x.sum() + y.sum() + (0 if weight is None else 100 * weight.sum())
        assert float(npv(logs["total"])) == pytest.approx(want)
        assert int(npv(logs["rows"])) == x.shape[0]
        assert len(new_params) == len(state["params"])
        for got, p in zip(new_params, state["params"]):
            assert K.dtype(got) == str(p.dtype)
            np.testing.assert_array_equal(npv(got), p + 1)


def _host_denormal():
    return float(np.float32(1e-38) * np.float32(0.5))  # 5e-39: below float32's smallest normal


def test_jit_flushes_float32_denormals_and_restores_the_host():
    if K.backend() == "numpy":
        from kbackend_numpy import fpenv
        if fpenv._libm is None:
            pytest.skip("no MXCSR control on this platform: the numpy engine keeps denormals")
    x = K.convert_to_tensor(np.array([1e-38, 3.0], np.float32))
    compiled = K.jit(lambda v: K.multiply(v, 0.5))
    np.testing.assert_array_equal(npv(compiled(x)), [0.0, 1.5])  # as XLA and torch's flush mode give

    def fails(v):
        raise RuntimeError("inside")
    with pytest.raises(RuntimeError, match="inside"):
        K.jit(fails)(x)
    assert _host_denormal() == pytest.approx(5e-39, rel=1e-6)  # the caller's own arithmetic is untouched

def test_eval_shape_gives_shapes_and_builds_layers_with_real_weights():
    import core
    from core import layers
    x = np.arange(12, dtype="float32").reshape(3, 4)
    out = K.eval_shape(lambda a: K.concatenate([K.matmul(a, K.ones((4, 5))), a], axis=1), K.constant(x))
    assert tuple(out.shape) == (3, 9) and "float32" in str(out.dtype)
    core.utils.set_random_seed(1)
    lstm = layers.LSTM(3)  # its forget-gate bias is computed while it builds
    result = K.eval_shape(lambda a: lstm(a), K.constant(np.zeros((2, 5, 4), "float32")))
    assert tuple(result.shape) == (2, 3)
    bias = K.convert_to_numpy(lstm.cell.bias)  # real numbers, usable outside the trace
    np.testing.assert_array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)])
    eager = lstm(K.constant(np.ones((2, 5, 4), "float32")))
    assert np.all(np.isfinite(K.convert_to_numpy(eager)))
