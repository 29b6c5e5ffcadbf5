import kbackend as K

from .learning_rate_schedule import LearningRateSchedule, check_positive, float_step


class PolynomialDecay(LearningRateSchedule):
    """(initial - end) * (1 - step / decay_steps) ** power + end, the step held
    at decay_steps; with cycle, decay_steps grows to the first multiple of
    itself that is >= step, so the decay restarts."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = float_step(step)
        decay_steps = K.cast(self.decay_steps, K.floatx())
        if self.cycle:
            multiplier = K.where(K.equal(step, 0.0), 1.0, K.ceil(K.divide(step, decay_steps)))
            decay_steps = K.multiply(decay_steps, multiplier)
        else:
            step = K.minimum(step, decay_steps)
        remaining = K.subtract(1.0, K.divide(step, decay_steps))
        span = float(self.initial_learning_rate) - float(self.end_learning_rate)
        return K.add(K.multiply(span, K.pow(remaining, float(self.power))), float(self.end_learning_rate))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}
