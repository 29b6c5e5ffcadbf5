import kbackend as K

from .optimizer import Optimizer


class RMSprop(Optimizer):
    """Divides the gradient by a running root mean square of recent gradients.

    v = rho * v + (1 - rho) * g**2; centered also keeps a = rho * a + (1 - rho) * g
    and uses v - a**2. increment = lr * g / sqrt(denominator + epsilon);
    with momentum, mom = momentum * mom + increment and w -= mom, else w -= increment.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, centered=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="rmsprop", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = K.epsilon() if epsilon is None else epsilon  # Keras 2.2 accepted None
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum > 0 else []
        self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient") if self.centered else []

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        rho = self.rho
        velocity = self._velocities[i]
        velocity.assign(K.add(K.multiply(rho, velocity.value), K.multiply(1 - rho, K.square(gradient))))
        denominator = velocity.value
        if self.centered:
            average = self._average_gradients[i]
            average.assign(K.add(K.multiply(rho, average.value), K.multiply(1 - rho, gradient)))
            denominator = K.subtract(denominator, K.square(average.value))
        increment = K.divide(K.multiply(K.cast(learning_rate, variable.dtype), gradient),
                             K.sqrt(K.add(denominator, self.epsilon)))
        if self.momentum > 0:
            momentum = self._momentums[i]
            momentum.assign(K.add(K.multiply(self.momentum, momentum.value), increment))
            increment = momentum.value
        variable.assign_sub(increment)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
