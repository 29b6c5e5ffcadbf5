import kbackend as K

from .optimizer import Optimizer


class Nadam(Optimizer):
    """Adam with Nesterov momentum and the momentum schedule
    mu_t = beta_1 * (1 - 0.5 * 0.96**t). With P_t = mu_1 * ... * mu_t:
    m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t),
    v_hat = v / (1 - beta_2**t), w -= lr * m_hat / (sqrt(v_hat) + epsilon)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="nadam", **kwargs):
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
        var_list = list(var_list)
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        # P_t, the product of the momentum schedule so far, shared by all variables
        dtype = var_list[0].dtype if var_list else K.floatx()
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype, name="u_product")

    def _mu(self, step, dtype):
        return K.multiply(self.beta_1, K.subtract(1.0, K.multiply(0.5, K.pow(K.cast(0.96, dtype), step))))

    def _backend_update_step(self, grads, variables, learning_rate):
        # P_t advances once per step, before the per-variable updates read it
        dtype = self._u_product.dtype
        self._u_product.assign(K.multiply(self._u_product.value, self._mu(self._local_step(dtype), dtype)))
        super()._backend_update_step(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        dtype = variable.dtype
        t = self._local_step(dtype)
        mu_t, mu_next = self._mu(t, dtype), self._mu(K.add(t, 1.0), dtype)
        product = K.cast(self._u_product.value, dtype)
        m, v = self._momentums[i], self._velocities[i]
        m.assign_add(K.multiply(K.subtract(gradient, m.value), 1 - self.beta_1))
        v.assign_add(K.multiply(K.subtract(K.square(gradient), v.value), 1 - self.beta_2))
        m_hat = K.add(K.divide(K.multiply(mu_next, m.value), K.subtract(1.0, K.multiply(product, mu_next))),
                      K.divide(K.multiply(K.subtract(1.0, mu_t), gradient), K.subtract(1.0, product)))
        v_hat = K.divide(v.value, K.subtract(1.0, K.pow(K.cast(self.beta_2, dtype), t)))
        variable.assign_sub(K.divide(K.multiply(m_hat, K.cast(learning_rate, dtype)),
                                     K.add(K.sqrt(v_hat), self.epsilon)))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
