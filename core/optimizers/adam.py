import kbackend as K

from .optimizer import Optimizer


class Adam(Optimizer):
    """Adaptive moment estimation.

    m += (g - m) * (1 - beta_1); v += (g**2 - v) * (1 - beta_2);
    lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t); w -= lr_t * m / (sqrt(v) + epsilon).
    amsgrad uses the running maximum of v instead of v.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adam", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = K.epsilon() if epsilon is None else epsilon  # Keras 2.2 accepted None
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _backend_update_step(self, grads, variables, learning_rate):
        # the bias-corrected rate is the same for every variable of a dtype: computed
        # once per step (a compiled graph that runs op by op pays for each scalar op)
        self._alphas = {}
        try:
            super()._backend_update_step(grads, variables, learning_rate)
        finally:
            self._alphas = None

    def _alpha(self, dtype, learning_rate):
        """lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) as dtype."""
        memo = getattr(self, "_alphas", None)
        if memo is not None and dtype in memo:
            return memo[dtype]
        t = self._local_step(dtype)
        beta_1_power = K.pow(K.cast(self.beta_1, dtype), t)
        beta_2_power = K.pow(K.cast(self.beta_2, dtype), t)
        alpha = K.divide(K.multiply(K.cast(learning_rate, dtype), K.sqrt(K.subtract(1.0, beta_2_power))),
                         K.subtract(1.0, beta_1_power))
        if memo is not None:
            memo[dtype] = alpha
        return alpha

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        alpha = self._alpha(variable.dtype, learning_rate)
        m, v = self._momentums[i], self._velocities[i]
        if not self.amsgrad:  # one engine kernel (fused where the engine runs ops one by one)
            new_variable, new_m, new_v = K.adam_update(variable.value, gradient, m.value, v.value, alpha,
                                                       self.beta_1, self.beta_2, self.epsilon,
                                                       in_place=not self._keeps_old_values)
            m.assign(new_m)
            v.assign(new_v)
            variable.assign(new_variable)
            return
        m.assign_add(K.multiply(K.subtract(gradient, m.value), 1 - self.beta_1))
        v.assign_add(K.multiply(K.subtract(K.square(gradient), v.value), 1 - self.beta_2))
        v_hat = self._velocity_hats[i]  # amsgrad: the running maximum of v
        v_hat.assign(K.maximum(v_hat.value, v.value))
        variable.assign_sub(K.divide(K.multiply(m.value, alpha), K.add(K.sqrt(v_hat.value), self.epsilon)))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}
