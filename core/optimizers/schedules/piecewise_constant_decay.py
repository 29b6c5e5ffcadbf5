import itertools

import kbackend as K

from .learning_rate_schedule import LearningRateSchedule


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] while
    boundaries[i-1] < step <= boundaries[i], values[-1] after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"PiecewiseConstantDecay needs one more value than boundaries; got "
                             f"{len(boundaries)} boundaries {list(boundaries)} and {len(values)} values "
                             f"{list(values)}.")
        if any(b >= c for b, c in itertools.pairwise(boundaries)):
            raise ValueError(f"PiecewiseConstantDecay boundaries must be strictly increasing; got {list(boundaries)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        # float64 holds every integer step a run can reach exactly
        step = K.cast(step, "float64")
        result = K.cast(self.values[-1], K.floatx())
        for boundary, value in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            result = K.where(K.less_equal(step, float(boundary)), K.cast(value, K.floatx()), result)
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}
