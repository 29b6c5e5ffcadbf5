import kbackend as K

from .optimizer import Optimizer


class Lion(Optimizer):
    """EvoLved Sign Momentum (Chen et al., 2023):
    w -= lr * sign(beta_1 * m + (1 - beta_1) * g); m = beta_2 * m + (1 - beta_2) * g."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="lion", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(f"`beta_1` must be in (0, 1] (0 would make Lion plain sign descent); got beta_1={beta_1}.")
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        m = self._momentums[self._get_variable_index(variable)]
        direction = K.sign(K.add(K.multiply(m.value, self.beta_1), K.multiply(gradient, 1 - self.beta_1)))
        variable.assign_sub(K.multiply(K.cast(learning_rate, variable.dtype), direction))
        m.assign(K.add(K.multiply(m.value, self.beta_2), K.multiply(gradient, 1 - self.beta_2)))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
