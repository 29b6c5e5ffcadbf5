"""Bilinear upsampling by integer factors, as Keras's UpSampling2D(interpolation="bilinear").

Keras resizes with half-pixel centres (tf.image.resize, jax.image.resize and
torch's align_corners=False agree): output i along an axis samples the input at
(i + 0.5) / scale - 0.5, clamped to the first and last entries, and
interpolates linearly between the two nearest entries.

With an integer scale s, output s * k + r samples entry k shifted by
d = (r + 0.5) / s - 0.5, a fraction in (-1/2, 1/2) that does not depend on k:
so each of the s phases is a fixed blend of the input with its neighbour
before (d < 0) or after (d > 0), edges repeated, and the phases interleave.
That costs s elementwise blends per axis and works for sizes known only at run time.
"""

import kbackend as K


def _along(x, axis, start, stop):
    index = [slice(None)] * K.ndim(x)
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def _upsample_axis(x, axis, scale):
    before = K.concatenate([_along(x, axis, 0, 1), _along(x, axis, 0, -1)], axis=axis)  # x[k - 1], edge repeated
    after = K.concatenate([_along(x, axis, 1, None), _along(x, axis, -1, None)], axis=axis)  # x[k + 1]
    phases = []
    for r in range(scale):
        d = (r + 0.5) / scale - 0.5
        neighbour = after if d > 0 else before
        phases.append(x if d == 0 else x * (1 - abs(d)) + neighbour * abs(d))
    stacked = K.stack(phases, axis=axis + 1)  # (..., k, r, ...) -> (..., s * k + r, ...)
    shape = K.shape(stacked)
    return K.reshape(stacked, tuple(shape[:axis]) + (shape[axis] * scale,) + tuple(shape[axis + 2:]))


def upsample_bilinear(x, scales, axes):
    """x with each of axes upsampled by the matching integer scale."""
    for axis, scale in zip(axes, scales):
        if scale > 1:
            x = _upsample_axis(x, axis, scale)
    return x
