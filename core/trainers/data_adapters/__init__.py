"""Data adapters: every kind of input fit/evaluate/predict accepts, turned
into numpy batches (x,), (x, y) or (x, y, sample_weight).

Supported x: numpy arrays and lists/tuples/dicts of them, Python lists of
numbers, engine tensors of any engine, pandas DataFrame/Series, Python
generators/iterators, core.utils.PyDataset, tf.data.Dataset and
torch.utils.data.DataLoader (the last two only when the user has them).
"""

from .adapter_selection import get_data_adapter
from .array_data_adapter import ArrayDataAdapter
from .data_adapter import DataAdapter
from .data_utils import class_weight_to_sample_weight, pack_x_y_sample_weight, unpack_x_y_sample_weight
from .epoch_iterator import EpochIterator
from .generator_data_adapter import GeneratorDataAdapter
from .py_dataset_adapter import PyDatasetAdapter
from .tf_dataset_adapter import TFDatasetAdapter
from .torch_data_loader_adapter import TorchDataLoaderAdapter
from .validation_split import train_validation_split
