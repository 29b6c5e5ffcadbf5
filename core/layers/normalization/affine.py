"""The learned per-feature scale (gamma) and offset (beta) that the
normalization layers share: their arguments, weights and config entries."""

from ... import constraints, initializers, regularizers

_AFFINE_KEYS = ("beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint",
                "gamma_constraint")
_SERIALIZE = {"initializer": initializers.serialize, "regularizer": regularizers.serialize,
              "constraint": constraints.serialize}


class AffineMixin:
    """For Layer subclasses: gamma/beta arguments, weights and config."""

    def _init_affine(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
                     beta_constraint, gamma_constraint):
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _add_affine_weights(self, shape, scale=None, center=None):
        """gamma then beta (Keras's order), each only where enabled."""
        scale = self.scale if scale is None else scale
        center = self.center if center is None else center
        self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                     name="gamma") if scale else None
        self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                    name="beta") if center else None

    def _affine_config(self):
        config = {"center": self.center, "scale": self.scale}
        for key in _AFFINE_KEYS:
            config[key] = _SERIALIZE[key.split("_")[1]](getattr(self, key))
        return config
