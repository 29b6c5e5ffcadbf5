"""Control flow on the active engine (scan, foreach, cond, while_loop,
fori_loop, rnn) against plain numpy loops, eagerly and inside K.jit."""

import numpy as np
import pytest

import kbackend as K
from kbackend.conformance.references import central_difference as _fd


def npv(x):
    return np.asarray(K.convert_to_numpy(x))


RNG = np.random.default_rng(1234)
XS = RNG.standard_normal((5, 3))
YS = RNG.standard_normal((5, 2))


# ---------------------------------------------------------------------------
# scan
# ---------------------------------------------------------------------------

def _scan_step(carry, x):
    """Nested carry and inputs: a running sum and a running product-ish state."""
    total, state = carry["total"], carry["state"]
    new_total = K.add(total, x["a"])
    new_state = K.tanh(K.add(K.multiply(state, 0.5), K.sum(x["b"])))
    return {"total": new_total, "state": new_state}, (new_total, K.multiply(new_state, 2.0))


def _scan_reference(xs_a, xs_b, reverse=False):
    total, state = np.zeros(3), np.float64(0.2)
    ys_a, ys_b = [], []
    order = range(len(xs_a))[::-1] if reverse else range(len(xs_a))
    for t in order:
        total = total + xs_a[t]
        state = np.tanh(state * 0.5 + xs_b[t].sum())
        ys_a.append(total)
        ys_b.append(state * 2)
    if reverse:  # ys are stacked at the positions of their inputs
        ys_a, ys_b = ys_a[::-1], ys_b[::-1]
    return total, state, np.stack(ys_a), np.stack(ys_b)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 2])
@pytest.mark.parametrize("compiled", [False, True])
def test_scan_nested_carry(reverse, unroll, compiled):
    def run(a, b):
        init = {"total": K.zeros((3,), dtype="float64"), "state": K.convert_to_tensor(np.array(0.2))}
        return K.scan(_scan_step, init, {"a": a, "b": b}, reverse=reverse, unroll=unroll)

    fn = K.jit(run) if compiled else run
    carry, (ys_a, ys_b) = fn(K.convert_to_tensor(XS), K.convert_to_tensor(YS))
    total, state, ref_a, ref_b = _scan_reference(XS, YS, reverse)
    np.testing.assert_allclose(npv(carry["total"]), total, rtol=1e-10)
    np.testing.assert_allclose(npv(carry["state"]), state, rtol=1e-10)
    np.testing.assert_allclose(npv(ys_a), ref_a, rtol=1e-10)
    np.testing.assert_allclose(npv(ys_b), ref_b, rtol=1e-10)


@pytest.mark.parametrize("compiled", [False, True])
def test_scan_with_length_and_no_xs(compiled):
    def run(c0):
        return K.scan(lambda c, _: (K.multiply(c, 1.5), K.add(c, 1.0)), c0, None, length=4)

    fn = K.jit(run) if compiled else run
    carry, ys = fn(K.convert_to_tensor(np.array([1.0, -2.0])))
    np.testing.assert_allclose(npv(carry), np.array([1.0, -2.0]) * 1.5 ** 4)
    np.testing.assert_allclose(npv(ys), [[1.5 ** t + 1, -2 * 1.5 ** t + 1] for t in range(4)])


def test_scan_tuple_carry_and_list_ys():
    def step(carry, x):
        a, b = carry
        return (K.add(a, x), K.multiply(b, x)), [K.add(a, b)]

    (a, b), [ys] = K.scan(step, (K.convert_to_tensor(0.0), K.convert_to_tensor(1.0)),
                          K.convert_to_tensor(np.array([1.0, 2.0, 3.0], np.float32)))
    assert float(npv(a)) == 6.0 and float(npv(b)) == 6.0
    np.testing.assert_allclose(npv(ys), [1.0, 2.0, 5.0])


def test_scan_gradient_matches_finite_differences():
    xs = RNG.standard_normal((4, 2))

    def loss(params):
        w, x = params
        carry, ys = K.scan(lambda c, xt: (K.tanh(K.add(K.multiply(c, w), xt)),) * 2,
                           K.zeros((2,), dtype="float64"), x)
        return K.add(K.sum(K.square(ys)), K.sum(carry))

    def ref(w, x):
        c, total = np.zeros(2), 0.0
        for t in range(len(x)):
            c = np.tanh(c * w + x[t])
            total += np.sum(c ** 2)
        return total + c.sum()

    w = np.array([0.7, -1.2])
    _, (gw, gx) = K.value_and_grad(loss)([K.convert_to_tensor(w), K.convert_to_tensor(xs)])
    np.testing.assert_allclose(npv(gw), _fd(lambda v: ref(v, xs), w), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(npv(gx), _fd(lambda v: ref(w, v), xs), rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------------
# foreach, cond, while_loop, fori_loop
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("compiled", [False, True])
def test_foreach(compiled):
    def run(a, b):
        return K.foreach(lambda x: K.add(K.sum(K.square(x["a"])), x["b"][0]), {"a": a, "b": b})

    fn = K.jit(run) if compiled else run
    out = fn(K.convert_to_tensor(XS), K.convert_to_tensor(YS))
    np.testing.assert_allclose(npv(out), (XS ** 2).sum(1) + YS[:, 0], rtol=1e-10)


def test_foreach_structured_output():
    out = K.foreach(lambda x: (K.multiply(x, 2.0), K.sum(x)), K.convert_to_tensor(XS))
    np.testing.assert_allclose(npv(out[0]), XS * 2)
    np.testing.assert_allclose(npv(out[1]), XS.sum(1))


@pytest.mark.parametrize("pred", [True, False])
def test_cond_python_and_tensor_predicates(pred):
    x = K.convert_to_tensor(np.array([1.0, 2.0]))
    for p in (pred, K.convert_to_tensor(pred)):
        out = K.cond(p, lambda: K.multiply(x, 3.0), lambda: K.subtract(x, 1.0))
        np.testing.assert_allclose(npv(out), [3.0, 6.0] if pred else [0.0, 1.0])


def test_cond_inside_jit_on_a_traced_predicate():
    fn = K.jit(lambda x: K.cond(K.greater(K.sum(x), 0.0), lambda: K.exp(x), lambda: K.negative(x)))
    pos, neg = np.array([1.0, 0.5]), np.array([-1.0, 0.5])
    np.testing.assert_allclose(npv(fn(K.convert_to_tensor(pos))), np.exp(pos))
    np.testing.assert_allclose(npv(fn(K.convert_to_tensor(neg))), -neg)


def test_cond_with_structured_branches():
    out = K.cond(K.convert_to_tensor(False), lambda: (K.ones((2,)), K.zeros((1,))),
                 lambda: (K.zeros((2,)), K.ones((1,))))
    np.testing.assert_array_equal(npv(out[0]), [0, 0])
    np.testing.assert_array_equal(npv(out[1]), [1])


@pytest.mark.parametrize("compiled", [False, True])
def test_while_loop(compiled):
    def run(n):
        # (i, a, b): Fibonacci until i reaches n
        return K.while_loop(lambda i, a, b: K.less(i, n),
                            lambda i, a, b: (K.add(i, 1), b, K.add(a, b)),
                            (K.convert_to_tensor(0), K.convert_to_tensor(0.0), K.convert_to_tensor(1.0)))

    fn = K.jit(run) if compiled else run
    out = fn(K.convert_to_tensor(10))
    assert isinstance(out, tuple) and len(out) == 3
    assert int(npv(out[0])) == 10 and float(npv(out[1])) == 55.0 and float(npv(out[2])) == 89.0


def test_while_loop_maximum_iterations():
    out = K.while_loop(lambda i, x: K.less(i, 100), lambda i, x: (K.add(i, 1), K.multiply(x, 2.0)),
                       [K.convert_to_tensor(0), K.convert_to_tensor(1.0)], maximum_iterations=5)
    assert int(npv(out[0])) == 5 and float(npv(out[1])) == 32.0


def test_while_loop_never_runs():
    out = K.while_loop(lambda x: K.less(x, 0.0), lambda x: (K.add(x, 1.0),), (K.convert_to_tensor(3.0),))
    assert float(npv(out[0])) == 3.0


@pytest.mark.parametrize("compiled", [False, True])
def test_fori_loop(compiled):
    def run(v):
        return K.fori_loop(2, 6, lambda i, acc: K.add(K.multiply(acc, 2.0), K.cast(i, "float64")), v)

    fn = K.jit(run) if compiled else run
    out = fn(K.convert_to_tensor(np.array([1.0, 0.0])))
    ref = np.array([1.0, 0.0])
    for i in range(2, 6):
        ref = ref * 2 + i
    np.testing.assert_allclose(npv(out), ref)


def test_fori_loop_structured_value():
    out = K.fori_loop(0, 3, lambda i, v: (K.add(v[0], 1.0), K.multiply(v[1], 3.0)),
                      (K.convert_to_tensor(0.0), K.convert_to_tensor(1.0)))
    assert float(npv(out[0])) == 3.0 and float(npv(out[1])) == 27.0


# ---------------------------------------------------------------------------
# rnn: a simple RNN step h = tanh(x W + h U [+ c])
# ---------------------------------------------------------------------------

B, T, F, H = 3, 5, 4, 2
X = RNG.standard_normal((B, T, F))
H0 = RNG.standard_normal((B, H)) * 0.5
W = RNG.standard_normal((F, H)) * 0.5
U = RNG.standard_normal((H, H)) * 0.5
C = RNG.standard_normal((H,)) * 0.3
# right padding (last steps masked) and gaps in the middle; every row keeps its last step
RIGHT_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 1, 1, 0]], bool)
GAP_MASK = np.array([[1, 0, 0, 1, 1], [0, 1, 1, 0, 1], [1, 1, 0, 1, 1]], bool)


def rnn_reference(x, h0, w, u, mask=None, go_backwards=False, zero_output_for_mask=False, constant=None):
    """(last_output, outputs, [state]) of the Keras loop, as plain numpy."""
    steps = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    h, prev_out, outs = h0, np.zeros_like(h0), []
    for t in steps:
        new = np.tanh(x[:, t] @ w + h @ u + (0 if constant is None else constant))
        if mask is None:
            h = out = emitted = new
        else:
            m = mask[:, t:t + 1]
            out = np.where(m, new, prev_out)
            h = np.where(m, new, h)
            emitted = np.where(m, new, 0.0) if zero_output_for_mask else out
        prev_out = out
        outs.append(emitted)
    return prev_out, np.stack(outs, axis=1), [h]


def _step(w, u):
    def step(x_t, states):
        h = K.tanh(K.add(K.dot(x_t, w), K.dot(states[0], u)))
        return h, [h]
    return step


def _step_with_constant(w, u):
    def step(x_t, states):
        h, c = states
        h = K.tanh(K.add(K.add(K.dot(x_t, w), K.dot(h, u)), c))
        return h, [h]
    return step


RNN_VARIANTS = {
    "plain": {},
    "mask": dict(mask=RIGHT_MASK),
    "mask-gaps": dict(mask=GAP_MASK),
    "go_backwards": dict(go_backwards=True),
    "mask-go_backwards": dict(mask=RIGHT_MASK, go_backwards=True),
    "zero_output_for_mask": dict(mask=GAP_MASK, zero_output_for_mask=True),
    "unroll": dict(unroll=True),
    "unroll-mask": dict(unroll=True, mask=GAP_MASK),
    "unroll-go_backwards": dict(unroll=True, go_backwards=True),
}


def _rnn(x, h0, w, u, time_major=False, **options):
    return K.rnn(_step(w, u), x, [h0], time_major=time_major, **options)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("variant", sorted(RNN_VARIANTS))
def test_rnn(variant, compiled):
    options = RNN_VARIANTS[variant]
    ref_last, ref_outs, ref_states = rnn_reference(X, H0, W, U, **{k: v for k, v in options.items() if k != "unroll"})
    mask = options.get("mask")
    options = dict(options, mask=None if mask is None else K.convert_to_tensor(mask))

    def run(x, h0):
        return _rnn(x, h0, W, U, **options)

    fn = K.jit(run) if compiled else run
    last, outs, states = fn(K.convert_to_tensor(X), K.convert_to_tensor(H0))
    np.testing.assert_allclose(npv(outs), ref_outs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(npv(last), ref_last, rtol=1e-10, atol=1e-12)
    assert len(states) == 1
    np.testing.assert_allclose(npv(states[0]), ref_states[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mask", [None, RIGHT_MASK])
def test_rnn_last_output_only(mask):
    last, outs, states = _rnn(K.convert_to_tensor(X), K.convert_to_tensor(H0), W, U, return_all_outputs=False,
                              mask=None if mask is None else K.convert_to_tensor(mask))
    ref_last, _, ref_states = rnn_reference(X, H0, W, U, mask=mask)
    assert tuple(K.int_shape(outs)) == (B, 1, H)
    np.testing.assert_allclose(npv(outs)[:, 0], ref_last, rtol=1e-10)
    np.testing.assert_allclose(npv(last), ref_last, rtol=1e-10)
    np.testing.assert_allclose(npv(states[0]), ref_states[0], rtol=1e-10)


def test_rnn_constants():
    last, outs, states = K.rnn(_step_with_constant(W, U), K.convert_to_tensor(X), [K.convert_to_tensor(H0)],
                               constants=[K.convert_to_tensor(C)])
    ref_last, ref_outs, ref_states = rnn_reference(X, H0, W, U, constant=C)
    np.testing.assert_allclose(npv(outs), ref_outs, rtol=1e-10)
    np.testing.assert_allclose(npv(last), ref_last, rtol=1e-10)
    np.testing.assert_allclose(npv(states[0]), ref_states[0], rtol=1e-10)


def test_rnn_time_major():
    # as in Keras 2, the mask is time-major too: (time, batch)
    xt = np.transpose(X, (1, 0, 2))
    last, outs, states = _rnn(K.convert_to_tensor(xt), K.convert_to_tensor(H0), W, U, time_major=True,
                              mask=K.convert_to_tensor(RIGHT_MASK.T))
    ref_last, ref_outs, ref_states = rnn_reference(X, H0, W, U, mask=RIGHT_MASK)
    np.testing.assert_allclose(npv(outs), np.transpose(ref_outs, (1, 0, 2)), rtol=1e-10)
    np.testing.assert_allclose(npv(last), ref_last, rtol=1e-10)


def test_rnn_float32():
    last, outs, _ = _rnn(K.convert_to_tensor(X.astype(np.float32)), K.convert_to_tensor(H0.astype(np.float32)),
                         W.astype(np.float32), U.astype(np.float32), mask=K.convert_to_tensor(RIGHT_MASK))
    assert K.dtype(outs) == "float32"
    np.testing.assert_allclose(npv(outs), rnn_reference(X, H0, W, U, mask=RIGHT_MASK)[1], rtol=1e-5, atol=1e-6)



@pytest.mark.parametrize("variant", ["plain", "mask", "go_backwards", "zero_output_for_mask", "unroll-mask"])
def test_rnn_gradients_match_finite_differences(variant):
    options = RNN_VARIANTS[variant]
    ref_options = {k: v for k, v in options.items() if k != "unroll"}
    mask = options.get("mask")
    options = dict(options, mask=None if mask is None else K.convert_to_tensor(mask))
    w_out = np.random.default_rng(5).standard_normal((B, T, H))
    w_state = np.random.default_rng(6).standard_normal((B, H))

    def loss(params):
        x, h0, w, u = params
        _, outs, states = K.rnn(_step(w, u), x, [h0], **options)
        return K.add(K.sum(K.multiply(outs, w_out)), K.sum(K.multiply(states[0], w_state)))

    def ref_loss(x, h0, w, u):
        _, outs, states = rnn_reference(x, h0, w, u, **ref_options)
        return np.sum(outs * w_out) + np.sum(states[0] * w_state)

    params = [X, H0, W, U]
    value, grads = K.value_and_grad(loss)([K.convert_to_tensor(p) for p in params])
    np.testing.assert_allclose(float(npv(value)), ref_loss(*params), rtol=1e-10)
    for i, g in enumerate(grads):
        def f(v, i=i):
            args = list(params)
            args[i] = v
            return ref_loss(*args)
        expected = _fd(f, params[i])
        err = np.abs(npv(g) - expected).max() / max(np.abs(expected).max(), 1e-6)
        assert err < 1e-4, f"gradient {i}: relative error {err:.2e}"
