"""core.utils: helpers users call directly."""

from .progbar import Progbar
from .py_dataset import PyDataset, Sequence
from .random_seed import set_random_seed
