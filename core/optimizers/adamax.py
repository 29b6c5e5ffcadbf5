import kbackend as K

from .optimizer import Optimizer


class Adamax(Optimizer):
    """Adam with the infinity norm: m += (g - m) * (1 - beta_1);
    u = max(beta_2 * u, |g|); w -= lr * m / ((1 - beta_1**t) * (u + epsilon))."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="adamax", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = K.epsilon() if epsilon is None else epsilon  # Keras 2.2 accepted None

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        dtype = variable.dtype
        beta_1_power = K.pow(K.cast(self.beta_1, dtype), self._local_step(dtype))
        m, u = self._m[i], self._u[i]
        m.assign_add(K.multiply(K.subtract(gradient, m.value), 1 - self.beta_1))
        u.assign(K.maximum(K.multiply(self.beta_2, u.value), K.abs(gradient)))
        denominator = K.multiply(K.subtract(1.0, beta_1_power), K.add(u.value, self.epsilon))
        variable.assign_sub(K.divide(K.multiply(K.cast(learning_rate, dtype), m.value), denominator))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
