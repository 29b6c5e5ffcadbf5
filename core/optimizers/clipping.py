"""Gradient clipping by value, by each gradient's norm, and by the global norm."""

import kbackend as K


def clip_by_value(grads, clipvalue):
    return [K.clip(g, -clipvalue, clipvalue) for g in grads]


def clip_by_norm(grads, clipnorm):
    """Each gradient scaled down to an L2 norm of at most clipnorm."""
    return [K.divide(K.multiply(g, clipnorm), K.maximum(K.sqrt(K.sum(K.square(g))), clipnorm)) for g in grads]


def clip_by_global_norm(grads, clipnorm):
    """All gradients scaled by one factor so that their joint L2 norm is at most clipnorm."""
    # half-precision gradients are squared and summed in float32 (float64 gradients stay float64)
    dtype = "float64" if any(K.dtype(g) == "float64" for g in grads) else "float32"
    norm = K.sqrt(K.sum(K.stack([K.sum(K.square(K.cast(g, dtype))) for g in grads])))
    # norm - norm is 0, or NaN for a non-finite norm: a broken step shows as NaN (as Keras)
    scale = K.add(K.divide(clipnorm, K.maximum(norm, clipnorm)), K.subtract(norm, norm))
    return [K.multiply(g, K.cast(scale, K.dtype(g))) for g in grads]
