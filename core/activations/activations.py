"""Activation functions with Keras 3's names and signatures, built from K ops."""

import kbackend as K


def _slope(negative_slope, alpha, fn_name):
    """Keras 2 spelled the negative slope `alpha`; accept either name, not both."""
    if alpha is None:
        return negative_slope
    if negative_slope:
        raise TypeError(f"{fn_name}: pass either negative_slope= (Keras 3) or alpha= (Keras 2), not both.")
    return alpha


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, *, alpha=None):
    """x above threshold (capped at max_value), negative_slope * (x - threshold) below."""
    return K.relu(x, alpha=_slope(negative_slope, alpha, "relu"), max_value=max_value, threshold=threshold)


def leaky_relu(x, negative_slope=0.2, *, alpha=None):
    """x for x >= 0, negative_slope * x below."""
    return K.relu(x, alpha=negative_slope if alpha is None else alpha)


def relu6(x):
    """min(max(x, 0), 6)."""
    return K.relu(x, max_value=6.0)


def elu(x, alpha=1.0):
    return K.elu(x, alpha=alpha)


def selu(x):
    return K.selu(x)


def gelu(x, approximate=False):
    return K.gelu(x, approximate=approximate)


def silu(x):
    """x * sigmoid(x) (also known as swish)."""
    return K.silu(x)


def softplus(x):
    return K.softplus(x)


def softsign(x):
    return K.softsign(x)


def sigmoid(x):
    return K.sigmoid(x)


def hard_sigmoid(x):
    """The piecewise-linear sigmoid clip(0.2 * x + 0.5, 0, 1) (Keras 2's form)."""
    return K.hard_sigmoid(x)


def hard_silu(x):
    """x * relu6(x + 3) / 6 (also known as hard_swish)."""
    return K.multiply(x, K.relu(K.add(x, 3.0), max_value=6.0)) / 6.0


def tanh(x):
    return K.tanh(x)


def exponential(x):
    return K.exp(x)


def linear(x):
    """The identity: x unchanged."""
    return x


def mish(x):
    """x * tanh(softplus(x))."""
    return K.multiply(x, K.tanh(K.softplus(x)))


def softmax(x, axis=-1):
    """exp(x) normalized to sum to 1 along axis (a 1-D input is one distribution)."""
    return K.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return K.log_softmax(x, axis=axis)


swish = silu
hard_swish = hard_silu
