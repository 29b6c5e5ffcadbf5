"""AdditiveAttention: Bahdanau-style attention, Attention with additive scores.

  scores = sum(scale * tanh(query_i + key_j), over features)   (scale = 1 without use_scale)
Masks, causal masking, dropout and the output follow Attention. Weights:
`scale`, shape (dim,), glorot_uniform (use_scale only).
"""

import kbackend as K

from .attention import Attention


class AdditiveAttention(Attention):
    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(input_shape[0][-1],), initializer="glorot_uniform", name="scale")
        self.built = True

    def _scores(self, query, key):
        pairs = K.tanh(K.add(K.expand_dims(query, 2), K.expand_dims(key, 1)))  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = K.multiply(self.scale, pairs)
        return K.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
