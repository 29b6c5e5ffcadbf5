import kbackend as K

from .optimizer import Optimizer


class Adadelta(Optimizer):
    """Step sizes from running averages of squared gradients and squared updates:
    Eg = rho * Eg + (1 - rho) * g**2; delta = -sqrt(Ed + eps) / sqrt(Eg + eps) * g;
    Ed = rho * Ed + (1 - rho) * delta**2; w += lr * delta."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-07, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adadelta", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.epsilon = K.epsilon() if epsilon is None else epsilon  # Keras 2.2 accepted None

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        rho = self.rho
        grad_avg, delta_avg = self._accumulated_grads[i], self._accumulated_delta_vars[i]
        grad_avg.assign(K.add(K.multiply(rho, grad_avg.value), K.multiply(1 - rho, K.square(gradient))))
        delta = K.negative(K.divide(K.multiply(K.sqrt(K.add(delta_avg.value, self.epsilon)), gradient),
                                    K.sqrt(K.add(grad_avg.value, self.epsilon))))
        delta_avg.assign(K.add(K.multiply(rho, delta_avg.value), K.multiply(1 - rho, K.square(delta))))
        variable.assign_add(K.multiply(K.cast(learning_rate, variable.dtype), delta))

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
