"""The numpy engine's K.jit: recorded on the first call, checked on the second, replayed after
(kbackend_numpy/replay.py). Replays must give what running the function gives, and whatever a
record cannot follow must make the function run as is."""

import os

import numpy as np
import pytest

if os.environ.get("KERAS_BACKEND", "numpy") != "numpy":
    pytest.skip("numpy engine internals", allow_module_level=True)

import kbackend as K  # noqa: E402
from core import layers, optimizers  # noqa: E402
from core.models import Sequential  # noqa: E402

RNG = np.random.default_rng(11)


def _model():
    model = Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"), layers.BatchNormalization(),
                        layers.Dropout(0.3, seed=3), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _mlp_data():
    x = np.random.default_rng(0).normal(size=(70, 6)).astype(np.float32)  # 70 = 4 batches of 16 and one of 6
    return x, (x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0).astype(np.int32)


def _fit(monkeypatch, replay, make_model, weights, data, epochs):
    """fit with replays on or off from the given weights: (model, history, calls replayed)."""
    monkeypatch.setenv("KBACKEND_REPLAY", "1" if replay else "0")
    model = make_model()
    model.set_weights(weights)
    history = model.fit(*data, batch_size=16, epochs=epochs, shuffle=False, verbose=0)
    return model, history.history, sum(s.replays for s in model._steps.values() if hasattr(s, "replays"))


def test_fit_replayed_gives_the_numbers_of_fit_run_as_is(monkeypatch):
    weights = _model().get_weights()
    model, history, replays = _fit(monkeypatch, True, _model, weights, _mlp_data(), 4)
    plain, plain_history, plain_replays = _fit(monkeypatch, False, _model, weights, _mlp_data(), 4)
    # 4 epochs of 4 full batches and a partial one (a record of its own): all but the first two of each replayed
    assert replays == (4 * 4 - 2) + (4 - 2) and plain_replays == 0
    for a, b in zip(model.get_weights(), plain.get_weights()):  # dropout, batch statistics, Adam
        np.testing.assert_array_equal(a, b)
    assert history == plain_history


def test_replays_follow_new_inputs():
    def step(w, x, count):
        h = K.relu(K.matmul(x, w)) * 2.0 - x[:, :1]  # Python operators on engine tensors too
        return K.sum(h, axis=1), K.add(count, 1)

    compiled = K.jit(step)
    w = RNG.normal(size=(4, 5)).astype(np.float32)
    count = np.zeros((), np.int32)
    for i in range(6):
        x = RNG.normal(size=(3, 4)).astype(np.float32)
        got, count = compiled(w, x, count)
        np.testing.assert_allclose(got, (np.maximum(x @ w, 0) * 2.0 - x[:, :1]).sum(axis=1), rtol=1e-6)
        assert int(count) == i + 1
    assert compiled.replays == 4


def test_dropout_masks_change_from_replay_to_replay():
    layer = layers.Dropout(0.5, seed=1)
    layer.build((2, 50))
    seed_state = [v for v in layer.non_trainable_variables]

    def step(values, x):
        from kbackend.scope import StatelessScope
        with StatelessScope(dict(zip(seed_state, values))) as scope:
            y = layer(x, training=True)
            return y, [scope.get(v) for v in seed_state]

    compiled = K.jit(step)
    values = [v.value for v in seed_state]
    masks = []
    for _ in range(5):
        y, values = compiled(values, np.ones((2, 50), np.float32))
        masks.append(np.asarray(y) > 0)
    assert compiled.replays == 3
    assert len({m.tobytes() for m in masks}) == 5  # a fresh mask every call
    for m in masks:
        assert 0.2 < m.mean() < 0.8


def test_a_function_reading_a_variable_runs_as_is():
    v = K.Variable(np.ones(3, np.float32))
    compiled = K.jit(lambda x: K.multiply(x, v.value))
    x = np.arange(3, dtype=np.float32)
    for scale in (1.0, 2.0, 3.0, 4.0):
        v.assign(np.full(3, scale, np.float32))
        np.testing.assert_array_equal(compiled(x), x * scale)
    assert compiled.replays == 0


def test_a_host_computation_inside_is_caught_by_the_check():
    # the sum is computed by numpy on the host, out of the record's sight: the second call's
    # check finds that a replay would reuse the first call's sum
    compiled = K.jit(lambda x: K.add(x, float(np.sum(K.convert_to_numpy(x)))))
    for _ in range(5):
        x = RNG.normal(size=4).astype(np.float32)
        np.testing.assert_allclose(compiled(x), x + x.sum(), rtol=1e-6)
    assert compiled.replays == 0


def test_cond_on_a_tensor_takes_the_branch_of_each_call():
    compiled = K.jit(lambda x: K.cond(K.sum(x) > 0, lambda: x * 2.0, lambda: x * 3.0))
    for sign in (1, 1, -1, 1, -1, -1):
        x = np.full(3, sign, np.float32)
        np.testing.assert_array_equal(compiled(x), x * (2.0 if sign > 0 else 3.0))
    assert compiled.replays == 0


def test_each_signature_gets_its_own_record():
    compiled = K.jit(lambda x, scale: K.sum(K.square(x), axis=0) * scale)
    for shape, scale in [((4, 3), 2.0)] * 3 + [((5, 3), 2.0)] * 3 + [((4, 3), 0.5)] * 3 + [((4, 3), 2.0)]:
        x = RNG.normal(size=shape).astype(np.float32)
        np.testing.assert_allclose(compiled(x, scale), (x ** 2).sum(axis=0) * scale, rtol=1e-6)
    assert compiled.replays == 1 + 1 + 1 + 1


def test_constants_are_frozen_when_recorded():
    # as jax.jit keeps the constants of its trace: a later change to the array is not seen
    table = np.arange(3, dtype=np.float32)
    compiled = K.jit(lambda x: K.add(x, table))
    x = np.ones(3, np.float32)
    for _ in range(3):
        np.testing.assert_array_equal(compiled(x), x + np.arange(3))
    table[:] = 100
    np.testing.assert_array_equal(compiled(x), x + np.arange(3))


def test_a_replay_inside_a_gradient_is_not_used():
    # called on traced values (inside value_and_grad) the function runs as is, so the tape sees it
    compiled = K.jit(lambda w: K.sum(K.square(w)))
    w = RNG.normal(size=3).astype(np.float32)
    for _ in range(3):
        compiled(w)
    _, grad = K.value_and_grad(compiled)(w)
    np.testing.assert_allclose(grad, 2 * w, rtol=1e-6)


def test_a_replayed_step_still_checks_its_labels_and_indices():
    loss = K.jit(lambda y, p: K.sparse_categorical_crossentropy(y, p))
    lookup = K.jit(lambda table, i: K.gather(table, i))
    p = np.full((4, 3), 1 / 3, np.float32)
    table = np.arange(10, dtype=np.float32)
    for _ in range(3):
        np.testing.assert_allclose(loss(np.array([0, 1, 2, 1]), p), np.full(4, np.log(3)), rtol=1e-6)
        np.testing.assert_array_equal(lookup(table, np.array([1, 9])), [1, 9])
    assert loss.replays == 1 and lookup.replays == 1
    with pytest.raises(ValueError, match="target classes must be in"):
        loss(np.array([0, 1, 3, 1]), p)
    with pytest.raises(ValueError, match="out of range"):
        lookup(table, np.array([1, 10]))


def test_a_gradient_through_a_comparison_replays():
    # greater() on a value being differentiated (as in a Huber loss): recorded, no gradient of its own
    step = K.jit(K.value_and_grad(lambda w: K.sum(K.where(K.greater(w, 0.0), w * w, -w))))
    for _ in range(5):
        w = RNG.normal(size=6).astype(np.float32)
        value, grad = step(w)
        np.testing.assert_allclose(value, np.where(w > 0, w * w, -w).sum(), rtol=1e-6)
        np.testing.assert_allclose(grad, np.where(w > 0, 2 * w, -1.0), rtol=1e-6)
    assert step.replays == 3


def _rnn_model():
    # SimpleRNN runs the generic K.rnn: a scan over the time steps' slices, each a kernel call
    model = Sequential([layers.Input((5, 3)), layers.Masking(0.0), layers.SimpleRNN(4, go_backwards=True),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _rnn_data():
    x = np.random.default_rng(1).normal(size=(48, 5, 3)).astype(np.float32)
    x[::3, 3:] = 0.0  # masked tail steps
    return x, (x[:, 0, 0] > 0).astype(np.float32)


def test_a_scan_over_time_steps_is_replayed(monkeypatch):
    weights = _rnn_model().get_weights()
    model, history, replays = _fit(monkeypatch, True, _rnn_model, weights, _rnn_data(), 3)
    plain, plain_history, _ = _fit(monkeypatch, False, _rnn_model, weights, _rnn_data(), 3)
    assert replays == 3 * 3 - 2
    for a, b in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history == plain_history
