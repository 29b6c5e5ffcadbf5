import math

import kbackend as K

from .learning_rate_schedule import LearningRateSchedule, check_positive, float_step


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): the first period lasts
    first_decay_steps, each next one t_mul times longer, starting from m_mul
    times the previous peak; alpha is the floor, a fraction of the initial rate."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        check_positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        fraction = K.divide(float_step(step), float(self.first_decay_steps))
        t_mul = float(self.t_mul)
        if t_mul == 1.0:  # periods of equal length
            restart = K.floor(fraction)
            fraction = K.subtract(fraction, restart)
        else:  # period i lasts t_mul ** i first periods; done_before: the length of periods 0..i-1
            restart = K.floor(K.divide(K.log(K.subtract(1.0, K.multiply(fraction, 1.0 - t_mul))), math.log(t_mul)))
            growth = K.pow(K.cast(t_mul, K.floatx()), restart)
            done_before = K.divide(K.subtract(1.0, growth), 1.0 - t_mul)
            fraction = K.divide(K.subtract(fraction, done_before), growth)
        peak = K.pow(K.cast(self.m_mul, K.floatx()), restart)
        # m_mul ** restart scales the cosine part only, not the alpha floor (as Keras)
        cosine = K.multiply(peak, K.multiply(0.5, K.add(1.0, K.cos(K.multiply(math.pi, fraction)))))
        decayed = K.add(K.multiply(1.0 - self.alpha, cosine), self.alpha)
        return K.multiply(float(self.initial_learning_rate), decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}
