"""The trainer on every engine: compile / fit / evaluate / predict and the
on-batch methods, checked against updates and losses computed by hand in
float64 numpy."""

import warnings

import numpy as np
import pytest

import core
import kbackend as K
from core import layers, optimizers
from core.models import Model, Sequential
from core.utils import PyDataset, set_random_seed


def linear_model(units=1, seed=0):
    model = Sequential([layers.Dense(units, input_shape=(2,))])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=(2, units)), rng.normal(size=(units,))])
    return model


def data(n=4, seed=1, units=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)).astype("float32"), rng.normal(size=(n, units)).astype("float32")


def mse_grads(w, b, x, y):
    """d/dw, d/db of mean((x w + b - y)^2) in float64."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    err = x @ w + b - y
    scale = 2.0 / err.size
    return scale * x.T @ err, scale * err.sum(axis=0)


# -- hand-computed steps ------------------------------------------------------------

def test_sgd_momentum_steps_by_hand():
    model = linear_model()
    w, b = (a.astype(np.float64) for a in model.get_weights())
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="mse")
    x, y = data()
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(3):
        loss = model.train_on_batch(x, y)
        np.testing.assert_allclose(loss, np.mean((x @ w + b - y) ** 2), rtol=1e-5)
        gw, gb = mse_grads(w, b, x, y)
        vw, vb = 0.9 * vw - 0.1 * gw, 0.9 * vb - 0.1 * gb
        w, b = w + vw, b + vb
        got_w, got_b = model.get_weights()
        np.testing.assert_allclose(got_w, w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_b, b, rtol=1e-5, atol=1e-6)


def test_adam_steps_by_hand():
    model = linear_model()
    w, b = (a.astype(np.float64) for a in model.get_weights())
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    params = [w, b]
    for t in range(1, 4):
        model.train_on_batch(x, y)
        grads = mse_grads(params[0], params[1], x, y)
        lr_t = 0.001 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] = params[i] - lr_t * m[i] / (np.sqrt(v[i]) + 1e-7)
        for got, want in zip(model.get_weights(), params):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert int(K.convert_to_numpy(model.optimizer.iterations.value)) == 3


def test_adam_with_gradient_accumulation_in_fit_by_hand():
    # the steps that only accumulate must leave weights and moments as they were
    # (the numpy engine updates Adam's state in place where the old values are dead)
    set_random_seed(3)  # initial weights made by the engine (set_weights would store arrays of ours)
    model = Sequential([layers.Dense(1, input_shape=(2,), bias_initializer="ones")])
    params = [a.astype(np.float64) for a in model.get_weights()]
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01, gradient_accumulation_steps=2), loss="mse")
    x, y = data(8)
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    summed = [np.zeros_like(p) for p in params]
    for step in range(4):
        grads = mse_grads(params[0], params[1], x[2 * step:2 * step + 2], y[2 * step:2 * step + 2])
        summed = [s + g for s, g in zip(summed, grads)]
        if step % 2 == 0:
            continue
        t = step // 2 + 1
        lr_t = 0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        for i, s in enumerate(summed):
            g = s / 2
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] = params[i] - lr_t * m[i] / (np.sqrt(v[i]) + 1e-7)
        summed = [np.zeros_like(p) for p in params]
    for got, want in zip(model.get_weights(), params):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_training_never_writes_into_arrays_the_user_holds():
    model = linear_model(units=3)
    given = [np.array(a, np.float32) for a in model.get_weights()]
    model.set_weights(given)
    kept = [a.copy() for a in given]
    model.compile(optimizer="adam", loss="mse")
    x, y = data(8, units=3)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    snapshot = model.get_weights()
    kernel = model.layers[0].kernel
    evaluated, as_array = K.eval(kernel), kernel.numpy()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    for a, b in zip(given, kept):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(evaluated, snapshot[0])
    np.testing.assert_array_equal(as_array, snapshot[0])
    assert np.abs(model.get_weights()[0] - snapshot[0]).max() > 1e-4  # it did train


def test_regularization_loss_is_added_and_differentiated():
    model = Sequential([layers.Dense(1, input_shape=(2,), kernel_regularizer=core.regularizers.L2(0.5))])
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(2, 1)), np.array([0.3])
    model.set_weights([w, b])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    x, y = data()
    loss = model.train_on_batch(x, y)
    np.testing.assert_allclose(loss, np.mean((x @ w + b - y) ** 2) + 0.5 * np.sum(w ** 2), rtol=1e-5)
    gw, gb = mse_grads(w, b, x, y)
    np.testing.assert_allclose(model.get_weights()[0], w - 0.1 * (gw + 2 * 0.5 * w), rtol=1e-5, atol=1e-6)


class WithExtras(Model):
    """A subclassed model that adds a loss and a metric from inside call."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, inputs):
        out = self.dense(inputs)
        self.add_loss(0.1 * K.mean(K.square(out)))
        self.add_metric(K.abs(out), name="mean_abs_out")
        return out


def test_add_loss_and_add_metric_from_call():
    model = WithExtras()
    x, y = data(8)
    model(x)  # build
    w, b = (a.astype(np.float64) for a in model.get_weights())
    model.compile(optimizer="sgd", loss="mse")
    logs = model.evaluate(x, y, batch_size=8, return_dict=True, verbose=0)
    out = x @ w + b
    np.testing.assert_allclose(logs["loss"], np.mean((out - y) ** 2) + 0.1 * np.mean(out ** 2), rtol=1e-5)
    np.testing.assert_allclose(logs["mean_abs_out"], np.mean(np.abs(out)), rtol=1e-5)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "mean_abs_out"}


def test_frozen_layer_is_not_updated():
    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    model.layers[0].trainable = False
    before = model.get_weights()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(*data(8), epochs=2, verbose=0)
    after = model.get_weights()
    np.testing.assert_array_equal(after[0], before[0])
    assert not np.allclose(after[2], before[2])


# -- multiple inputs and outputs ----------------------------------------------------------

def two_in_two_out():
    a = core.Input(shape=(3,), name="in_a")
    b = core.Input(shape=(2,), name="in_b")
    h = layers.Dense(4, activation="relu", name="h")(a)
    out1 = layers.Dense(1, name="out1")(h)
    out2 = layers.Dense(3, activation="softmax", name="out2")(layers.Dense(4, name="hb")(b))
    return Model([a, b], [out1, out2])


def multi_data(n=16):
    rng = np.random.default_rng(3)
    xa, xb = rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")
    y1 = rng.normal(size=(n, 1)).astype("float32")
    y2 = rng.integers(0, 3, size=(n,))
    return xa, xb, y1, y2


def test_total_loss_is_weighted_sum_of_output_losses():
    model = two_in_two_out()
    model.compile(optimizer="sgd", loss={"out1": "mse", "out2": "sparse_categorical_crossentropy"},
                  loss_weights={"out1": 0.3, "out2": 0.7}, metrics={"out1": "mae", "out2": "accuracy"})
    xa, xb, y1, y2 = multi_data()
    logs = model.evaluate([xa, xb], [y1, y2], batch_size=16, return_dict=True, verbose=0)
    assert set(logs) == {"loss", "out1_loss", "out2_loss", "out1_mae", "out2_accuracy"}
    p1, p2 = (np.asarray(p, np.float64) for p in model.predict([xa, xb], verbose=0))
    mse = np.mean((p1 - y1) ** 2)
    sce = np.mean(-np.log(p2[np.arange(len(y2)), y2]))
    np.testing.assert_allclose(logs["out1_loss"], mse, rtol=1e-5)
    np.testing.assert_allclose(logs["out2_loss"], sce, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], 0.3 * mse + 0.7 * sce, rtol=1e-5)
    np.testing.assert_allclose(logs["out1_mae"], np.mean(np.abs(p1 - y1)), rtol=1e-5)
    np.testing.assert_allclose(logs["out2_accuracy"], np.mean(p2.argmax(-1) == y2), rtol=1e-6)
    # lists instead of dicts, and inputs/targets as dicts by name
    model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[0.3, 0.7])
    total = model.evaluate({"in_a": xa, "in_b": xb}, {"out1": y1, "out2": y2}, batch_size=16, verbose=0)[0]
    np.testing.assert_allclose(total, 0.3 * mse + 0.7 * sce, rtol=1e-5)


def test_fit_multi_output_logs_and_history():
    model = two_in_two_out()
    model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], metrics=[["mae"], ["acc"]])
    xa, xb, y1, y2 = multi_data(32)
    history = model.fit([xa, xb], [y1, y2], epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "out1_loss", "out2_loss", "out1_mae", "out2_acc", "val_loss",
                                    "val_out1_loss", "val_out2_loss", "val_out1_mae", "val_out2_acc"}
    assert all(len(v) == 2 for v in history.history.values())


# -- fit / evaluate / predict ---------------------------------------------------------------

def classifier(seed=0):
    set_random_seed(seed)
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = rng.normal(size=(n, 4)) + 2.0 * np.eye(3, 4)[y]
    return x.astype("float32"), y


def numpy_forward(model, x):
    w1, b1, w2, b2 = (np.asarray(a, np.float64) for a in model.get_weights())
    h = np.maximum(x @ w1 + b1, 0)
    z = h @ w2 + b2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_evaluate_and_predict_match_numpy():
    model = classifier()
    x, y = blobs()
    p = numpy_forward(model, x)
    np.testing.assert_allclose(model.predict(x, batch_size=7, verbose=0), p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), p, rtol=1e-5, atol=1e-6)
    loss, acc = model.evaluate(x, y, batch_size=16, verbose=0)
    np.testing.assert_allclose(loss, np.mean(-np.log(p[np.arange(len(y)), y])), rtol=1e-5)
    np.testing.assert_allclose(acc, np.mean(p.argmax(1) == y), rtol=1e-6)
    assert model.metrics_names == ["loss", "accuracy"]
    np.testing.assert_allclose(model.test_on_batch(x, y), [loss, acc], rtol=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "accuracy"}


def test_sample_weight_and_class_weight():
    x, y = blobs(30)
    weights = np.where(y == 1, 3.0, 1.0)
    model = classifier()
    p = numpy_forward(model, x)
    nll = -np.log(p[np.arange(len(y)), y])
    got = model.evaluate(x, y, sample_weight=weights, batch_size=30, verbose=0)[0]
    np.testing.assert_allclose(got, np.sum(nll * weights) / len(y), rtol=1e-5)
    a, b = classifier(), classifier()
    a.fit(x, y, sample_weight=weights, epochs=2, batch_size=10, shuffle=False, verbose=0)
    b.fit(x, y, class_weight={0: 1.0, 1: 3.0, 2: 1.0}, epochs=2, batch_size=10, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_fit_history_validation_and_initial_epoch():
    x, y = blobs(40)
    model = classifier()
    history = model.fit(x, y, epochs=5, initial_epoch=2, batch_size=16, validation_data=(x[:10], y[:10]),
                        verbose=0)
    assert history.epoch == [2, 3, 4]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    val = model.evaluate(x[:10], y[:10], verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][-1], val[0], rtol=1e-5)


def test_steps_per_epoch_with_a_generator_and_legacy_fit_generator():
    x, y = blobs(32)

    def batches():
        while True:
            for i in range(0, 32, 8):
                yield x[i:i + 8], y[i:i + 8]
    a, b = classifier(), classifier()
    a.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0)
    with pytest.warns(DeprecationWarning, match="fit_generator"):
        b.fit_generator(batches(), steps_per_epoch=4, epochs=2, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)
    c = classifier()
    c.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for wa, wc in zip(a.get_weights(), c.get_weights()):
        np.testing.assert_allclose(wa, wc, rtol=1e-5, atol=1e-6)


class Blocks(PyDataset):
    def __init__(self, x, y, size):
        super().__init__()
        self.x, self.y, self.size = x, y, size

    def __len__(self):
        return len(self.x) // self.size

    def __getitem__(self, i):
        s = slice(i * self.size, (i + 1) * self.size)
        return self.x[s], self.y[s]


def reference_weights(x, y, epochs=2, batch=8):
    model = classifier()
    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    return model.get_weights()


def test_pydataset_tf_data_and_torch_loader_inputs_train_like_arrays():
    x, y = blobs(32)
    expected = reference_weights(x, y)
    sources = {"pydataset": Blocks(x, y, 8)}
    try:
        import tensorflow as tf
        sources["tf.data"] = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    except ImportError:
        pass
    try:
        import torch
        from torch.utils.data import DataLoader, TensorDataset
        sources["DataLoader"] = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8)
    except ImportError:
        pass
    for name, source in sources.items():
        model = classifier()
        model.fit(source, epochs=2, shuffle=False, verbose=0)
        for got, want in zip(model.get_weights(), expected):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)


def test_engine_tensors_as_inputs():
    x, y = blobs(24)
    model = classifier()
    model.fit(K.convert_to_tensor(x), K.convert_to_tensor(y), batch_size=8, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), reference_weights(x, y)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_run_eagerly_gives_the_same_training():
    x, y = blobs(32)
    compiled, eager = classifier(), classifier()
    eager.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=True)
    h1 = compiled.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    h2 = eager.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)


def test_compiled_steps_match_eager_ones_with_moving_averages():
    # with moving averages a weight and its average can be one array: the numpy engine's
    # in-place Adam must leave such a pair alone
    x, y = blobs(32)
    histories = []
    weights = []
    for eagerly in (False, True):
        model = classifier()
        model.compile(optimizer=optimizers.Adam(learning_rate=0.01, use_ema=True, ema_momentum=0.5,
                                                ema_overwrite_frequency=2),
                      loss="sparse_categorical_crossentropy", run_eagerly=eagerly)
        # each fit ends by giving the weights their averages: the second starts from shared arrays
        losses = [model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"][0]
                  for _ in range(2)]
        histories.append(losses)
        weights.append(model.get_weights())
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_legacy_spellings_warn_and_work():
    x, y = blobs(16)
    model = classifier()
    with pytest.warns(DeprecationWarning, match="nb_epoch"):
        history = model.fit(x, y, nb_epoch=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.warns(DeprecationWarning, match="predict_classes"):
        classes = model.predict_classes(x)
    np.testing.assert_array_equal(classes, numpy_forward(model, x).argmax(1))
    with pytest.warns(DeprecationWarning, match="predict_proba"):
        proba = model.predict_proba(x)
    np.testing.assert_allclose(proba, numpy_forward(model, x), rtol=1e-5, atol=1e-6)
    with pytest.warns(DeprecationWarning, match="lr"):
        opt = optimizers.SGD(lr=0.5)
    assert np.isclose(float(K.convert_to_numpy(opt.learning_rate)), 0.5)


def test_errors_are_clear():
    model = Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(*data(), verbose=0)
    with pytest.raises(TypeError, match="bogus"):
        model.compile(optimizer="sgd", loss="mse", bogus=1)
    with pytest.raises(ValueError, match="Unknown"):
        model.compile(optimizer="nope", loss="mse")


# -- progress output ----------------------------------------------------------------------

def test_progress_bar_by_verbosity(capsys):
    x, y = blobs(20)
    model = classifier()
    model.fit(x, y, epochs=2, batch_size=10, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "2/2" in out and "loss:" in out and "accuracy:" in out
    model.fit(x, y, epochs=2, batch_size=10, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if "loss:" in line]
    assert len(lines) == 2
    model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert capsys.readouterr().out == ""


# -- reproducibility and learning -------------------------------------------------------------

def numpy_adam_training(weights, x, y, epochs, batch):
    """Float64 reference: Dense relu -> Dense softmax, sparse CE, Adam (Keras
    defaults), shuffle off; returns the mean loss of each epoch."""
    params = [np.asarray(w, np.float64) for w in weights]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t, curve = 0, []
    for _ in range(epochs):
        total, seen = 0.0, 0
        for i in range(0, len(x), batch):
            xb, yb = x[i:i + batch].astype(np.float64), y[i:i + batch]
            w1, b1, w2, b2 = params
            pre = xb @ w1 + b1
            h = np.maximum(pre, 0)
            z = h @ w2 + b2
            e = np.exp(z - z.max(1, keepdims=True))
            p = e / e.sum(1, keepdims=True)
            n = len(yb)
            total += -np.log(np.clip(p[np.arange(n), yb], 1e-7, 1)).sum()
            seen += n
            dz = p.copy()
            dz[np.arange(n), yb] -= 1
            dz /= n
            dh = dz @ w2.T * (pre > 0)
            grads = [xb.T @ dh, dh.sum(0), h.T @ dz, dz.sum(0)]
            t += 1
            lr_t = 0.001 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            for k, g in enumerate(grads):
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                params[k] = params[k] - lr_t * m[k] / (np.sqrt(v[k]) + 1e-7)
        curve.append(total / seen)
    return curve


def test_loss_curve_matches_float64_reference():
    x, y = blobs(96, seed=5)
    model = classifier(seed=42)
    expected = numpy_adam_training(model.get_weights(), x, y, epochs=3, batch=32)
    history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-4)


def test_same_seed_gives_same_initial_weights():
    a = [w.copy() for w in classifier(seed=7).get_weights()]
    b = classifier(seed=7).get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
    # Glorot-uniform bound for the first kernel: sqrt(6 / (4 + 8))
    assert np.abs(a[0]).max() <= np.sqrt(6 / 12) and np.all(a[1] == 0)


def digits_28x28():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    images = digits.images / 16.0
    big = np.kron(images, np.ones((1, 3, 3)))  # 8x8 -> 24x24
    big = np.pad(big, ((0, 0), (2, 2), (2, 2))).astype("float32")
    order = np.random.default_rng(0).permutation(len(big))
    big, labels = big[order], digits.target[order]
    return (big[:1437], labels[:1437]), (big[1437:], labels[1437:])


def test_mlp_learns_upscaled_digits_above_97_percent():
    (x, y), (xt, yt) = digits_28x28()
    set_random_seed(1)
    model = Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(512, activation="relu"),
                        layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=128, epochs=25, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy > 0.97


def test_warnings_are_not_raised_by_plain_training():
    x, y = blobs(16)
    model = classifier()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        model.fit(x, y, epochs=1, verbose=0)
