"""tf.keras 2.11+'s `optimizers.legacy` names, so code written against them
runs; they are the same classes as core.optimizers (Keras 3 update rules)."""

from core.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, Ftrl, Nadam, Optimizer, RMSprop
