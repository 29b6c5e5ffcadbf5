"""Thresholded confusion counts (TruePositives, ...) and Precision / Recall."""

from .confusion_utils import NEG_INF, confusion_counts, parse_thresholds
from .metric import Metric
from .metrics_utils import divide_no_nan


class _ConfusionCount(Metric):
    """The weighted count of one confusion-matrix cell at each threshold."""

    kind = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, default=0.5)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, (self.kind,), self.dtype,
                                  sample_weight=sample_weight)
        self.accumulator.assign_add(counts[self.kind])

    def result(self):
        value = self.accumulator.value
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    kind = "tp"


class FalsePositives(_ConfusionCount):
    kind = "fp"


class TrueNegatives(_ConfusionCount):
    kind = "tn"


class FalseNegatives(_ConfusionCount):
    kind = "fn"


class _PositiveRate(Metric):
    """tp / (tp + other) at each threshold; other is fp (Precision) or fn (Recall).

    top_k: only the k highest predictions of each sample count as positive
    (then the default threshold lets all of those through). class_id: only
    that column of (batch, classes) labels and predictions is counted.
    """

    other = None

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = parse_thresholds(thresholds, default=0.5 if top_k is None else NEG_INF)
        self.true_positives = self.add_variable((len(self.thresholds),), name="true_positives")
        self._other_count = self.add_variable((len(self.thresholds),), name=self._other_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, ("tp", self.other), self.dtype,
                                  sample_weight=sample_weight, top_k=self.top_k, class_id=self.class_id)
        self.true_positives.assign_add(counts["tp"])
        self._other_count.assign_add(counts[self.other])

    def result(self):
        tp = self.true_positives.value
        value = divide_no_nan(tp, tp + self._other_count.value)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PositiveRate):
    """Of the predictions above the threshold, the weighted share whose label is positive."""

    other, _other_name = "fp", "false_positives"

    @property
    def false_positives(self):
        return self._other_count


class Recall(_PositiveRate):
    """Of the positive labels, the weighted share predicted above the threshold."""

    other, _other_name = "fn", "false_negatives"

    @property
    def false_negatives(self):
        return self._other_count
