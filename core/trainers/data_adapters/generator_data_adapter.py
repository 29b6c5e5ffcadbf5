"""Python generators and other iterators yielding x, (x, y) or (x, y, sw)."""

from .data_adapter import DataAdapter
from .data_utils import standardize_batch


class GeneratorDataAdapter(DataAdapter):
    """Reads batches from an iterator. An iterator can be walked only once:
    every pass continues where the last one stopped, and once it has run
    out, `consumed` is set and later passes are empty."""

    one_shot = True

    def __init__(self, iterator, class_weight=None):
        self._iterator = iterator
        self._class_weight = class_weight
        self.consumed = False

    def get_iterator(self):
        for data in self._iterator:
            yield standardize_batch(data, self._class_weight)
        self.consumed = True
