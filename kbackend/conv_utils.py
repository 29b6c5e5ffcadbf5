"""Convolution and pooling arguments, checked and worked out once for every engine.

Only plain Python on ints and tuples lives here: the engines keep their own
tensor code. Padding follows TensorFlow: "same" pads so that the output has
ceil(size / stride) positions, with the smaller half of the total before;
"causal" (1-D convolutions) pads everything on the left.
"""

import numbers
import operator

PADDINGS = ("valid", "same", "causal")
POOL_MODES = ("max", "avg")


def normalize_tuple(value, n, name):
    """An int or a sequence of n ints as a tuple of n positive ints."""
    if isinstance(value, numbers.Integral):
        values = (int(value),) * n
    else:
        try:
            values = tuple(operator.index(v) for v in value)
        except TypeError:  # not a sequence, or not of ints
            values = None
    if values is None or len(values) != n or min(values, default=1) < 1:
        raise ValueError(f"{name} must be a positive int or a sequence of {n} positive ints; got {value!r}.")
    return values


def normalize_padding(padding, allow_causal=False):
    """The padding name in lower case, checked against the allowed ones."""
    allowed = PADDINGS if allow_causal else PADDINGS[:2]
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in allowed:
        raise ValueError(f"padding must be one of {', '.join(allowed)}; got {padding!r}.")
    return p


def check_strides_dilation(strides, dilation):
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(f"strides > 1 cannot be combined with dilation_rate > 1; "
                         f"got strides={tuple(strides)}, dilation_rate={tuple(dilation)}.")


def conv_strides_dilation(strides, dilation_rate, n):
    """Checked (strides, dilation) tuples of an n-D convolution."""
    strides = normalize_tuple(strides, n, "strides")
    dilation = normalize_tuple(dilation_rate, n, "dilation_rate")
    check_strides_dilation(strides, dilation)
    return strides, dilation


def extents(kernel, dilation):
    """The span of each dilated kernel axis."""
    return tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))


def pad_amounts(sizes, kernel, strides, dilation, padding):
    """[(before, after)] per spatial axis."""
    pads = []
    for n, e, s in zip(sizes, extents(kernel, dilation), strides):
        if padding == "same":
            total = max((-(-n // s) - 1) * s + e - n, 0)
            pads.append((total // 2, total - total // 2))
        elif padding == "causal":
            pads.append((e - 1, 0))
        else:
            pads.append((0, 0))
    return pads


def output_sizes(sizes, kernel, strides, dilation, padding):
    """The spatial output sizes of a convolution of inputs of the given sizes."""
    if padding == "valid":
        return tuple((n - e) // s + 1 for n, e, s in zip(sizes, extents(kernel, dilation), strides))
    return tuple(-(-n // s) for n, s in zip(sizes, strides))


def transpose_output_sizes(sizes, kernel, strides, dilation, padding, output_shape=None, channels_first=False):
    """The spatial output sizes of a transposed convolution of inputs of the given
    sizes: the inverse of output_sizes, or output_shape's spatial entries (checked
    to convolve back to sizes). Without output_shape, sizes may be symbolic."""
    if output_shape is None:
        return tuple(n * s if padding == "same" else (n - 1) * s + e
                     for n, s, e in zip(sizes, strides, extents(kernel, dilation)))
    output_shape = tuple(output_shape)
    if len(output_shape) != len(sizes) + 2:
        raise ValueError(f"a transposed convolution's output_shape must have {len(sizes) + 2} entries "
                         f"(batch and channels included); got {output_shape}.")
    out = tuple(int(d) for d in (output_shape[2:] if channels_first else output_shape[1:-1]))  # batch may be None
    if output_sizes(out, kernel, strides, dilation, padding) != tuple(sizes):
        raise ValueError(f"a transposed convolution's output_shape {output_shape} does not convolve back to "
                         f"the input's spatial size {tuple(sizes)} with strides {tuple(strides)} and "
                         f"padding {padding!r}.")
    return out


def pool_args(pool_size, strides, padding, pool_mode, n):
    """Checked (pool_size, strides, padding) of an n-D pooling; strides None
    means non-overlapping windows."""
    if pool_mode not in POOL_MODES:
        raise ValueError(f"pool_mode must be 'max' or 'avg'; got {pool_mode!r}.")
    pool_size = normalize_tuple(pool_size, n, "pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, n, "strides")
    return pool_size, strides, normalize_padding(padding)
