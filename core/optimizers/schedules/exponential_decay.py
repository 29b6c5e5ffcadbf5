import kbackend as K

from .learning_rate_schedule import LearningRateSchedule, check_positive, float_step


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps); with
    staircase the exponent is floored, so the rate drops every decay_steps."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = K.divide(float_step(step), float(self.decay_steps))
        if self.staircase:
            p = K.floor(p)
        rate = K.cast(self.decay_rate, K.floatx())
        return K.multiply(float(self.initial_learning_rate), K.pow(rate, p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}
