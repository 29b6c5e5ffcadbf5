import kbackend as K

from .optimizer import Optimizer


class Ftrl(Optimizer):
    """Follow The Regularized Leader (McMahan et al., 2013), with online L2
    (l2_regularization_strength, plus beta / (2 lr)) and shrinkage L2
    (l2_shrinkage_regularization_strength, added to the gradient as 2 * s * w).

    n' = n + g**2; z += g_s - (n'**-p - n**-p) / lr * w;
    w = (clip(z, -l1, l1) - z) / (n'**-p / lr + 2 * l2); n = n'  (p = learning_rate_power).
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="ftrl", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError("`initial_accumulator_value` must be >= 0; got "
                             f"initial_accumulator_value={initial_accumulator_value}.")
        if learning_rate_power > 0:
            raise ValueError(f"`learning_rate_power` must be <= 0; got learning_rate_power={learning_rate_power}.")
        for arg, value in (("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0:
                raise ValueError(f"`{arg}` must be >= 0; got {arg}={value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        super().build(var_list)
        self._accumulators, self._linears = [], []
        for variable in var_list:  # a variable's slots together, as Keras 3 saves them
            self._accumulators.append(self.add_variable_from_reference(
                variable, "accumulator", initializer=float(self.initial_accumulator_value)))
            self._linears.append(self.add_variable_from_reference(variable, "linear"))

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        lr = K.cast(learning_rate, variable.dtype)
        accumulator, linear = self._accumulators[i], self._linears[i]
        power = -self.learning_rate_power
        l2 = K.add(self.l2_regularization_strength, K.divide(self.beta, K.multiply(2.0, lr)))
        shrunk = K.add(gradient, K.multiply(2 * self.l2_shrinkage_regularization_strength, variable.value))
        new_accumulator = K.add(accumulator.value, K.square(gradient))
        sigma = K.divide(K.subtract(K.pow(new_accumulator, power), K.pow(accumulator.value, power)), lr)
        linear.assign_add(K.subtract(shrunk, K.multiply(sigma, variable.value)))
        quadratic = K.add(K.divide(K.pow(new_accumulator, power), lr), K.multiply(2.0, l2))
        l1 = self.l1_regularization_strength
        variable.assign(K.divide(K.subtract(K.clip(linear.value, -l1, l1), linear.value), quadratic))
        accumulator.assign(new_accumulator)

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
