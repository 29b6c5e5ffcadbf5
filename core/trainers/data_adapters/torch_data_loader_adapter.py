"""`torch.utils.data.DataLoader`, read as numpy on every engine."""

import sys

from .data_adapter import DataAdapter
from .data_utils import standardize_batch


def is_torch_data_loader(x):
    """True for a DataLoader; never imports torch."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    try:
        return isinstance(x, torch.utils.data.DataLoader)
    except AttributeError:
        return False


class TorchDataLoaderAdapter(DataAdapter):
    """Each item the loader yields is one batch; torch tensors become numpy."""

    def __init__(self, loader, class_weight=None):
        self._loader = loader
        self._class_weight = class_weight

    @property
    def num_batches(self):
        try:
            return len(self._loader)
        except TypeError:  # an IterableDataset without __len__
            return None

    def get_iterator(self):
        for batch in self._loader:
            yield standardize_batch(batch, self._class_weight)
