"""MultiHeadAttention ("Attention is all you need"), with Keras's weights.

call(query, value, key=None, ...): query (batch, T, dim), value (batch, S, dim_v),
key (batch, S, dim_k) defaulting to value (higher ranks attend over
`attention_axes`). Per head h:
  q = query @ Wq[:, h] + bq[h]   (and k, v alike)
  weights = softmax(q k^T / sqrt(key_dim) + mask bias) over the key steps
  head_h = weights @ v
  output = sum_h head_h @ Wo[h] + bo
Masking: positions the boolean attention mask (batch, T, S) marks False, the
keys the value/key masks drop, the rows of query steps the query mask drops, and
with use_causal_mask the keys after each query step, get -1e9 added to their
logits. return_attention_scores also returns the weights (before dropout), shape
(batch, heads, T, S).

Weights, Keras's layout and order: sub-layers `query`, `key`, `value` with kernel
(dim, num_heads, key_dim [value_dim for value]) and bias (num_heads, key_dim),
then `attention_output` with kernel (num_heads, value_dim, *output_shape) and bias
output_shape (output_shape defaults to the query's last dimension).
"""

import math
import numbers
import string

import kbackend as K

from ... import constraints, initializers, regularizers
from ...engine import masks
from ...engine.keras_tensor import KerasTensor, any_symbolic
from ...utils.random_seed import draw_seed
from ..core.arguments import check_positive_int
from ..layer import Layer
from .attention import causal_mask, check_rate, check_seed
from .projection import EinsumProjection

_BUILD_SHAPE_KEYS = ("query_shape", "value_shape", "key_shape")


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, KerasTensor) else tuple(K.int_shape(x))


def _is_shape_list(value):
    return isinstance(value, (list, tuple)) and len(value) in (2, 3) and all(isinstance(s, (list, tuple))
                                                                            for s in value)


class MultiHeadAttention(Layer):
    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        # Keras 2 configs record the shapes the layer was built on; build from them
        build_shapes = {k: kwargs.pop(k) for k in _BUILD_SHAPE_KEYS if k in kwargs}
        super().__init__(**kwargs)
        owner = "MultiHeadAttention"
        self._num_heads = check_positive_int(owner, "num_heads", num_heads)
        self._key_dim = check_positive_int(owner, "key_dim", key_dim)
        self._value_dim = self._key_dim if value_dim is None else check_positive_int(owner, "value_dim", value_dim)
        self._dropout = check_rate(owner, dropout)
        self._use_bias = bool(use_bias)
        if output_shape is not None:
            output_shape = (output_shape,) if isinstance(output_shape, numbers.Integral) else output_shape
            if not isinstance(output_shape, (list, tuple)) or not output_shape:
                raise ValueError(f"{owner}: output_shape must be an int or a non-empty tuple of ints (the output's "
                                 f"shape after the batch and query axes); got output_shape={output_shape!r}.")
            output_shape = tuple(check_positive_int(owner, "output_shape", d) for d in output_shape)
        self._output_shape = output_shape
        if isinstance(attention_axes, numbers.Integral):
            attention_axes = (attention_axes,)
        if attention_axes is not None:
            if not isinstance(attention_axes, (list, tuple)) or not all(
                    isinstance(a, numbers.Integral) for a in attention_axes):
                raise ValueError(f"{owner}: attention_axes must be None, an int or a tuple of ints; got "
                                 f"attention_axes={attention_axes!r}.")
            attention_axes = tuple(int(a) for a in attention_axes)
        self._attention_axes = attention_axes
        # flash_attention only picks a kernel in Keras; the attention computed here is the same either way
        del flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)  # on each projection, as Keras
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = check_seed(owner, seed)
        if self._dropout > 0:
            self.seed_generator = K.SeedGenerator(draw_seed() if seed is None else seed,
                                                  name=f"{self.name}_seed_generator")
        self.supports_masking = True
        if build_shapes.get("query_shape") is not None and build_shapes.get("value_shape") is not None:
            self.build(**build_shapes)

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    def _fail(self, message):
        raise ValueError(f"Layer '{self.name}' (MultiHeadAttention): {message}")

    # -- building ------------------------------------------------------------------------------------------------
    def _projection(self, contracted, output_dims, name):
        return EinsumProjection(
            contracted, output_dims, use_bias=self._use_bias, kernel_initializer=self._kernel_initializer,
            bias_initializer=self._bias_initializer, kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer, activity_regularizer=self._activity_regularizer,
            kernel_constraint=self._kernel_constraint, bias_constraint=self._bias_constraint, name=name,
            dtype=self._dtype_arg)

    def _check_shapes(self, query_shape, value_shape, key_shape):
        rank = len(query_shape)
        if rank < 3 or len(value_shape) != rank or len(key_shape) != rank:
            self._fail(f"query, value and key must have one rank >= 3 (batch, steps..., features); got shapes "
                       f"query={query_shape}, value={value_shape}, key={key_shape}.")
        if any(a is not None and b is not None and a != b for a, b in zip(value_shape[1:-1], key_shape[1:-1])):
            self._fail(f"all dimensions of value and key except the last must be equal; got value_shape="
                       f"{value_shape} and key_shape={key_shape}.")

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and _is_shape_list(query_shape):  # {"input_shape": [query, value(, key)]}
            query_shape, value_shape, key_shape = (list(query_shape) + [None])[:3]
        if value_shape is None:
            self._fail("build needs the query and the value shapes: build(query_shape, value_shape).")
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        self._build_equations(len(query_shape) + 1)
        heads = self._num_heads
        self._query_dense = self._projection(1, (heads, self._key_dim), "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection(1, (heads, self._key_dim), "key")
        self._key_dense.build(key_shape)
        self._value_dense = self._projection(1, (heads, self._value_dim), "value")
        self._value_dense.build(value_shape)
        self._output_dense = self._projection(2, self._output_shape or (query_shape[-1],), "attention_output")
        self._output_dense.build(query_shape[:-1] + (heads, self._value_dim))
        for projection in (self._query_dense, self._key_dense, self._value_dense, self._output_dense):
            for variable in projection.weights:  # Keras 3's paths: "multi_head_attention/query/kernel"
                variable.path = f"{self.name}/{variable.path}"
        self.built = True
        if self._initial_weights is not None:  # the base's weights=... argument, once the weights exist
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def _build_equations(self, rank):
        """Einsum equations for projected tensors of this rank: (batch, steps..., heads, features)."""
        if self._attention_axes is None:
            axes = tuple(range(1, rank - 2))
        else:  # negative axes count as Keras counts them: from the end, the features axis excluded
            axes = tuple(a if a >= 0 else rank - 1 + a for a in self._attention_axes)
        if not axes or any(not 1 <= a <= rank - 3 for a in axes) or len(set(axes)) != len(axes):
            self._fail(f"attention_axes={self._attention_axes} must name distinct step axes of the inputs, i.e. "
                       f"axes 1..{rank - 3} for inputs of rank {rank - 1}.")
        self._attn_axes = axes
        letters = string.ascii_lowercase
        query = letters[:rank]
        key = "".join(letters[rank + axes.index(i)] if i in axes else query[i] for i in range(rank))
        self._batch_axes = [i for i in range(rank - 1) if i not in axes]  # includes the heads axis
        scores = "".join(query[i] for i in self._batch_axes) + "".join(query[i] for i in axes) + \
            "".join(key[i] for i in axes)
        self._dot_equation = f"{key},{query}->{scores}"
        self._combine_equation = f"{scores},{key}->{query}"

    # -- calling -----------------------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not args and "query" in kwargs:
            args = (kwargs.pop("query"),)
        named = dict(zip(("query", "value", "key"), args))
        named.update({k: kwargs[k] for k in ("value", "key") if k in kwargs})
        if named.get("value") is None:
            raise TypeError(f"Layer '{self.name}' (MultiHeadAttention) needs a query and a value: "
                            "layer(query, value) or layer(query, value, key).")
        if not self.built:
            key = named.get("key")
            self.build(_shape_of(named["query"]), _shape_of(named["value"]), None if key is None else _shape_of(key))
        if not any_symbolic((args, kwargs)):
            # Keras passes the inputs' masks in as query_mask / value_mask / key_mask
            for name in ("query", "value", "key"):
                if named.get(name) is not None and kwargs.get(f"{name}_mask") is None:
                    found = masks.get_mask(named[name])
                    if found is not None:
                        kwargs[f"{name}_mask"] = found
        return super().__call__(*args, **kwargs)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        value = self._convert_inputs(value)
        key = value if key is None else self._convert_inputs(key)
        attention_mask = self._attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask,
                                              use_causal_mask)
        query = K.multiply(self._query_dense(query), 1.0 / math.sqrt(self._key_dim))
        key = self._key_dense(key)
        value = self._value_dense(value)
        scores = self._masked_softmax(K.einsum(self._dot_equation, key, query), attention_mask)
        weights = scores
        if training and self._dropout > 0:
            weights = K.dropout(scores, self._dropout, seed=self.seed_generator)
        output = self._output_dense(K.einsum(self._combine_equation, weights, value))
        if return_attention_scores:
            return output, scores
        return output

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """The (batch, T, S) boolean mask: attention_mask AND the masks of the inputs AND the causal mask."""
        parts = []
        if query_mask is not None:
            parts.append(K.expand_dims(K.cast(query_mask, "bool"), -1))  # (batch, T, 1)
        for mask in (value_mask, key_mask):
            if mask is not None:
                parts.append(K.expand_dims(K.cast(mask, "bool"), -2))  # (batch, 1, S)
        if use_causal_mask:
            parts.append(causal_mask(K.shape(query)[1], K.shape(value)[1]))
        if attention_mask is not None:
            parts.insert(0, K.cast(attention_mask, "bool"))
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = K.logical_and(combined, part)
        return combined

    def _masked_softmax(self, scores, mask):
        """Softmax over the key attention axes (the last ones); masked positions get a large negative bias."""
        n = len(self._attn_axes)
        if mask is not None:
            while K.ndim(mask) < K.ndim(scores):  # broadcast over the heads (and non-attention) axes
                mask = K.expand_dims(mask, -2 * n - 1)
            large_negative = -3e4 if K.dtype(scores) == "float16" else -1e9
            scores = K.add(scores, K.multiply(K.subtract(1.0, K.cast(mask, K.dtype(scores))), large_negative))
        if n == 1:
            return K.softmax(scores, axis=-1)
        return K.exp(K.subtract(scores, K.logsumexp(scores, axis=tuple(range(-n, 0)), keepdims=True)))

    # -- shapes, masks, config ---------------------------------------------------------------------------------------
    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            self._check_shapes(query_shape, value_shape, value_shape if key_shape is None else tuple(key_shape))
        return query_shape[:-1] + (self._output_shape or (query_shape[-1],))

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        query_shape, value_shape = _shape_of(query), _shape_of(value)
        output = KerasTensor(self.compute_output_shape(query_shape, value_shape,
                                                       None if key is None else _shape_of(key)), self.compute_dtype)
        if not return_attention_scores:
            return output
        projected = query_shape[:-1] + (self._num_heads,)
        scores_shape = tuple(projected[i] for i in self._batch_axes) + \
            tuple(query_shape[i] for i in self._attn_axes) + tuple(value_shape[i] for i in self._attn_axes)
        return output, KerasTensor(scores_shape, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": None if self._attention_axes is None else list(self._attention_axes),
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        })
        return config
