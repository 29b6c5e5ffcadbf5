"""Model structure on every engine: Sequential / functional / subclassed models,
parameter counts, shared layers, nested models, node accessors, summary,
get_layer, K.function and configs."""

import numpy as np
import pytest

import core
import kbackend as K
from core import layers
from core.models import Model, Sequential


def np_dense(x, layer, activation=None):
    w, b = (np.asarray(a, np.float64) for a in layer.get_weights())
    y = x.astype(np.float64) @ w + b
    return activation(y) if activation else y


def relu(x):
    return np.maximum(x, 0)


def mlp_sequential():
    return Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(512, activation="relu"),
                       layers.Dropout(0.2), layers.Dense(10, activation="softmax")])


# -- parameter counts -----------------------------------------------------------

def test_mlp_parameter_count_is_407050():
    model = mlp_sequential()
    assert model.count_params() == 784 * 512 + 512 + 512 * 10 + 10 == 407_050
    assert [w.shape for w in model.weights] == [(784, 512), (512,), (512, 10), (10,)]
    assert model.output_shape == (None, 10)


def test_summary_table_with_grouped_counts():
    lines = []
    mlp_sequential().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 407,050" in text
    assert "Trainable params: 407,050" in text
    assert "Non-trainable params: 0" in text
    assert "(None, 784)" in text and "401,920" in text and "5,130" in text
    assert text.splitlines()[0].startswith('Model: "')


def test_summary_of_functional_model_lists_connections():
    a = core.Input(shape=(3,), name="a")
    b = core.Input(shape=(4,), name="b")
    join = layers.Lambda(lambda t: K.concatenate(t, axis=-1), name="join")
    merged = join([layers.Dense(2, name="da")(a), layers.Dense(2, name="db")(b)])
    assert merged.shape == (None, 4)
    model = Model([a, b], layers.Dense(1, name="out")(merged))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and "da[0][0]" in text and "db[0][0]" in text
    assert f"Total params: {3 * 2 + 2 + 4 * 2 + 2 + 4 + 1:,}" in text


def test_input_dim_and_batch_input_shape_spellings():
    by_dim = Sequential([layers.Dense(4, input_dim=3)])
    by_batch = Sequential([layers.Dense(4, batch_input_shape=(None, 3))])
    by_input = Sequential([core.Input(shape=(3,)), layers.Dense(4)])
    for model in (by_dim, by_batch, by_input):
        assert model.built and model.count_params() == 16
        assert model.input_shape == (None, 3) and model.output_shape == (None, 4)


def test_lazy_sequential_builds_on_first_call():
    model = Sequential()
    model.add(layers.Dense(5, activation="relu"))
    model.add(layers.Dense(2))
    assert not model.built
    with pytest.raises(ValueError, match="not been built"):
        model.count_params()
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    y = model(x)
    assert K.is_tensor(y)
    assert model.built and model.count_params() == 3 * 5 + 5 + 5 * 2 + 2
    h = np_dense(x, model.layers[0], relu)
    np.testing.assert_allclose(K.convert_to_numpy(y), np_dense(h, model.layers[1]), rtol=1e-5, atol=1e-6)


def test_sequential_pop_and_add_errors():
    model = Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    model.pop()
    assert model.output_shape == (None, 4) and len(model.layers) == 1
    with pytest.raises(TypeError, match="Layer instance"):
        model.add("dense")
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(3, name=model.layers[0].name))


def test_shape_error_is_caught_when_the_model_is_built():
    dense = layers.Dense(2, name="dense_wrong")
    dense(core.Input(shape=(3,)))
    with pytest.raises(ValueError, match=r"dense_wrong.*axis -1.*3.*\(None, 5\)"):
        dense(core.Input(shape=(5,)))
    with pytest.raises(ValueError, match="reshape_wrong"):
        layers.Reshape((4, 2), name="reshape_wrong")(core.Input(shape=(3,)))
    with pytest.raises(ValueError, match="unique names"):
        Sequential([layers.Dense(2, input_shape=(3,), name="same"), layers.Dense(2, name="same")])


# -- functional models ------------------------------------------------------------

def test_functional_two_inputs_two_outputs_forward():
    a = core.Input(shape=(3,), name="in_a")
    b = core.Input(shape=(2,), name="in_b")
    ha = layers.Dense(4, activation="relu", name="ha")(a)
    hb = layers.Dense(4, name="hb")(b)
    out1 = layers.Dense(1, name="out1")(ha)
    out2 = layers.Dense(2, name="out2")(hb)
    model = Model(inputs=[a, b], outputs=[out1, out2])
    assert [layer.name for layer in model.layers[:2]] == ["in_a", "in_b"]
    assert model.output_names == ["out1", "out2"]
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    y1, y2 = model([xa, xb])
    get = model.get_layer
    np.testing.assert_allclose(K.convert_to_numpy(y1), np_dense(np_dense(xa, get("ha"), relu), get("out1")),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(K.convert_to_numpy(y2), np_dense(np_dense(xb, get("hb")), get("out2")),
                               rtol=1e-5, atol=1e-6)
    # dict inputs by input name give the same result
    d1, _ = model({"in_a": xa, "in_b": xb})
    np.testing.assert_allclose(K.convert_to_numpy(d1), K.convert_to_numpy(y1), rtol=1e-6)


def test_shared_layer_has_one_set_of_weights():
    shared = layers.Dense(4, name="shared")
    a, b = core.Input(shape=(3,)), core.Input(shape=(3,))
    model = Model([a, b], [shared(a), shared(b)])
    assert len(model.weights) == 2 and model.count_params() == 16
    assert len(shared._inbound_nodes) == 2
    x = np.arange(6.0).reshape(2, 3)
    ya, yb = model([x, x + 1])
    np.testing.assert_allclose(K.convert_to_numpy(ya), np_dense(x, shared), rtol=1e-5)
    np.testing.assert_allclose(K.convert_to_numpy(yb), np_dense(x + 1, shared), rtol=1e-5)


def test_node_accessors_and_ambiguity_errors():
    shared = layers.Dense(4, name="twice")
    a, b = core.Input(shape=(3,), name="na"), core.Input(shape=(3,), name="nb")
    oa, ob = shared(a), shared(b)
    assert shared.get_input_at(0) is a and shared.get_input_at(1) is b
    assert shared.get_output_at(0) is oa and shared.get_output_at(1) is ob
    assert shared.get_input_shape_at(1) == (None, 3) and shared.get_output_shape_at(0) == (None, 4)
    assert shared.input_shape == (None, 3)  # the same on both nodes: well defined
    with pytest.raises(AttributeError, match="twice.*multiple inbound nodes"):
        _ = shared.output
    with pytest.raises(AttributeError, match="twice"):
        _ = shared.input
    single = layers.Dense(2)
    out = single(oa)
    assert single.input is oa and single.output is out and single.output_shape == (None, 2)
    with pytest.raises(ValueError, match="never been called"):
        layers.Dense(1).get_output_at(0)


def test_intermediate_model_from_layer_output():
    model = mlp_sequential()
    hidden = Model(model.inputs, model.layers[1].output)
    x = np.random.default_rng(2).random((3, 28, 28)).astype("float32")
    h = np_dense(x.reshape(3, -1), model.layers[1], relu)
    np.testing.assert_allclose(K.convert_to_numpy(hidden(x)), h, rtol=1e-4, atol=1e-5)
    assert hidden.count_params() == 401_920


def test_model_called_as_a_layer_and_nested():
    inner_in = core.Input(shape=(3,))
    inner = Model(inner_in, layers.Dense(2, name="inner_dense")(inner_in), name="inner")
    outer_in = core.Input(shape=(3,))
    outer = Model(outer_in, layers.Dense(1, name="head")(inner(outer_in)), name="outer")
    assert outer.count_params() == 3 * 2 + 2 + 2 + 1
    assert inner in outer.layers and len(outer.weights) == 4
    x = np.random.default_rng(3).normal(size=(4, 3))
    expected = np_dense(np_dense(x, inner.get_layer("inner_dense")), outer.get_layer("head"))
    np.testing.assert_allclose(K.convert_to_numpy(outer(x)), expected, rtol=1e-5, atol=1e-6)
    seq = Sequential([inner, layers.Dense(1)])
    assert seq(x).shape[-1] == 1 and seq.count_params() == 8 + 3


def test_graph_disconnected_error_names_the_input():
    a, b = core.Input(shape=(3,), name="used"), core.Input(shape=(3,), name="forgotten")
    out = layers.Dense(1)(layers.Dense(3)(b))
    with pytest.raises(ValueError, match="forgotten"):
        Model(a, out)


def test_get_layer_by_name_and_index():
    model = mlp_sequential()
    assert model.get_layer(index=1) is model.layers[1]
    assert model.get_layer(model.layers[2].name) is model.layers[2]
    with pytest.raises(ValueError, match="No such layer: 'nope'"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index 9"):
        model.get_layer(index=9)


def test_k_function_on_symbolic_tensors():
    model = mlp_sequential()
    f = K.function([model.input], [model.layers[1].output, model.output])
    x = np.random.default_rng(4).random((2, 28, 28)).astype("float32")
    hidden, probs = f([x])
    np.testing.assert_allclose(hidden, np_dense(x.reshape(2, -1), model.layers[1], relu), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


# -- subclassed models ---------------------------------------------------------------

class TwoLayer(Model):
    def __init__(self):
        super().__init__(name="two_layer")
        self.hidden = layers.Dense(4, activation="relu")
        self.heads = [layers.Dense(1), layers.Dense(2)]
        self.extra = {"scale": layers.Dense(1, use_bias=False)}

    def call(self, inputs, training=None):
        h = self.hidden(inputs)
        return K.concatenate([self.heads[0](h), self.heads[1](h), self.extra["scale"](h)], axis=-1)


def test_subclassed_model_tracks_attributes_lists_and_dicts():
    model = TwoLayer()
    x = np.random.default_rng(5).normal(size=(3, 5)).astype("float32")
    y = K.convert_to_numpy(model(x))
    assert len(model.layers) == 4
    assert model.count_params() == (5 * 4 + 4) + (4 + 1) + (4 * 2 + 2) + 4
    h = np_dense(x, model.hidden, relu)
    w_scale = model.extra["scale"].get_weights()[0]
    expected = np.concatenate([np_dense(h, model.heads[0]), np_dense(h, model.heads[1]), h @ w_scale], axis=-1)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_subclassed_model_build_and_freezing():
    model = TwoLayer()
    model.build((None, 5))
    assert model.built and len(model.trainable_weights) == 7  # three Dense with bias, one without
    model.hidden.trainable = False
    assert len(model.trainable_weights) == 5 and len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 7


# -- weights and configs ------------------------------------------------------------

def test_set_weights_shape_error_names_layer_and_shapes():
    model = Sequential([layers.Dense(3, input_shape=(2,), name="dd")])
    with pytest.raises(ValueError, match=r"'dd'.*\(2, 3\).*\(3, 2\)"):
        model.set_weights([np.zeros((3, 2)), np.zeros(3)])
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        model.set_weights([np.zeros((2, 3))])


def test_get_set_weights_round_trip():
    a = mlp_sequential()
    b = mlp_sequential()
    b.set_weights(a.get_weights())
    x = np.random.default_rng(6).random((2, 28, 28)).astype("float32")
    np.testing.assert_array_equal(K.convert_to_numpy(a(x)), K.convert_to_numpy(b(x)))


def test_sequential_and_functional_config_round_trip():
    seq = mlp_sequential()
    seq2 = Sequential.from_config(seq.get_config())
    assert [type(layer) for layer in seq2.layers] == [type(layer) for layer in seq.layers]
    assert seq2.count_params() == 407_050

    a = core.Input(shape=(3,), name="ca")
    shared = layers.Dense(2, name="cshared")
    out = layers.Dense(1, name="cout")(shared(shared(layers.Dense(2, name="cpre")(a))))
    model = Model(a, out, name="cfg")
    config = model.get_config()
    assert config["input_layers"] == [["ca", 0, 0]] and config["output_layers"] == [["cout", 0, 0]]
    K.clear_session()
    rebuilt = Model.from_config(config)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    x = np.random.default_rng(7).normal(size=(4, 3))
    np.testing.assert_allclose(K.convert_to_numpy(rebuilt(x)), K.convert_to_numpy(model(x)), rtol=1e-6)
