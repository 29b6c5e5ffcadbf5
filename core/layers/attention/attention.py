"""Attention: dot-product (Luong-style) attention over [query, value(, key)].

inputs: query (batch, Tq, dim), value (batch, Tv, dim_v) and optionally key
(batch, Tv, dim); key defaults to value.
  scores  = query @ key^T                        score_mode="dot" (times `scale` with use_scale)
          = c * sum(tanh(query_i + key_j))       score_mode="concat" (tanh(scale * (...)) with use_scale)
  weights = softmax(scores) over Tv, after masking: value-mask padding and, with
            use_causal_mask, the keys after each query step get -1e9 added
  output  = weights @ value, zeroed at query steps the query mask drops.
Weights, in order: `scale` (a scalar, ones; use_scale only) and for "concat"
`concat_score_weight` (a scalar, ones). The output keeps the query's mask.
"""

import numbers
import warnings

import kbackend as K

from ...engine.keras_tensor import KerasTensor
from ...utils.random_seed import draw_seed
from ..layer import Layer


def causal_mask(query_steps, key_steps):
    """(1, Tq, Tv) bool: query step i may attend to key steps j <= i."""
    ones = K.ones((1, query_steps, key_steps), dtype="int32")
    return K.greater_equal(K.cumsum(ones, axis=1), K.cumsum(ones, axis=2))


def check_rate(owner, rate):
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"{owner}: dropout must be a float in [0, 1) (the fraction of attention weights to drop); "
                         f"got dropout={rate!r}.")
    return float(rate)


def check_seed(owner, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"{owner}: seed must be an int or None; got {type(seed).__name__}.")
    return seed


class Attention(Layer):
    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        causal = kwargs.pop("causal", None)
        owner = type(self).__name__
        if causal is not None:
            warnings.warn(f"{owner}(causal=...) is the Keras 2 spelling and is deprecated; pass "
                          "use_causal_mask=True when calling the layer instead.", DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{owner}: score_mode must be 'dot' or 'concat'; got score_mode={score_mode!r}.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = check_rate(owner, dropout)
        self.seed = check_seed(owner, seed)
        self.causal = bool(causal)
        if self.dropout > 0:
            self.seed_generator = K.SeedGenerator(draw_seed() if seed is None else seed,
                                                  name=f"{self.name}_seed_generator")
        self.supports_masking = True

    # -- checks --------------------------------------------------------------------------------------------------
    def _fail(self, message):
        raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): {message}")

    def _check_inputs(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            got = f"a list of length {len(inputs)}" if isinstance(inputs, (list, tuple)) else "a single tensor"
            self._fail(f"must be called on a list [query, value] or [query, value, key]; got {got}.")
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            self._fail("mask must be a list [query_mask, value_mask] (entries may be None).")

    def _check_shapes(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not all(isinstance(s, (list, tuple)) for s in shapes):
            self._fail("must be called on a list [query, value] or [query, value, key]; got a single tensor of "
                       f"shape {tuple(shapes)}.")
        self._check_inputs(shapes)
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) > 2 else value
        names = ("query", "value", "key")
        for name, shape in zip(names, (query, value, key)):
            if len(shape) != 3:
                self._fail(f"{name} must have rank 3 (batch, steps, features); got shape {tuple(shape)}.")
        if None not in (value[1], key[1]) and value[1] != key[1]:
            self._fail(f"value and key must have the same number of steps; got shapes {tuple(value)} and "
                       f"{tuple(key)}.")
        if None not in (query[-1], key[-1]) and query[-1] != key[-1]:
            self._fail(f"query and key must have the same last dimension; got shapes {tuple(query)} and "
                       f"{tuple(key)}.")

    # -- weights and scores ----------------------------------------------------------------------------------------
    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(shape=(), initializer="ones", name="concat_score_weight")
        self.built = True

    def _scores(self, query, key):
        """(batch, Tq, Tv) attention logits."""
        if self.score_mode == "dot":
            scores = K.matmul(query, K.transpose(key, (0, 2, 1)))
            return scores if self.scale is None else K.multiply(scores, self.scale)
        pairs = K.add(K.expand_dims(query, 2), K.expand_dims(key, 1))  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = K.multiply(self.scale, pairs)
        return K.multiply(self.concat_score_weight, K.sum(K.tanh(pairs), axis=-1))

    # -- calling -----------------------------------------------------------------------------------------------------
    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        self._check_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._scores(query, key)
        keep = None
        if value_mask is not None:
            keep = K.expand_dims(K.cast(value_mask, "bool"), 1)  # (batch, 1, Tv)
        if use_causal_mask or self.causal:
            steps = K.shape(scores)
            causal = causal_mask(steps[1], steps[2])
            keep = causal if keep is None else K.logical_and(keep, causal)
        if keep is not None:
            # a large negative logit (not -inf) keeps fully masked rows finite, as Keras does
            large = 65504.0 if K.dtype(scores) == "float16" else 1e9
            scores = K.subtract(scores, K.multiply(large, K.cast(K.logical_not(keep), K.dtype(scores))))
        weights = K.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = K.dropout(weights, self.dropout, seed=self.seed_generator)
        output = K.matmul(weights, value)
        if query_mask is not None:
            output = K.multiply(output, K.cast(K.expand_dims(query_mask, -1), K.dtype(output)))
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        self._check_inputs(inputs, mask)
        if not mask or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        self._check_shapes(input_shape)
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def compute_output_spec(self, inputs, mask=None, training=None, return_attention_scores=False,
                            use_causal_mask=False):
        shapes = [tuple(x.shape) for x in inputs]
        output = KerasTensor(self.compute_output_shape(shapes), self.compute_dtype)
        if not return_attention_scores:
            return output
        return output, KerasTensor((shapes[0][0], shapes[0][1], shapes[1][1]), self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode, "dropout": self.dropout,
                       "seed": self.seed})
        if self.causal:  # Keras 2's constructor flag; Keras 3 has no key for it
            config["causal"] = True
        return config
