"""core.layers' attention family on the active engine: Attention, AdditiveAttention and
MultiHeadAttention against their formulas in float64 numpy (masks, causal masks, scales,
attention scores), gradients against central differences, weight layouts, symbolic
shapes, masks in models, dropout, configs and errors."""

import math
import warnings

import numpy as np
import pytest

import kbackend as K
from core import layers
from core.engine.masks import get_mask, set_mask
from core.layers import Input
from core.models import Model
from kbackend.conformance.references import central_difference

RNG = np.random.default_rng(11)


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def f64(x):
    return np.asarray(x, np.float64)


def fresh(x):
    return K.convert_to_tensor(np.array(x))


def masked(x, mask):
    t = fresh(x)
    set_mask(t, K.convert_to_tensor(mask))
    return t


def softmax(z, axes=(-1,)):
    e = np.exp(z - z.max(axis=axes, keepdims=True))
    return e / e.sum(axis=axes, keepdims=True)


def causal(tq, tv):
    return np.arange(tq)[:, None] >= np.arange(tv)[None, :]


Q_MASK = np.array([[1, 1, 1, 0], [1, 0, 1, 1]], bool)
V_MASK = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)


# --- reference formulas (float64) -----------------------------------------------------------------------------------

def attention_ref(query, value, key=None, scores_fn=None, q_mask=None, v_mask=None, use_causal=False):
    """softmax(scores, dropped keys' logits set to -1e9) @ value, zeroed at dropped query steps; also the
    weights. A fully dropped row attends uniformly: the -1e9 bias swamps float32 logits."""
    query, value = f64(query), f64(value)
    key = value if key is None else f64(key)
    scores = scores_fn(query, key)
    keep = np.ones(scores.shape, bool)
    if v_mask is not None:
        keep &= v_mask[:, None, :]
    if use_causal:
        keep &= causal(scores.shape[1], scores.shape[2])[None]
    weights = softmax(np.where(keep, scores, -1e9))
    out = weights @ value
    if q_mask is not None:
        out = out * q_mask[..., None]
    return out, weights


def dot_scores(scale=None):
    return lambda q, k: (q @ k.transpose(0, 2, 1)) * (1.0 if scale is None else scale)


def concat_scores(weight, scale=None):
    return lambda q, k: weight * np.tanh((1.0 if scale is None else scale) * (q[:, :, None] + k[:, None])).sum(-1)


def additive_scores(scale=None):
    return lambda q, k: (np.tanh(q[:, :, None] + k[:, None]) * (1.0 if scale is None else f64(scale))).sum(-1)


def mha_ref(weights, query, value, key=None, mask=None, key_dim=None):
    """Multi-head attention from Keras's weight layout; mask (batch, T, S) or None. Returns (output, scores)."""
    wq, bq, wk, bk, wv, bv, wo, bo = [f64(w) for w in weights]
    query, value = f64(query), f64(value)
    key = value if key is None else f64(key)
    q = np.einsum("btd,dhk->bthk", query, wq) + bq
    k = np.einsum("bsd,dhk->bshk", key, wk) + bk
    v = np.einsum("bsd,dhv->bshv", value, wv) + bv
    logits = np.einsum("bthk,bshk->bhts", q, k) / math.sqrt(key_dim or wq.shape[-1])
    if mask is not None:  # as in attention_ref: fully masked rows attend uniformly
        logits = np.where(mask[:, None], logits, -1e9)
    scores = softmax(logits)
    heads = np.einsum("bhts,bshv->bthv", scores, v)
    return np.einsum("bthv,hvo->bto", heads, wo) + bo, scores


def random_weights(layer):
    """Random values for every weight of a built layer (biases included), set on it and returned."""
    values = [rand(*v.shape) * 0.5 for v in layer.weights]
    layer.set_weights(values)
    return values


# --- Attention ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize("use_scale", [False, True])
@pytest.mark.parametrize("score_mode", ["dot", "concat"])
def test_attention_matches_formula(score_mode, use_scale, with_key):
    query, value, key = rand(2, 4, 3), rand(2, 5, 6), rand(2, 5, 3)
    if not with_key:
        value = rand(2, 5, 3)
    inputs = [query, value, key] if with_key else [query, value]
    layer = layers.Attention(use_scale=use_scale, score_mode=score_mode)
    layer.build([x.shape for x in inputs])
    names = (["scale"] if use_scale else []) + (["concat_score_weight"] if score_mode == "concat" else [])
    assert [v.name for v in layer.weights] == names and all(v.shape == () for v in layer.weights)
    values = [np.float32(0.7), np.float32(1.3)][:len(names)]
    layer.set_weights(values)
    scale = values[0] if use_scale else None
    fn = dot_scores(scale) if score_mode == "dot" else concat_scores(values[-1], scale)
    out, weights = layer(inputs, return_attention_scores=True)
    ref_out, ref_weights = attention_ref(query, value, key if with_key else None, fn)
    np.testing.assert_allclose(npv(out), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npv(weights), ref_weights, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npv(layer(inputs)), ref_out, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("use_causal", [False, True])
@pytest.mark.parametrize("cls", ["Attention", "AdditiveAttention"])
def test_attention_masks_and_causal_mask(cls, use_causal):
    query, value = rand(2, 4, 3), rand(2, 5, 3)
    layer = getattr(layers, cls)()
    out, weights = layer([masked(query, Q_MASK), masked(value, V_MASK)], return_attention_scores=True,
                         use_causal_mask=use_causal)
    fn = dot_scores() if cls == "Attention" else additive_scores(layer.scale.numpy())
    ref_out, ref_weights = attention_ref(query, value, None, fn, Q_MASK, V_MASK, use_causal)
    np.testing.assert_allclose(npv(out), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npv(weights), ref_weights, rtol=1e-5, atol=1e-6)
    # the output keeps the query's mask; an explicit mask list works like masks carried by the inputs
    explicit = layer([query, value], mask=[Q_MASK, V_MASK], use_causal_mask=use_causal)
    np.testing.assert_allclose(npv(explicit), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(npv(get_mask(explicit)), Q_MASK)


def test_additive_attention_matches_formula():
    query, value, key = rand(2, 4, 3), rand(2, 5, 2), rand(2, 5, 3)
    layer = layers.AdditiveAttention()
    layer.build([query.shape, value.shape, key.shape])
    assert [(v.name, v.shape) for v in layer.weights] == [("scale", (3,))]
    scale = rand(3)
    layer.set_weights([scale])
    ref_out, ref_weights = attention_ref(query, value, key, additive_scores(scale))
    out, weights = layer([query, value, key], return_attention_scores=True)
    np.testing.assert_allclose(npv(out), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npv(weights), ref_weights, rtol=1e-5, atol=1e-6)
    unscaled = layers.AdditiveAttention(use_scale=False)
    ref_unscaled, _ = attention_ref(query, value, key, additive_scores())
    np.testing.assert_allclose(npv(unscaled([query, value, key])), ref_unscaled, rtol=1e-5, atol=1e-5)
    assert unscaled.weights == []


def test_attention_legacy_causal_flag():
    query = rand(2, 4, 3)
    with pytest.warns(DeprecationWarning, match="use_causal_mask=True"):
        layer = layers.Attention(causal=True)
    ref_out, _ = attention_ref(query, query, None, dot_scores(), use_causal=True)
    np.testing.assert_allclose(npv(layer([query, query])), ref_out, rtol=1e-5, atol=1e-5)
    with pytest.warns(DeprecationWarning):
        again = layers.Attention.from_config(layer.get_config())
    assert again.causal


@pytest.mark.parametrize("cls", ["Attention", "AdditiveAttention"])
def test_attention_gradients_match_central_differences(cls):
    query, value, w = rand(2, 3, 4), rand(2, 5, 4), rand(2, 3, 4)
    if cls == "Attention":
        layer = layers.Attention(use_scale=True, score_mode="concat")
        layer.build([query.shape, value.shape])
        layer.set_weights([np.float32(0.8), np.float32(1.2)])

        def reference(weights):
            return attention_ref(query, value, None, concat_scores(weights[1], weights[0]), v_mask=V_MASK)[0]
    else:
        layer = layers.AdditiveAttention()
        layer.build([query.shape, value.shape])

        def reference(weights):
            return attention_ref(query, value, None, additive_scores(weights[0]), v_mask=V_MASK)[0]
    inputs = [fresh(query), masked(value, V_MASK)]
    grads = K.gradients(lambda: K.sum(K.multiply(layer(inputs), w)), layer.trainable_weights)
    current = [f64(v.numpy()) for v in layer.weights]
    for i, grad in enumerate(grads):
        def loss(x, i=i):
            return float(np.sum(reference(current[:i] + [x] + current[i + 1:]) * w))
        np.testing.assert_allclose(npv(grad), central_difference(loss, current[i]), rtol=1e-4, atol=1e-5)


def test_attention_dropout_only_in_training():
    query, value = rand(2, 4, 3), rand(2, 6, 3)
    layer = layers.Attention(dropout=0.5, seed=3)
    plain, _ = attention_ref(query, value, None, dot_scores())
    np.testing.assert_allclose(npv(layer([query, value])), plain, rtol=1e-5, atol=1e-5)
    out, weights = layer([query, value], training=True, return_attention_scores=True)
    weights = npv(weights)
    _, clean = attention_ref(query, value, None, dot_scores())
    ratio = weights / clean
    assert set(np.round(ratio, 4).ravel()) <= {0.0, 2.0} and 0 < (ratio == 0).mean() < 1
    # the output uses the dropped weights it returns
    np.testing.assert_allclose(npv(out), weights @ f64(value), rtol=1e-5, atol=1e-5)


def test_attention_symbolic_shapes_and_masks():
    q, v = Input((None, 3)), Input((7, 5))
    assert layers.Attention()([q, v, Input((7, 3))]).shape == (None, None, 5)
    out, scores = layers.AdditiveAttention()([q, v, Input((7, 3))], return_attention_scores=True)
    assert out.shape == (None, None, 5) and scores.shape == (None, None, 7)
    assert layers.Attention().compute_output_shape([(2, 4, 3), (2, 6, 8), (2, 6, 3)]) == (2, 4, 8)
    ids = Input((4,), dtype="int32")
    embedded = layers.Embedding(10, 3, mask_zero=True)(ids)
    attended = layers.Attention()([embedded, embedded])
    assert attended._keras_mask is not None
    model = Model(ids, attended)
    idx = np.array([[1, 2, 0, 0], [3, 4, 5, 0]], np.int32)
    table = f64(model.layers[1].get_weights()[0])
    ref_out, _ = attention_ref(table[idx], table[idx], None, dot_scores(), idx != 0, idx != 0)
    out = model(idx)
    np.testing.assert_allclose(npv(out), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(npv(get_mask(out)), idx != 0)


@pytest.mark.parametrize("make", [lambda: layers.Attention(use_scale=True, score_mode="concat", dropout=0.1, seed=2),
                                  lambda: layers.AdditiveAttention(use_scale=True)], ids=["attention", "additive"])
def test_attention_config_round_trip(make):
    layer = make()
    query, value = rand(2, 4, 3), rand(2, 5, 3)
    layer.build([query.shape, value.shape])
    random_weights(layer)
    config = layer.get_config()
    again = type(layer).from_config(config)
    again.build([query.shape, value.shape])
    again.set_weights(layer.get_weights())
    assert again.get_config() == config
    np.testing.assert_allclose(npv(again([query, value])), npv(layer([query, value])), rtol=1e-6, atol=1e-6)
    rebuilt = layers.deserialize(layers.serialize(layer))
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == config
    if isinstance(layer, layers.AdditiveAttention):
        assert "score_mode" not in config


def test_attention_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"'att'.*list \[query, value\].*single tensor"):
        layers.Attention(name="att")(rand(2, 3, 4))
    with pytest.raises(ValueError, match=r"'att2'.*length 4"):
        layers.Attention(name="att2")([rand(2, 3, 4)] * 4)
    with pytest.raises(ValueError, match=r"'att3'.*query must have rank 3"):
        layers.Attention(name="att3")([rand(2, 4), rand(2, 3, 4)])
    with pytest.raises(ValueError, match=r"'att4'.*same last dimension"):
        layers.Attention(name="att4")([rand(2, 3, 4), rand(2, 5, 3)])
    with pytest.raises(ValueError, match=r"att5.*same number of steps"):
        layers.AdditiveAttention(name="att5")([Input((3, 4)), Input((5, 4)), Input((6, 4))])
    with pytest.raises(ValueError, match="score_mode must be 'dot' or 'concat'"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match=r"dropout must be a float in \[0, 1\)"):
        layers.AdditiveAttention(dropout=1.5)


# --- MultiHeadAttention -------------------------------------------------------------------------------------------

def test_mha_weight_layout_order_and_counts():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)
    layer.build((None, 5, 6), (None, 7, 8), (None, 7, 9))
    assert [v.path for v in layer.weights] == [f"{layer.name}/{n}/{w}" for n in ("query", "key", "value",
                                                                                "attention_output")
                                               for w in ("kernel", "bias")]
    given = [rand(*v.shape) for v in layer.weights]
    preset = layers.MultiHeadAttention(2, 3, value_dim=4, weights=given)
    preset(rand(1, 5, 6), rand(1, 7, 8), rand(1, 7, 9))
    for v, g in zip(preset.weights, given):
        np.testing.assert_array_equal(v.numpy(), g)
    assert [tuple(v.shape) for v in layer.weights] == [(6, 2, 3), (2, 3), (9, 2, 3), (2, 3), (8, 2, 4), (2, 4),
                                                       (2, 4, 6), (6,)]
    assert layer.count_params() == 36 + 6 + 54 + 6 + 64 + 8 + 48 + 6
    no_bias = layers.MultiHeadAttention(2, 3, use_bias=False, output_shape=(5, 2))
    no_bias.build((None, 4, 6), (None, 4, 6))
    assert [tuple(v.shape) for v in no_bias.weights] == [(6, 2, 3), (6, 2, 3), (6, 2, 3), (2, 3, 5, 2)]
    assert layer.query_dense.kernel is layer.weights[0] and layer.output_dense.bias is layer.weights[-1]


@pytest.mark.parametrize("with_key", [False, True])
def test_mha_matches_numpy(with_key):
    query, value, key = rand(2, 4, 6), rand(2, 5, 3), rand(2, 5, 7)
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4)
    args = (query, value, key) if with_key else (query, value)
    layer(*args)
    weights = random_weights(layer)
    out, scores = layer(*args, return_attention_scores=True)
    ref_out, ref_scores = mha_ref(weights, query, value, key if with_key else None)
    assert tuple(K.int_shape(scores)) == (2, 3, 4, 5)
    np.testing.assert_allclose(npv(out), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npv(scores), ref_scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npv(layer(*args)), ref_out, rtol=1e-5, atol=1e-5)


def test_mha_attention_mask_causal_mask_and_input_masks():
    query, value = rand(2, 4, 6), rand(2, 5, 6)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(query, value)
    weights = random_weights(layer)
    attention_mask = RNG.random((2, 4, 5)) > 0.4
    attention_mask[:, :, 0] = True  # every query step sees something
    out = layer(query, value, attention_mask=attention_mask)
    np.testing.assert_allclose(npv(out), mha_ref(weights, query, value, mask=attention_mask)[0], rtol=1e-5,
                               atol=1e-5)
    both = attention_mask & causal(4, 5)[None]
    out, scores = layer(query, value, attention_mask=attention_mask, use_causal_mask=True,
                        return_attention_scores=True)
    ref_out, ref_scores = mha_ref(weights, query, value, mask=both)
    np.testing.assert_allclose(npv(out), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npv(scores), ref_scores, rtol=1e-5, atol=1e-6)
    assert np.all(npv(scores)[:, :, ~causal(4, 5)] < 1e-6)
    # masks carried by the inputs join in: query steps (rows) and value steps (columns)
    out = layer(masked(query, Q_MASK), masked(value, V_MASK), use_causal_mask=True)
    keep = Q_MASK[:, :, None] & V_MASK[:, None, :] & causal(4, 5)[None]
    np.testing.assert_allclose(npv(out), mha_ref(weights, query, value, mask=keep)[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(npv(get_mask(out)), Q_MASK)
    # as keyword arguments too
    out = layer(query=query, value=value, value_mask=V_MASK)
    np.testing.assert_allclose(npv(out), mha_ref(weights, query, value, mask=np.broadcast_to(
        V_MASK[:, None, :], (2, 4, 5)))[0], rtol=1e-5, atol=1e-5)


def test_mha_self_attention_in_a_functional_model_with_padding_masks():
    ids = Input((5,), dtype="int32")
    embedded = layers.Embedding(12, 4, mask_zero=True)(ids)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    attended = mha(embedded, embedded, use_causal_mask=True)
    assert attended.shape == (None, 5, 4)
    model = Model(ids, attended)
    weights = random_weights(mha)
    idx = np.array([[3, 4, 5, 0, 0], [7, 1, 0, 2, 0]], np.int32)
    x = f64(model.layers[1].get_weights()[0])[idx]
    keep = (idx != 0)[:, :, None] & (idx != 0)[:, None, :] & causal(5, 5)[None]
    out = model(idx)
    np.testing.assert_allclose(npv(out), mha_ref(weights, x, x, mask=keep)[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(npv(get_mask(out)), idx != 0)


def test_mha_output_shape_and_multiple_attention_axes():
    query, value = rand(2, 2, 3, 4), rand(2, 3, 2, 5)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2), output_shape=6)
    out, scores = layer(query, value, return_attention_scores=True)
    assert tuple(K.int_shape(out)) == (2, 2, 3, 6) and tuple(K.int_shape(scores)) == (2, 2, 2, 3, 3, 2)
    wq, bq, wk, bk, wv, bv, wo, bo = [f64(w) for w in layer.get_weights()]
    q = np.einsum("bxyd,dhk->bxyhk", f64(query), wq) + bq
    k = np.einsum("bzwd,dhk->bzwhk", f64(value), wk) + bk
    v = np.einsum("bzwd,dhv->bzwhv", f64(value), wv) + bv
    ref_scores = softmax(np.einsum("bxyhk,bzwhk->bhxyzw", q, k) / math.sqrt(3), axes=(-2, -1))
    ref_out = np.einsum("bxyhv,hvo->bxyo", np.einsum("bhxyzw,bzwhv->bxyhv", ref_scores, v), wo) + bo
    np.testing.assert_allclose(npv(scores), ref_scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npv(out), ref_out, rtol=1e-5, atol=1e-5)
    # attention over axis 2 only: axis 1 acts as a batch axis
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=2)
    value = rand(2, 2, 5, 4)
    out, scores = layer(query, value, return_attention_scores=True)
    assert tuple(K.int_shape(scores)) == (2, 2, 2, 3, 5)
    weights = layer.get_weights()
    per_row = [mha_ref(weights, query[:, i], value[:, i]) for i in range(2)]
    np.testing.assert_allclose(npv(out), np.stack([r[0] for r in per_row], axis=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npv(scores), np.stack([r[1] for r in per_row], axis=1), rtol=1e-5, atol=1e-6)


def test_mha_gradients_match_central_differences():
    query, value, w = rand(2, 3, 3), rand(2, 4, 3), rand(2, 3, 3)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    layer(query, value)
    random_weights(layer)
    mask = np.ones((2, 3, 4), bool)
    mask[0, :, 3] = False
    grads = K.gradients(lambda: K.sum(K.multiply(layer(query, value, attention_mask=mask), w)),
                        layer.trainable_weights)
    current = [f64(v.numpy()) for v in layer.weights]
    assert len(grads) == 8
    for i, grad in enumerate(grads):
        def loss(x, i=i):
            return float(np.sum(mha_ref(current[:i] + [x] + current[i + 1:], query, value, mask=mask)[0] * w))
        np.testing.assert_allclose(npv(grad), central_difference(loss, current[i]), rtol=1e-4, atol=1e-5,
                                   err_msg=layer.weights[i].path)


def test_mha_dropout_only_in_training():
    query, value = rand(2, 4, 6), rand(2, 5, 6)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=1)
    layer(query, value)
    weights = random_weights(layer)
    ref_out, ref_scores = mha_ref(weights, query, value)
    np.testing.assert_allclose(npv(layer(query, value)), ref_out, rtol=1e-5, atol=1e-5)
    out, scores = layer(query, value, training=True, return_attention_scores=True)
    np.testing.assert_allclose(npv(scores), ref_scores, rtol=1e-5, atol=1e-6)  # scores are before dropout
    assert not np.allclose(npv(out), ref_out, atol=1e-3)


def test_mha_inside_compiled_code():
    query, value = rand(2, 4, 6), rand(2, 5, 6)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(query, value)
    run = K.jit(lambda q, v: layer(q, v, use_causal_mask=True))
    np.testing.assert_allclose(npv(run(query, value)), npv(layer(query, value, use_causal_mask=True)), rtol=1e-5,
                               atol=1e-6)


def test_mha_symbolic_shapes():
    q, v = Input((None, 6)), Input((7, 5))
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=2)
    out, scores = layer(q, v, return_attention_scores=True)
    assert out.shape == (None, None, 6) and scores.shape == (None, 3, None, 7)
    assert layer.compute_output_shape((None, 4, 6), (None, 7, 5)) == (None, 4, 6)
    shaped = layers.MultiHeadAttention(num_heads=1, key_dim=2, output_shape=(2, 3))
    assert shaped(Input((4, 6)), Input((4, 6))).shape == (None, 4, 2, 3)


def test_mha_config_round_trip_and_keras2_build_shapes():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, dropout=0.1, use_bias=False,
                                      output_shape=(5,), kernel_initializer="he_normal", kernel_regularizer="l2",
                                      seed=4)
    query, value = rand(2, 4, 6), rand(2, 3, 6)
    layer(query, value)
    random_weights(layer)
    config = layer.get_config()
    assert {k: config[k] for k in ("num_heads", "key_dim", "value_dim", "use_bias", "output_shape",
                                   "attention_axes")} == {"num_heads": 2, "key_dim": 3, "value_dim": 2,
                                                          "use_bias": False, "output_shape": [5],
                                                          "attention_axes": None}
    again = layers.MultiHeadAttention.from_config(config)
    again(query, value)
    again.set_weights(layer.get_weights())
    assert again.get_config() == config
    np.testing.assert_allclose(npv(again(query, value)), npv(layer(query, value)), rtol=1e-6, atol=1e-6)
    assert len(again.losses) == 4  # the l2 penalty of each projection's kernel
    keras2 = dict(config, query_shape=[None, 4, 6], value_shape=[None, 3, 6], key_shape=None)
    built = layers.MultiHeadAttention.from_config(keras2)
    assert built.built and [tuple(v.shape) for v in built.weights] == [tuple(v.shape) for v in layer.weights]
    rebuilt = layers.deserialize(layers.serialize(layer))
    assert isinstance(rebuilt, layers.MultiHeadAttention) and rebuilt.get_config() == config


def test_mha_errors():
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="output_shape must be an int or a non-empty tuple"):
        layers.MultiHeadAttention(2, 2, output_shape="x")
    with pytest.raises(ValueError, match=r"'m1'.*one rank >= 3"):
        layers.MultiHeadAttention(2, 2, name="m1")(rand(2, 4), rand(2, 4))
    with pytest.raises(ValueError, match=r"'m2'.*one rank >= 3"):
        layers.MultiHeadAttention(2, 2, name="m2")(rand(2, 3, 4), rand(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"'m3'.*except the last must be equal"):
        layers.MultiHeadAttention(2, 2, name="m3")(Input((3, 4)), Input((5, 4)), Input((6, 4)))
    with pytest.raises(ValueError, match=r"'m4'.*attention_axes=\(3,\).*axes 1\.\.1"):
        layers.MultiHeadAttention(2, 2, attention_axes=3, name="m4")(rand(2, 3, 4), rand(2, 3, 4))
    with pytest.raises(TypeError, match=r"'m5'.*needs a query and a value"):
        layers.MultiHeadAttention(2, 2, name="m5")(rand(2, 3, 4))


def test_mha_regularizers_constraints_and_initializers_reach_every_projection():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = layers.MultiHeadAttention(2, 2, kernel_regularizer="l2", bias_constraint="non_neg",
                                          bias_initializer="ones")
    layer.build((None, 3, 4), (None, 3, 4))
    kernels = [v for v in layer.weights if v.name == "kernel"]
    biases = [v for v in layer.weights if v.name == "bias"]
    assert len(layer.losses) == 4
    np.testing.assert_allclose(sorted(float(npv(p)) for p in layer.losses),
                               sorted(0.01 * float(np.sum(f64(k.numpy()) ** 2)) for k in kernels), rtol=1e-5)
    assert all(b.constraint is not None and np.all(b.numpy() == 1) for b in biases)
