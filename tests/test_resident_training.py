"""fit() on in-memory arrays keeps the data on the engine (core/trainers/resident.py):
the same seeded fit must give the same weights as batches sent from the host, with
and without steps_per_execution, sample weights and class weights."""

import numpy as np
import pytest

import core
import kbackend as K
from core import layers
from core.trainers import resident


def _model(steps_per_execution=1):
    core.utils.set_random_seed(3)
    model = core.Sequential([core.Input(shape=(6,)), layers.Dense(8, activation="relu"), layers.Dropout(0.25),
                             layers.Dense(3, activation="softmax")])
    model.compile(optimizer=core.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=steps_per_execution)
    return model


def _data(n=70):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)
    return x, y


def _fit(monkeypatch, host, steps_per_execution=1, **kwargs):
    if host:  # no data may stay on the engine: every batch comes from the host
        monkeypatch.setattr(resident, "MAX_RESIDENT_BYTES", 0)
    model = _model(steps_per_execution)
    calls = []
    original = model._run_resident_steps
    model._run_resident_steps = lambda *a: calls.append(a[-1]) or original(*a)
    x, y = _data()
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, **kwargs)
    return [w.copy() for w in model.get_weights()], history.history, calls


@pytest.mark.parametrize("kwargs", [{}, {"class_weight": {0: 1.0, 1: 2.0, 2: 0.5}},
                                    {"sample_weight": np.linspace(0.1, 2.0, 70).astype("float32")},
                                    {"shuffle": False}])
def test_resident_fit_matches_host_batches(monkeypatch, kwargs):
    host_weights, host_logs, host_calls = _fit(monkeypatch, True, **kwargs)
    monkeypatch.undo()
    weights, logs, calls = _fit(monkeypatch, False, **kwargs)
    assert host_calls == [] and calls == [1] * 4 * 3  # 70 samples: 4 full batches of 16 per epoch (+ 6 on the host)
    for a, b in zip(weights, host_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in host_logs:
        np.testing.assert_allclose(logs[key], host_logs[key], rtol=1e-5, atol=1e-6)


def test_steps_per_execution_runs_several_steps_per_call(monkeypatch):
    host_weights, _, _ = _fit(monkeypatch, True)
    monkeypatch.undo()
    weights, _, calls = _fit(monkeypatch, False, steps_per_execution=3)
    assert calls == [3, 1] * 3  # 4 full batches per epoch: one call of 3, one of 1
    for a, b in zip(weights, host_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_batch_hooks_see_each_execution():
    seen = []

    class Hook(core.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, round(logs["loss"], 6)))

    model = _model(steps_per_execution=2)
    x, y = _data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Hook()])
    # 4 full batches in 2 calls (hooks after steps 1 and 3), then the last 6 samples (step 4)
    assert [b for b, _ in seen] == [1, 3, 4]
    assert all(np.isfinite(loss) and loss > 0 for _, loss in seen)


def test_large_data_stays_on_host(monkeypatch):
    monkeypatch.setattr(resident, "MAX_RESIDENT_BYTES", 100)
    model = _model()
    x, y = _data()
    iterator = core.trainers.data_adapters.EpochIterator(x=x, y=y, batch_size=16)
    assert resident.ResidentData.for_fit(iterator, lambda d: d) is None
    monkeypatch.undo()
    found = resident.ResidentData.for_fit(iterator, lambda d: d)
    assert (found.batch_size, found.full_batches, found.num_samples) == (16, 4, 70)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)


def test_predict_matches_numpy_reference():
    model = _model()
    x, _ = _data(70)
    got = model.predict(x, batch_size=16, verbose=0)
    reference = np.maximum(x @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy(), 0)
    reference = reference @ model.layers[2].kernel.numpy() + model.layers[2].bias.numpy()
    reference = np.exp(reference - reference.max(1, keepdims=True))
    reference /= reference.sum(1, keepdims=True)
    np.testing.assert_allclose(got, reference, rtol=1e-5, atol=1e-6)


def test_predict_batch_hooks_get_host_outputs():
    seen = []

    class Hook(core.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append((batch, type(logs["outputs"]), logs["outputs"].shape))

    model = _model()
    x, _ = _data(70)
    model.predict(x, batch_size=16, verbose=0, callbacks=[Hook()])
    assert seen == [(i, np.ndarray, (16 if i < 4 else 6, 3)) for i in range(5)]


def test_weights_read_before_training_stay_intact():
    # jax steps donate the state's buffers: arrays handed out earlier must not change
    model = _model()
    x, y = _data()
    model.fit(x[:16], y[:16], batch_size=16, epochs=1, verbose=0)
    before = model.get_weights()
    kept = [w.copy() for w in before]
    values = [K.convert_to_numpy(v.value) for v in model.trainable_weights]
    kept_values = [v.copy() for v in values]
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    for a, b in zip(before + values, kept + kept_values):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), kept))
