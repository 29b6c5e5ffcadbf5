import math

import kbackend as K

from .learning_rate_schedule import LearningRateSchedule, check_positive, float_step


def cosine_factor(fraction, alpha):
    """(1 - alpha) * (1 + cos(pi * fraction)) / 2 + alpha."""
    cosine = K.multiply(0.5, K.add(1.0, K.cos(K.multiply(math.pi, fraction))))
    return K.add(K.multiply(1.0 - alpha, cosine), alpha)


class CosineDecay(LearningRateSchedule):
    """Cosine decay over decay_steps from initial_learning_rate to
    alpha * initial_learning_rate. With warmup_target, the rate first rises
    linearly from initial_learning_rate to warmup_target over warmup_steps,
    then decays from warmup_target."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = float_step(step)
        initial = float(self.initial_learning_rate)
        if self.warmup_target is None:
            fraction = K.divide(K.minimum(step, float(self.decay_steps)), float(self.decay_steps))
            return K.multiply(initial, cosine_factor(fraction, self.alpha))
        target, warmup = float(self.warmup_target), float(self.warmup_steps)
        step = K.minimum(step, float(self.decay_steps) + warmup)
        # both branches are computed (no Python branch on a tensor); the warmup
        # one only counts when step < warmup_steps, so warmup_steps >= 1 there
        rising = K.add(initial, K.multiply(target - initial, K.divide(step, max(warmup, 1.0))))
        decaying = K.multiply(target, cosine_factor(K.divide(K.subtract(step, warmup), float(self.decay_steps)),
                                                    self.alpha))
        return K.where(K.less(step, warmup), rising, decaying)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}
