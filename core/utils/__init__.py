"""core.utils: helpers users call directly."""

from ..preprocessing.image import array_to_img, img_to_array, load_img, save_img
from .file_utils import get_file
from .numerical_utils import normalize, to_categorical
from .progbar import Progbar
from .py_dataset import PyDataset, Sequence
from .random_seed import set_random_seed
from .sequence_utils import pad_sequences
from .vis_utils import model_to_dot, plot_model
