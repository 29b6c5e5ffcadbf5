"""The fused recurrent ops K.lstm and K.gru on the active engine against the
generic loop (K.rnn over a step written with K ops) and against float64 numpy:
outputs, final states and gradients with respect to inputs, initial states,
kernel, recurrent kernel and bias, with masks, go_backwards, return_sequences
and given initial states. Then the LSTM and GRU layers with the fused path on
and off (core.layers.rnn.fused.ENABLED): same outputs and gradients, the path
taken only where it applies, and the loop when the engine has no kernel."""

import numpy as np
import pytest

import kbackend as K
from core import layers
from core.layers.rnn import fused
from kbackend.conformance import references as R

RNG = np.random.default_rng(7)
B, T, D, U = 3, 5, 4, 6
MASK = np.array([[1, 1, 0, 1, 1], [0, 0, 1, 1, 0], [1, 1, 1, 1, 1]], bool)  # row 1 starts masked, ends masked


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _arrays(kind, bias=True):
    gates = 4 if kind == "lstm" else 3
    arrays = {"x": rand(B, T, D), "h0": rand(B, U, scale=0.5), "kernel": rand(D, gates * U, scale=0.5),
              "recurrent_kernel": rand(U, gates * U, scale=0.5)}
    if kind == "lstm":
        arrays["c0"] = rand(B, U, scale=0.5)
    if bias:
        arrays["bias"] = rand(*((4 * U,) if kind == "lstm" else (2, 3 * U)), scale=0.5)
    return arrays


def _fused(kind, v, **options):
    """(last, outputs or None, *states) of the fused op on tensors/Variables v."""
    if kind == "lstm":
        return K.lstm(v["x"], v["h0"], v["c0"], v["kernel"], v["recurrent_kernel"], v.get("bias"), **options)
    return K.gru(v["x"], v["h0"], v["kernel"], v["recurrent_kernel"], v.get("bias"), **options)


def _loop(kind, v, mask=None, go_backwards=False, return_sequences=False):
    """The same layer through K.rnn, a step written with K ops."""
    kernel, rec, bias = v["kernel"], v["recurrent_kernel"], v.get("bias")
    u = U
    if kind == "lstm":
        proj = K.dot(v["x"], kernel) if bias is None else K.add(K.dot(v["x"], kernel), bias)

        def step(z_x, states):
            h, c = states
            z = K.add(z_x, K.matmul(h, rec))
            i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
            c = K.add(K.multiply(K.sigmoid(f), c), K.multiply(K.sigmoid(i), K.tanh(g)))
            h = K.multiply(K.sigmoid(o), K.tanh(c))
            return h, [h, c]
        states = [v["h0"], v["c0"]]
    else:
        proj = K.dot(v["x"], kernel) if bias is None else K.add(K.dot(v["x"], kernel), bias[0])

        def step(a, states):
            h = states[0]
            r_ = K.matmul(h, rec) if bias is None else K.add(K.matmul(h, rec), bias[1])
            z = K.sigmoid(K.add(a[:, :u], r_[:, :u]))
            r = K.sigmoid(K.add(a[:, u:2 * u], r_[:, u:2 * u]))
            n = K.tanh(K.add(a[:, 2 * u:], K.multiply(r, r_[:, 2 * u:])))
            h = K.add(K.multiply(z, h), K.multiply(K.subtract(1.0, z), n))
            return h, [h]
        states = [v["h0"]]
    last, outputs, new_states = K.rnn(step, proj, [K.convert_to_tensor(s) for s in states], mask=mask,
                                      go_backwards=go_backwards)
    return (last, outputs if return_sequences else None) + tuple(new_states)


def _call_or_skip(fn):
    try:
        return fn()
    except NotImplementedError as e:  # allowed by the protocol; the layer then loops (tested below)
        pytest.skip(f"no fused kernel for this case on {K.backend()}: {e}")


VARIANTS = {
    "plain": {},
    "sequences": dict(return_sequences=True),
    "backwards": dict(return_sequences=True, go_backwards=True),
    "mask": dict(return_sequences=True, mask=MASK),
    "mask-backwards": dict(return_sequences=True, mask=MASK, go_backwards=True),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_forward_matches_the_loop_and_float64_numpy(kind, variant):
    options = VARIANTS[variant]
    a = _arrays(kind)
    got = _call_or_skip(lambda: _fused(kind, a, **options))
    loop = _loop(kind, a, **options)
    ref_args = [np.float64(a[k]) for k in (["x", "h0", "c0"] if kind == "lstm" else ["x", "h0"])]
    ref_args += [np.float64(a[k]) for k in ("kernel", "recurrent_kernel", "bias")]
    ref = getattr(R, kind)(*ref_args, **options)
    assert len(got) == len(ref) == (4 if kind == "lstm" else 3)
    assert (got[1] is None) == (not options.get("return_sequences"))
    for g, lo, r in zip(got, loop, ref):
        if r is None:
            continue
        assert K.dtype(g) == "float32"
        np.testing.assert_allclose(npv(g), r, rtol=1e-5, atol=2e-6)
        np.testing.assert_allclose(npv(g), npv(lo), rtol=1e-5, atol=2e-6)
    if "mask" in options:  # row 1 starts masked (either way round): zeros until its first unmasked step
        assert np.all(npv(got[1])[1, 0] == 0) and np.abs(npv(got[1])[1]).max() > 0
        np.testing.assert_allclose(npv(got[0]), npv(got[2]), rtol=1e-6)  # the last output is the kept h


@pytest.mark.parametrize("variant", ["backwards", "mask-backwards", "no-bias"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gradients_match_the_loop(kind, variant):
    options = dict(VARIANTS.get(variant, dict(return_sequences=True)))
    a = _arrays(kind, bias=variant != "no-bias")
    names = sorted(a)
    w = {i: RNG.standard_normal(s) for i, s in enumerate(
        [(B, U), (B, T, U)] + [(B, U)] * (2 if kind == "lstm" else 1))}

    def loss(fn):
        def value():
            out = fn(kind, dict(zip(names, variables)), **options)
            total = 0.0
            for i, o in enumerate(out):
                if o is not None:
                    total = K.add(total, K.sum(K.multiply(o, K.convert_to_tensor(w[i]))))
            return total
        return value

    # float64 where the engine's kernel has it (tight tolerances), else float32 (TF's BlockLSTMV2)
    for dtype in ("float64", "float32"):
        variables = [K.Variable(a[k].astype(dtype), dtype=dtype) for k in names]
        try:
            got = K.gradients(loss(_fused), variables)
            break
        except NotImplementedError as e:
            reason = e
    else:
        pytest.skip(f"no fused kernel for this case on {K.backend()}: {reason}")
    want = K.gradients(loss(_loop), variables)
    tol = dict(rtol=1e-8, atol=1e-10) if dtype == "float64" else dict(rtol=2e-4, atol=2e-5)
    for name, g, r in zip(names, got, want):
        assert np.abs(npv(r)).max() > 0, name  # every input gets a gradient
        np.testing.assert_allclose(npv(g), npv(r), err_msg=name, **tol)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_compiled_lstm_and_a_gradient_taken_outside_the_compiled_call(return_sequences):
    # a compiled call with no gradient inside (predict) may keep only what its outputs need (TF's
    # inference loop); a gradient taken outside the compiled call must still be right
    a = _arrays("lstm")
    names = ("x", "h0", "c0", "kernel", "recurrent_kernel", "bias")
    compiled = K.jit(lambda *args: K.lstm(*args, return_sequences=return_sequences))
    got = _call_or_skip(lambda: compiled(*(K.convert_to_tensor(a[k]) for k in names)))
    ref = R.lstm(*(np.float64(a[k]) for k in names), return_sequences=return_sequences)
    for g, r in zip(got, ref):
        assert (g is None) == (r is None)
        if r is not None:
            np.testing.assert_allclose(npv(g), r, rtol=1e-5, atol=2e-6)
    w = [RNG.standard_normal(npv(g).shape).astype(np.float32) if g is not None else None for g in got]

    def loss(fn):
        def value(params):
            out = fn(*params)
            return sum(K.sum(K.multiply(o, wi)) for o, wi in zip(out, w) if o is not None)
        return value

    looped = lambda *args: _loop("lstm", dict(zip(names, args)), return_sequences=return_sequences)  # noqa: E731
    params = [K.convert_to_tensor(a[k]) for k in names]
    _, got_grads = K.value_and_grad(loss(compiled))(params)
    _, want_grads = K.value_and_grad(loss(looped))(params)
    for name, g, r in zip(names, got_grads, want_grads):
        assert np.abs(npv(r)).max() > 0, name
        np.testing.assert_allclose(npv(g), npv(r), rtol=2e-4, atol=2e-5, err_msg=name)


def test_bad_shapes_are_a_clear_error():
    a = _arrays("lstm")
    with pytest.raises((ValueError, NotImplementedError)):
        K.lstm(a["x"], a["h0"], a["c0"], a["kernel"][:, :-1], a["recurrent_kernel"], a["bias"])


# --- the layers -----------------------------------------------------------------------------------------------------

def _pair(make, x, **kwargs):
    """Outputs (numpy) of one layer called with the fused path on, then off."""
    layer = make()
    results = []
    for enabled in (True, False):
        fused.ENABLED = enabled
        try:
            results.append(layer(x, **kwargs))
        finally:
            fused.ENABLED = True
    return results


@pytest.fixture
def count_fused(monkeypatch):
    calls = []
    for name in ("lstm", "gru"):
        original = getattr(K, name)

        def wrapper(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)
        monkeypatch.setattr(K, name, wrapper)
    return calls


LAYER_CASES = {
    "lstm": lambda: layers.LSTM(U, return_sequences=True, return_state=True),
    "gru": lambda: layers.GRU(U, return_sequences=True, return_state=True),
    "lstm-backwards": lambda: layers.LSTM(U, go_backwards=True, return_state=True),
    "gru-backwards-last": lambda: layers.GRU(U, go_backwards=True),
    "lstm-no-bias": lambda: layers.LSTM(U, use_bias=False, return_sequences=True),
}


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layers_give_the_same_outputs_fused_and_looped(case, count_fused):
    x = rand(B, T, D)
    fused_out, loop_out = _pair(LAYER_CASES[case], x)
    for f, lo in zip(fused_out if isinstance(fused_out, list) else [fused_out],
                     loop_out if isinstance(loop_out, list) else [loop_out]):
        np.testing.assert_allclose(npv(f), npv(lo), rtol=1e-5, atol=2e-6)
    assert count_fused and set(count_fused) == {case.split("-")[0]}  # the loop call adds none


def test_masked_layer_matches_and_keeps_zero_output_for_mask_on_the_loop(count_fused):
    x = rand(B, T, D)
    x[MASK == 0] = 0.0
    for make in (lambda: layers.LSTM(U, return_sequences=True), lambda: layers.GRU(U, return_sequences=True)):
        masking = layers.Masking(0.0)
        layer = make()
        outs = []
        for enabled in (True, False):
            fused.ENABLED = enabled
            outs.append(npv(layer(masking(x))))
        fused.ENABLED = True
        np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=2e-6)
    calls = len(count_fused)
    zero = layers.RNN(layers.LSTMCell(U), return_sequences=True, zero_output_for_mask=True)
    out = npv(zero(layers.Masking(0.0)(x)))
    assert len(count_fused) == calls  # zero_output_for_mask loops
    assert np.all(out[MASK == 0] == 0)


def test_initial_states_and_stateful_layers(count_fused):
    x = rand(B, T, D)
    h0, c0 = rand(B, U), rand(B, U)
    layer = layers.LSTM(U, return_state=True)
    fused_out, loop_out = _pair(lambda: layer, x, initial_state=[h0, c0])
    for f, lo in zip(fused_out, loop_out):
        np.testing.assert_allclose(npv(f), npv(lo), rtol=1e-5, atol=2e-6)
    stateful = layers.GRU(U, stateful=True)
    first = npv(stateful(x))
    second = npv(stateful(x))  # starts from the carried state
    stateful.reset_states()
    assert not np.allclose(first, second)
    np.testing.assert_allclose(npv(stateful(x)), first, rtol=1e-6)
    assert "gru" in count_fused and "lstm" in count_fused


def test_layer_gradients_match_fused_and_looped():
    x = rand(B, T, D)
    for layer in (layers.LSTM(U, return_sequences=True),):  # GRU: the op-level test above
        layer(x)
        grads = []
        for enabled in (True, False):
            fused.ENABLED = enabled
            grads.append(K.gradients(lambda layer=layer: K.sum(K.square(layer(x))), layer.trainable_weights))
        fused.ENABLED = True
        for g, r in zip(*grads):
            np.testing.assert_allclose(npv(g), npv(r), rtol=1e-4, atol=1e-5)


def test_cases_the_fused_path_leaves_to_the_loop(count_fused):
    x = rand(B, T, D)
    for layer in (layers.LSTM(U, activation="relu"), layers.GRU(U, reset_after=False),
                  layers.LSTM(U, unroll=True), layers.GRU(U, recurrent_activation="hard_sigmoid"),
                  layers.LSTM(U, recurrent_dropout=0.5)):
        layer(x, training=True)
    assert count_fused == []
    layers.LSTM(U, recurrent_dropout=0.5)(x, training=False)  # no recurrent dropout at inference: fused
    assert count_fused == ["lstm"]


def test_input_dropout_is_applied_before_the_fused_call():
    x = rand(B, T, D)
    outs, weights = [], None
    for enabled in (True, False):
        fused.ENABLED = enabled
        layer = layers.LSTM(U, dropout=0.5, seed=3, return_sequences=True)  # the same seed: the same mask
        layer.build(x.shape)
        weights = weights or layer.get_weights()
        layer.set_weights(weights)
        outs.append(npv(layer(x, training=True)))
    fused.ENABLED = True
    assert not np.allclose(outs[0], npv(layer(x, training=False)))  # dropout did something
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=2e-6)


def test_an_engine_without_a_kernel_falls_back_to_the_loop(monkeypatch):
    x = rand(B, T, D)
    layer = layers.LSTM(U, return_sequences=True)
    want = npv(layer(x))

    def refuse(*args, **kwargs):
        raise NotImplementedError("no kernel")
    monkeypatch.setattr(K, "lstm", refuse)
    np.testing.assert_allclose(npv(layer(x)), want, rtol=1e-5, atol=2e-6)
