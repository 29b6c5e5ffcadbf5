import kbackend as K

from .optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent, with optional momentum and Nesterov momentum.

    momentum 0: w -= lr * g. Otherwise v = momentum * v - lr * g, then
    w += v, or w += momentum * v - lr * g with nesterov.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float in [0, 1]; got momentum={momentum!r}.")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum != 0 else []

    def update_step(self, gradient, variable, learning_rate):
        step = K.multiply(gradient, K.cast(learning_rate, variable.dtype))
        if self.momentum == 0:
            variable.assign_sub(step)
            return
        m = self.momentums[self._get_variable_index(variable)]
        m.assign(K.subtract(K.multiply(m.value, self.momentum), step))
        if self.nesterov:
            variable.assign_add(K.subtract(K.multiply(m.value, self.momentum), step))
        else:
            variable.assign_add(m.value)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
