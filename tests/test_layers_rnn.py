"""core.layers' recurrent family on the active engine: SimpleRNN, LSTM and GRU
(and their cells, stacked cells, RNN(cell)) against float64 numpy gate
equations in Keras's weight layout; return_sequences / return_state /
go_backwards / initial_state; masks from Embedding and Masking; stateful
layers; unroll; dropout masks; Bidirectional and TimeDistributed; gradients
against central differences; configs, shapes, errors; and a small LSTM that
learns through model.fit."""

import warnings

import numpy as np
import pytest

import kbackend as K
from core import Input, Model, layers, optimizers
from core.models import Sequential
from core.utils import set_random_seed
from kbackend.conformance.references import central_difference

RNG = np.random.default_rng(4)
TOL = dict(rtol=1e-5, atol=1e-5)


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- float64 references: one step per cell, in Keras's weight layout --------------------------------------------------

def simple_step(weights):
    kernel, recurrent, bias = (np.float64(w) for w in weights)

    def step(x, states):
        h = np.tanh(x @ kernel + bias + states[0] @ recurrent)
        return h, [h]
    return step


def lstm_step(weights):
    kernel, recurrent, bias = (np.float64(w) for w in weights)
    u = recurrent.shape[0]

    def step(x, states):
        h, c = states
        z = x @ kernel + h @ recurrent + bias
        i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return h, [h, c]
    return step


def gru_step(weights, reset_after=True):
    kernel, recurrent, bias = (np.float64(w) for w in weights)
    u = recurrent.shape[0]
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))

    def step(x, states):
        h = states[0]
        xw = x @ kernel + b_in
        z = sigmoid(xw[:, :u] + h @ recurrent[:, :u] + b_rec[:u])
        r = sigmoid(xw[:, u:2 * u] + h @ recurrent[:, u:2 * u] + b_rec[u:2 * u])
        if reset_after:
            n = np.tanh(xw[:, 2 * u:] + r * (h @ recurrent[:, 2 * u:] + b_rec[2 * u:]))
        else:
            n = np.tanh(xw[:, 2 * u:] + (r * h) @ recurrent[:, 2 * u:])
        h = z * h + (1 - z) * n
        return h, [h]
    return step


def run(step, x, states, go_backwards=False, mask=None, zero_output=False):
    """Keras's loop in float64: (outputs in processing order, last output, final states).
    Masked steps keep the states and repeat the previous output (zeros with zero_output)."""
    x = np.float64(x)
    states = [np.float64(s) for s in states]
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outputs, previous = [], None
    for t in order:
        out, new = step(x[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            previous = np.zeros_like(out) if previous is None else previous
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            out_kept = np.where(m, out, previous)
            outputs.append(np.where(m, out, 0.0) if zero_output else out_kept)
            out = out_kept
        else:
            outputs.append(out)
        previous, states = out, new
    return np.stack(outputs, axis=1), previous, states


KINDS = {
    "simple_rnn": (layers.SimpleRNN, layers.SimpleRNNCell, 1, lambda w: simple_step(w), 1),
    "lstm": (layers.LSTM, layers.LSTMCell, 4, lambda w: lstm_step(w), 2),
    "gru": (layers.GRU, layers.GRUCell, 3, lambda w: gru_step(w, True), 1),
    "gru_reset_before": (lambda u, **kw: layers.GRU(u, reset_after=False, **kw),
                         lambda u, **kw: layers.GRUCell(u, reset_after=False, **kw), 3,
                         lambda w: gru_step(w, False), 1),
}


def random_weights(kind, input_dim, units):
    gates = KINDS[kind][2]
    bias_shape = (2, 3 * units) if kind == "gru" else (gates * units,)
    return [rand(input_dim, gates * units, scale=0.5), rand(units, gates * units, scale=0.5),
            rand(*bias_shape, scale=0.5)]


def make_layer(kind, units, weights, input_dim, **kwargs):
    layer = KINDS[kind][0](units, **kwargs)
    layer.build((None, None, input_dim))
    layer.set_weights(weights)
    return layer


# --- cells and layers against the gate equations -----------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
def test_cell_step_matches_gate_equations(kind):
    _, cell_cls, _, ref, n_states = KINDS[kind]
    x, weights = rand(3, 4), random_weights(kind, 4, 5)
    states = [rand(3, 5) for _ in range(n_states)]
    cell = cell_cls(5)
    cell.build((None, 4))
    cell.set_weights(weights)
    out, new_states = cell(x, states)
    want_out, want_states = ref(weights)(np.float64(x), [np.float64(s) for s in states])
    np.testing.assert_allclose(npv(out), want_out, **TOL)
    assert len(new_states) == n_states
    for got, want in zip(new_states, want_states):
        np.testing.assert_allclose(npv(got), want, **TOL)


@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_layer_matches_reference_with_sequences_states_and_initial_state(kind, go_backwards):
    ref, n_states = KINDS[kind][3], KINDS[kind][4]
    x, weights = rand(3, 6, 4), random_weights(kind, 4, 5)
    initial = [rand(3, 5) for _ in range(n_states)]
    layer = make_layer(kind, 5, weights, 4, return_sequences=True, return_state=True, go_backwards=go_backwards)
    outputs = layer(x, initial_state=initial)
    sequence, last, states = run(ref(weights), x, initial, go_backwards=go_backwards)
    assert len(outputs) == 1 + n_states
    np.testing.assert_allclose(npv(outputs[0]), sequence, **TOL)
    for got, want in zip(outputs[1:], states):
        np.testing.assert_allclose(npv(got), want, **TOL)
    # without return_sequences / return_state: the last output alone, from zero states
    plain = make_layer(kind, 5, weights, 4, go_backwards=go_backwards)
    zeros = [np.zeros((3, 5))] * n_states
    np.testing.assert_allclose(npv(plain(x)), run(ref(weights), x, zeros, go_backwards=go_backwards)[1], **TOL)


def test_keras2_list_inputs_carry_the_initial_states():
    x, weights = rand(2, 4, 3), random_weights("lstm", 3, 2)
    h0, c0 = rand(2, 2), rand(2, 2)
    layer = make_layer("lstm", 2, weights, 3)
    np.testing.assert_allclose(npv(layer([x, h0, c0])), run(lstm_step(weights), x, [h0, c0])[1], **TOL)
    with pytest.raises(ValueError, match="2 state"):
        layer(x, initial_state=[h0])


def test_rnn_over_a_custom_keras2_style_cell():
    class MinimalCell(layers.Layer):
        def __init__(self, units, **kwargs):
            self.units = units
            self.state_size = units
            super().__init__(**kwargs)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

        def call(self, inputs, states):
            output = K.add(K.dot(inputs, self.kernel), K.dot(states[0], self.recurrent_kernel))
            return output, [output]

    x = rand(2, 5, 3)
    layer = layers.RNN(MinimalCell(4), return_sequences=True)
    out = layer(x)
    kernel, recurrent = (np.float64(w) for w in layer.get_weights())

    def step(x_t, states):
        h = x_t @ kernel + states[0] @ recurrent
        return h, [h]
    np.testing.assert_allclose(npv(out), run(step, x, [np.zeros((2, 4))])[0], **TOL)


def test_lstm_unit_forget_bias_sets_the_f_slice_to_ones():
    layer = layers.LSTM(3)
    layer.build((None, 2, 4))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), np.r_[np.zeros(3), np.ones(3), np.zeros(6)])
    ones = layers.LSTM(3, bias_initializer="ones")
    ones.build((None, 2, 4))
    np.testing.assert_array_equal(ones.cell.bias.numpy(), np.ones(12))
    off = layers.LSTM(3, unit_forget_bias=False)
    off.build((None, 2, 4))
    np.testing.assert_array_equal(off.cell.bias.numpy(), np.zeros(12))


@pytest.mark.parametrize("kind,shapes,count", [
    ("simple_rnn", [(3, 4), (4, 4), (4,)], 3 * 4 + 4 * 4 + 4),
    ("lstm", [(3, 16), (4, 16), (16,)], 4 * (3 * 4 + 4 * 4 + 4)),
    ("gru", [(3, 12), (4, 12), (2, 12)], 3 * (3 * 4 + 4 * 4) + 2 * 12),
    ("gru_reset_before", [(3, 12), (4, 12), (12,)], 3 * (3 * 4 + 4 * 4 + 4)),
])
def test_weights_live_in_the_cell_in_keras_order(kind, shapes, count):
    layer = KINDS[kind][0](4)
    layer(rand(2, 5, 3))
    assert [tuple(w.shape) for w in layer.weights] == shapes
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    cell = layer.cell
    assert [id(w) for w in layer.weights] == [id(cell.kernel), id(cell.recurrent_kernel), id(cell.bias)]
    assert layer.count_params() == count
    assert all(w.trainable for w in layer.weights) and layer.non_trainable_weights == []
    no_bias = KINDS[kind][0](4, use_bias=False)
    no_bias(rand(2, 5, 3))
    assert [tuple(w.shape) for w in no_bias.weights] == shapes[:2]


def test_stacked_cells_chain_within_each_step():
    x = rand(2, 5, 3)
    w_lstm, w_gru = random_weights("lstm", 3, 4), random_weights("gru", 4, 2)
    layer = layers.RNN([layers.LSTMCell(4), layers.GRUCell(2)], return_sequences=True, return_state=True)
    layer.build((None, None, 3))
    layer.set_weights(w_lstm + w_gru)
    assert isinstance(layer.cell, layers.StackedRNNCells)
    lstm, gru = lstm_step(w_lstm), gru_step(w_gru)

    def step(x_t, states):
        h1, s1 = lstm(x_t, states[:2])
        h2, s2 = gru(h1, states[2:])
        return h2, s1 + s2
    zeros = [np.zeros((2, 4)), np.zeros((2, 4)), np.zeros((2, 2))]
    sequence, _, states = run(step, x, zeros)
    outputs = layer(x)
    np.testing.assert_allclose(npv(outputs[0]), sequence, **TOL)
    assert len(outputs) == 4  # output, then each cell's states in order (flat)
    for got, want in zip(outputs[1:], states):
        np.testing.assert_allclose(npv(got), want, **TOL)


# --- gradients ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gradients_match_central_differences(kind):
    x, w = rand(2, 3, 2), rand(2, 3, 3)
    weights = random_weights(kind, 2, 3)
    layer = make_layer(kind, 3, weights, 2, return_sequences=True)
    grads = K.gradients(lambda: K.sum(K.multiply(layer(x), w)), layer.trainable_weights)
    current = [np.float64(v) for v in weights]
    ref = KINDS[kind][3]
    for i, grad in enumerate(grads):
        def loss(value, i=i):
            ws = current[:i] + [value] + current[i + 1:]
            return float(np.sum(run(ref(ws), x, [np.zeros((2, 3))] * KINDS[kind][4])[0] * w))
        np.testing.assert_allclose(npv(grad), central_difference(loss, current[i]), rtol=1e-4, atol=1e-5)


def test_lstm_input_gradient_matches_central_differences():
    x = np.float64(rand(2, 4, 2))
    weights = random_weights("lstm", 2, 3)
    layer = make_layer("lstm", 3, weights, 2)
    x_var = K.Variable(x.astype(np.float32))
    (grad,) = K.gradients(lambda: K.sum(layer(x_var.value)), [x_var])
    want = central_difference(lambda v: float(np.sum(run(lstm_step(weights), v, [np.zeros((2, 3))] * 2)[1])), x)
    np.testing.assert_allclose(npv(grad), want, rtol=1e-4, atol=1e-5)


# --- masks ----------------------------------------------------------------------------------------------------------

PADDED = np.array([[4, 9, 2, 0, 0], [3, 0, 0, 0, 0], [5, 6, 7, 8, 1]])


def test_padded_batch_ends_in_the_states_of_each_sequence_alone():
    set_random_seed(0)
    emb = layers.Embedding(10, 3, mask_zero=True)
    lstm = layers.LSTM(4, return_state=True)
    out, h, c = lstm(emb(PADDED))
    for row, ids in enumerate(PADDED):
        alone = ids[ids != 0][None]
        out1, h1, c1 = lstm(emb.embeddings.numpy()[alone])  # no mask at all
        for got, want in ((out, out1), (h, h1), (c, c1)):
            np.testing.assert_allclose(npv(got)[row], npv(want)[0], **TOL)


@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("zero_output", [False, True])
def test_masked_sequences_match_the_reference_loop(go_backwards, zero_output):
    x = rand(3, 5, 2)
    x[PADDED == 0] = 0.0
    weights = random_weights("gru", 2, 3)
    model_in = Input((5, 2))
    layer = layers.GRU(3, return_sequences=True, return_state=True, go_backwards=go_backwards,
                       zero_output_for_mask=zero_output)
    outputs = layer(layers.Masking(0.0)(model_in))
    model = Model(model_in, outputs)
    layer.set_weights(weights)
    sequence, _, states = run(gru_step(weights), x, [np.zeros((3, 3))], go_backwards=go_backwards,
                              mask=PADDED != 0, zero_output=zero_output)
    got = model(x)
    np.testing.assert_allclose(npv(got[0]), sequence, **TOL)
    np.testing.assert_allclose(npv(got[1]), states[0], **TOL)


def test_output_mask_is_the_input_mask_only_for_sequences():
    from core.engine import masks
    emb = layers.Embedding(10, 3, mask_zero=True)
    seq = layers.LSTM(2, return_sequences=True)(emb(PADDED))
    np.testing.assert_array_equal(npv(masks.get_mask(seq)), PADDED != 0)
    assert masks.get_mask(layers.LSTM(2)(emb(PADDED))) is None
    symbolic = layers.SimpleRNN(2, return_sequences=True)(layers.Embedding(10, 3, mask_zero=True)(Input((5,))))
    assert symbolic._keras_mask is not None and symbolic._keras_mask.shape == (None, 5)


def test_masks_reach_the_layer_while_differentiating():
    set_random_seed(0)
    emb = layers.Embedding(10, 3, mask_zero=True)
    lstm = layers.LSTM(4)
    ids = PADDED[:1]
    lstm(emb(ids))
    weights = lstm.trainable_weights + emb.trainable_weights  # the embedded batch is traced too
    padded = K.gradients(lambda: K.sum(lstm(emb(ids))), weights)
    alone = K.gradients(lambda: K.sum(lstm(emb(ids[:, :3]))), weights)
    assert len(padded) == 4
    for a, b in zip(padded, alone):
        np.testing.assert_allclose(npv(a), npv(b), **TOL)


# --- stateful, unroll, dropout ------------------------------------------------------------------------------------

def test_stateful_layer_carries_states_across_calls_until_reset():
    x = rand(2, 6, 3)
    weights = random_weights("lstm", 3, 4)
    layer = make_layer("lstm", 4, weights, 3, stateful=True, return_sequences=True)
    first, second = npv(layer(x[:, :3])), npv(layer(x[:, 3:]))
    whole = run(lstm_step(weights), x, [np.zeros((2, 4))] * 2)[0]
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, **TOL)
    assert len(layer.states) == 2 and layer.weights == layer.trainable_weights  # states are not weights
    layer.reset_states()
    np.testing.assert_allclose(npv(layer(x[:, 3:])), run(lstm_step(weights), x[:, 3:], [np.zeros((2, 4))] * 2)[0],
                               **TOL)
    h, c = rand(2, 4), rand(2, 4)
    layer.reset_states([h, c])
    np.testing.assert_allclose(npv(layer(x[:, :3])), run(lstm_step(weights), x[:, :3], [h, c])[0], **TOL)
    with pytest.raises(ValueError, match="shape"):
        layer.reset_states([np.zeros((3, 4)), np.zeros((3, 4))])
    with pytest.raises(AttributeError, match="not stateful"):
        layers.LSTM(2).reset_states()


def test_stateful_model_from_batch_input_shape():
    model = Sequential([layers.SimpleRNN(3, stateful=True, batch_input_shape=(2, None, 2))])
    assert model.layers[0].states is not None and tuple(model.layers[0].states[0].shape) == (2, 3)
    x = rand(2, 4, 2)
    once = npv(model(x))
    assert not np.allclose(npv(model(x)), once)  # started from the carried states
    model.layers[0].reset_states()
    np.testing.assert_allclose(npv(model(x)), once, **TOL)


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_unroll_equals_the_loop(kind):
    x, weights = rand(3, 5, 2), random_weights(kind, 2, 3)
    emb_mask = K.convert_to_tensor(PADDED != 0)
    for kwargs in ({}, {"go_backwards": True}):
        rolled = make_layer(kind, 3, weights, 2, return_sequences=True, **kwargs)
        unrolled = make_layer(kind, 3, weights, 2, return_sequences=True, unroll=True, **kwargs)
        np.testing.assert_allclose(npv(unrolled(x)), npv(rolled(x)), **TOL)
        np.testing.assert_allclose(npv(unrolled(x, mask=emb_mask)), npv(rolled(x, mask=emb_mask)), **TOL)


def identity_rnn(**kwargs):
    layer = layers.SimpleRNN(4, activation="linear", return_sequences=True, seed=7, **kwargs)
    layer.build((None, None, 4))
    return layer


def test_input_dropout_mask_is_drawn_once_per_sequence():
    layer = identity_rnn(dropout=0.5)
    layer.set_weights([np.eye(4, dtype=np.float32), np.zeros((4, 4), np.float32), np.zeros(4, np.float32)])
    x = np.ones((6, 5, 4), np.float32)
    out = npv(layer(x, training=True))  # out[:, t] = x_t * mask
    assert set(np.unique(out)) <= {0.0, 2.0} and 0 < (out == 0).mean() < 1
    np.testing.assert_array_equal(out, np.repeat(out[:, :1], 5, axis=1))  # the same mask at every step
    np.testing.assert_allclose(npv(layer(x)), x, **TOL)  # inference: no dropout
    assert not np.array_equal(npv(layer(x, training=True)), out)  # a new mask on the next call


def test_recurrent_dropout_mask_is_drawn_once_per_sequence():
    layer = identity_rnn(recurrent_dropout=0.5)
    layer.set_weights([np.zeros((4, 4), np.float32), np.eye(4, dtype=np.float32), np.zeros(4, np.float32)])
    x, h0 = np.zeros((6, 3, 4), np.float32), np.ones((6, 4), np.float32)
    out = npv(layer(x, initial_state=[h0], training=True))  # h_t = h_{t-1} * mask: h0 * mask ** t
    kept = out[:, 0] != 0
    for t in range(3):
        np.testing.assert_allclose(out[:, t], np.where(kept, 2.0 ** (t + 1), 0.0), **TOL)


def test_dropout_in_a_compiled_fit_step():
    set_random_seed(2)
    model = Sequential([Input((4, 3)), layers.Bidirectional(layers.GRU(4, dropout=0.2, recurrent_dropout=0.2)),
                        layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(rand(16, 4, 3), rand(16, 1), batch_size=8, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


# --- Bidirectional ------------------------------------------------------------------------------------------------

def bidirectional_reference(x, w_fwd, w_bwd, mask=None):
    fwd, fwd_last, fwd_states = run(lstm_step(w_fwd), x, [np.zeros((x.shape[0], 3))] * 2, mask=mask,
                                    zero_output=True)
    bwd, bwd_last, bwd_states = run(lstm_step(w_bwd), x, [np.zeros((x.shape[0], 3))] * 2, go_backwards=True,
                                    mask=mask, zero_output=True)
    return fwd, bwd[:, ::-1], fwd_last, bwd_last, fwd_states + bwd_states


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge_mode):
    x = rand(2, 4, 2)
    w_fwd, w_bwd = random_weights("lstm", 2, 3), random_weights("lstm", 2, 3)
    layer = layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode=merge_mode)
    layer.build((None, 4, 2))
    layer.set_weights(w_fwd + w_bwd)  # forward weights, then backward
    assert layer.forward_layer.name.startswith("forward_") and layer.backward_layer.go_backwards
    fwd, bwd, *_ = bidirectional_reference(x, w_fwd, w_bwd)
    want = {"concat": np.concatenate([fwd, bwd], -1), "sum": fwd + bwd, "mul": fwd * bwd,
            "ave": (fwd + bwd) / 2, None: [fwd, bwd]}[merge_mode]
    got = layer(x)
    if merge_mode is None:
        for g, w in zip(got, want):
            np.testing.assert_allclose(npv(g), w, **TOL)
    else:
        np.testing.assert_allclose(npv(got), want, **TOL)
    symbolic = layer(Input((None, 2)))
    shape = (None, None, 6 if merge_mode == "concat" else 3)
    assert [t.shape for t in symbolic] == [shape] * 2 if merge_mode is None else symbolic.shape == shape


def test_bidirectional_states_initial_state_and_masks():
    x = rand(3, 5, 2)
    x[PADDED == 0] = 0.0
    w_fwd, w_bwd = random_weights("lstm", 2, 3), random_weights("lstm", 2, 3)
    inputs = Input((5, 2))
    layer = layers.Bidirectional(layers.LSTM(3, return_state=True))
    outputs = layer(layers.Masking()(inputs))
    model = Model(inputs, outputs)
    layer.set_weights(w_fwd + w_bwd)
    _, _, fwd_last, bwd_last, states = bidirectional_reference(x, w_fwd, w_bwd, mask=PADDED != 0)
    got = model(x)
    assert len(got) == 5 and [t.shape for t in outputs] == [(None, 6)] + [(None, 3)] * 4
    np.testing.assert_allclose(npv(got[0]), np.concatenate([fwd_last, bwd_last], -1), **TOL)
    for g, w in zip(got[1:], states):
        np.testing.assert_allclose(npv(g), w, **TOL)
    # initial states: the forward layer's, then the backward layer's
    init = [rand(3, 3) for _ in range(4)]
    out = layer(x, initial_state=init)
    want_f = run(lstm_step(w_fwd), x, init[:2])[1]
    want_b = run(lstm_step(w_bwd), x, init[2:], go_backwards=True)[1]
    np.testing.assert_allclose(npv(out[0]), np.concatenate([want_f, want_b], -1), **TOL)


def test_bidirectional_backward_layer_and_errors():
    layer = layers.Bidirectional(layers.LSTM(3), backward_layer=layers.GRU(2, go_backwards=True))
    assert layer(Input((4, 2))).shape == (None, 5)
    assert [tuple(w.shape) for w in layer.weights] == [(2, 12), (3, 12), (12,), (2, 6), (2, 6), (2, 6)]
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3))
    with pytest.raises(ValueError, match="return_sequences"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="recurrent layer"):
        layers.Bidirectional(layers.Dense(3))


def test_bidirectional_in_sequential_takes_the_inner_input_shape():
    model = Sequential([layers.Bidirectional(layers.SimpleRNN(2), input_shape=(5, 3))])
    assert model.output_shape == (None, 4)
    assert model.count_params() == 2 * (3 * 2 + 2 * 2 + 2)


# --- TimeDistributed ------------------------------------------------------------------------------------------------

def test_time_distributed_dense_matches_per_step_reference():
    x = rand(2, 4, 3)
    layer = layers.TimeDistributed(layers.Dense(5, activation="tanh"))
    out = layer(x)
    kernel, bias = (np.float64(w) for w in layer.get_weights())
    np.testing.assert_allclose(npv(out), np.tanh(np.float64(x) @ kernel + bias), **TOL)
    assert layer(Input((None, 3))).shape == (None, None, 5)
    assert layer.compute_output_shape((None, 7, 3)) == (None, 7, 5)


def test_time_distributed_over_a_model():
    inner = Sequential([Input((2, 2)), layers.Flatten(), layers.Dense(3, activation="relu"), layers.Dense(2)])
    x = rand(3, 4, 2, 2)
    outer_in = Input((4, 2, 2))
    model = Model(outer_in, layers.TimeDistributed(inner)(outer_in))
    (k1, b1), (k2, b2) = [[np.float64(w) for w in layer.get_weights()] for layer in inner.layers[1:]]
    flat = np.float64(x).reshape(3, 4, 4)
    want = np.maximum(flat @ k1 + b1, 0) @ k2 + b2
    np.testing.assert_allclose(npv(model(x)), want, **TOL)
    assert model.output_shape == (None, 4, 2) and model.count_params() == inner.count_params()


def test_time_distributed_passes_masks_and_rejects_bad_input():
    from core.engine import masks
    out = layers.TimeDistributed(layers.Dense(2))(layers.Embedding(10, 3, mask_zero=True)(PADDED))
    np.testing.assert_array_equal(npv(masks.get_mask(out)), PADDED != 0)
    with pytest.raises(ValueError, match="time_distributed"):
        layers.TimeDistributed(layers.Dense(2))(rand(2, 3))
    with pytest.raises(ValueError, match="Layer"):
        layers.TimeDistributed(np.tanh)


# --- configs, shapes, errors ------------------------------------------------------------------------------------

def same_outputs(layer, x):
    clone = type(layer).from_config(layer.get_config())
    clone.build((None,) + x.shape[1:])
    clone.set_weights(layer.get_weights())
    for a, b in zip(np.atleast_1d(layer(x)), np.atleast_1d(clone(x))):
        np.testing.assert_allclose(npv(b), npv(a), **TOL)
    return clone


@pytest.mark.parametrize("make", [
    lambda: layers.SimpleRNN(3, activation="relu", return_sequences=True),
    lambda: layers.LSTM(3, recurrent_activation="hard_sigmoid", go_backwards=True, unit_forget_bias=False),
    lambda: layers.GRU(3, reset_after=False, return_state=True),
    lambda: layers.RNN([layers.LSTMCell(3), layers.SimpleRNNCell(2)], return_sequences=True),
    lambda: layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="sum"),
    lambda: layers.Bidirectional(layers.LSTM(2), backward_layer=layers.SimpleRNN(3, go_backwards=True)),
    lambda: layers.TimeDistributed(layers.Dense(4, activation="relu")),
], ids=["simple_rnn", "lstm", "gru", "stacked", "bidirectional", "bidirectional_backward", "time_distributed"])
def test_config_round_trip_gives_the_same_outputs(make):
    layer = make()
    x = rand(2, 4, 3)
    layer(x)
    clone = same_outputs(layer, x)
    assert clone.get_config() == layer.get_config()
    rebuilt = layers.deserialize(layers.serialize(layer))
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == layer.get_config()


def test_config_holds_the_cell_arguments_like_keras():
    config = layers.LSTM(4, dropout=0.1, return_sequences=True, name="enc").get_config()
    for key, value in {"units": 4, "activation": "tanh", "recurrent_activation": "sigmoid", "unit_forget_bias": True,
                       "dropout": 0.1, "recurrent_dropout": 0.0, "return_sequences": True, "return_state": False,
                       "go_backwards": False, "stateful": False, "unroll": False, "name": "enc"}.items():
        assert config[key] == value, key
    assert "cell" not in config and layers.GRU(2).get_config()["reset_after"] is True
    rnn_config = layers.RNN(layers.GRUCell(2)).get_config()
    assert rnn_config["cell"]["class_name"] == "GRUCell"
    # Keras 2 writes these keys too
    layers.LSTM.from_config({**config, "implementation": 2, "time_major": False})


@pytest.mark.parametrize("return_sequences,return_state", [(False, False), (True, False), (True, True)])
def test_symbolic_shapes_with_unknown_time(return_sequences, return_state):
    out = layers.LSTM(4, return_sequences=return_sequences, return_state=return_state)(Input((None, 3)))
    main = (None, None, 4) if return_sequences else (None, 4)
    if return_state:
        assert [t.shape for t in out] == [main, (None, 4), (None, 4)]
    else:
        assert out.shape == main
    model = Sequential([Input((None, 3)), layers.GRU(2, return_sequences=True), layers.SimpleRNN(5)])
    assert model.output_shape == (None, 5)
    assert K.int_shape(model(rand(2, 7, 3))) == (2, 5)


def test_keras1_argument_names_still_work():
    with pytest.warns(DeprecationWarning, match="units"):
        layer = layers.LSTM(output_dim=3, inner_activation="sigmoid", dropout_W=0.1, input_dim=2, input_length=4)
    assert layer.units == 3 and layer.dropout == 0.1 and layer._batch_input_shape == (None, 4, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert layers.LSTM(2, forget_bias_init="zero").unit_forget_bias is False


def test_errors_name_the_layer_and_the_fix():
    with pytest.raises(ValueError, match="lstm_bad.*rank 3"):
        layers.LSTM(2, name="lstm_bad")(rand(2, 3))
    with pytest.raises(ValueError, match="dropout must be a float in"):
        layers.GRU(2, dropout=1.5)
    with pytest.raises(ValueError, match="units must be a positive integer"):
        layers.SimpleRNN(0)
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match="time_major"):
        layers.LSTM(2, time_major=True)
    with pytest.raises(ValueError, match="initial_state"):
        layers.Bidirectional(layers.LSTM(2))(rand(1, 2, 2), initial_state=[rand(1, 2)])


# --- learning -------------------------------------------------------------------------------------------------------

def token_sequences(n, rng, maxlen=12):
    """Padded sequences of tokens 1..49; label 1 when token 7 occurs (half the rows)."""
    x, y = np.zeros((n, maxlen), "int32"), np.zeros(n, "float32")
    others = np.array([t for t in range(1, 50) if t != 7])
    for i in range(n):
        length = rng.integers(3, maxlen + 1)
        seq = rng.choice(others, size=length)
        if i % 2:
            seq[rng.integers(length)] = 7
            y[i] = 1.0
        x[i, :length] = seq
    return x, y


def test_embedding_lstm_learns_whether_a_token_occurs():
    rng = np.random.default_rng(0)
    (x, y), (xt, yt) = token_sequences(1000, rng), token_sequences(300, rng)
    set_random_seed(1)
    model = Sequential([Input((12,), dtype="int32"), layers.Embedding(50, 8, mask_zero=True), layers.LSTM(16),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy > 0.9
