import kbackend as K

from .learning_rate_schedule import LearningRateSchedule, check_positive, float_step


class InverseTimeDecay(LearningRateSchedule):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps); with
    staircase, step / decay_steps is floored."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
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
        return K.divide(float(self.initial_learning_rate), K.add(1.0, K.multiply(float(self.decay_rate), p)))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}
