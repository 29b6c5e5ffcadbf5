"""float64 numpy references for the protocol ops, written from their meaning.

Each function mirrors the protocol signature of the op it checks. Convolutions
and pooling are explicit loops over output positions and kernel offsets (the
shapes in the cases are small), so they share no code with any engine;
contractions go through numpy.einsum.
"""

import builtins
import itertools

import numpy as np
from scipy import special

from kbackend import config

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


# ---------------------------------------------------------------------------
# elementwise and activations
# ---------------------------------------------------------------------------

def sigmoid(x):
    return special.expit(x)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    out = np.where(x >= threshold, x, alpha * (x - threshold))
    if max_value is not None:
        out = np.where(x >= threshold, np.minimum(out, max_value), out)
    return out


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def selu(x):
    return SELU_SCALE * elu(x, SELU_ALPHA)


def gelu(x, approximate=False):
    if approximate:
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + special.erf(x / np.sqrt(2)))


def silu(x):
    return x * special.expit(x)


def softplus(x):
    return np.logaddexp(0.0, x)


def softsign(x):
    return x / (1 + np.abs(x))


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def logsumexp(x, axis=None, keepdims=False):
    return special.logsumexp(x, axis=axis, keepdims=keepdims)


def softmax(x, axis=-1):
    return np.exp(x - special.logsumexp(x, axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    return x - special.logsumexp(x, axis=axis, keepdims=True)


def l2_normalize(x, axis=None):
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), 1e-12))


def floor_divide(x, y):
    return np.floor_divide(x, y)


def mod(x, y):
    return np.mod(x, y)


# ---------------------------------------------------------------------------
# contractions
# ---------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def dot(x, y):
    """numpy.dot semantics spelled as an einsum."""
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    xs = _LETTERS[:x.ndim - 1]
    if y.ndim == 1:
        return np.einsum(f"{xs}z,z->{xs}", x, y)
    ys = _LETTERS[x.ndim - 1:x.ndim - 1 + y.ndim - 2]
    return np.einsum(f"{xs}z,{ys}zy->{xs}{ys}y", x, y)


def matmul(x, y):
    """numpy.matmul semantics: 1-D operands get a temporary axis."""
    x1, y1 = x.ndim == 1, y.ndim == 1
    xe = x[None, :] if x1 else x
    ye = y[:, None] if y1 else y
    out = np.einsum("...ij,...jk->...ik", xe, ye)
    if x1:
        out = out[..., 0, :]
    if y1:
        out = out[..., 0]
    return out


def batch_dot(x, y, axes=None):
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = axes[0] % x.ndim, axes[1] % y.ndim
    xl = ["B"] + [_LETTERS[i] for i in range(x.ndim - 1)]
    yl = ["B"] + [_LETTERS[10 + i] for i in range(y.ndim - 1)]
    xl[ax] = yl[ay] = "Z"
    rest = [c for c in xl[1:] if c != "Z"] + [c for c in yl[1:] if c != "Z"]
    out = np.einsum(f"{''.join(xl)},{''.join(yl)}->B{''.join(rest)}", x, y)
    return out[:, None] if out.ndim == 1 else out


# ---------------------------------------------------------------------------
# shapes, selection
# ---------------------------------------------------------------------------

def batch_flatten(x):
    return x.reshape(x.shape[0], -1)


def repeat(x, n):
    return np.repeat(x[:, None, :], n, axis=1)


def gather(reference, indices):
    return reference[indices]


def slice(x, start, size):
    index = tuple(builtins.slice(s, None if n == -1 else s + n) for s, n in zip(start, size))
    return x[index]


def one_hot(indices, num_classes):
    return (indices[..., None] == np.arange(num_classes)).astype(np.float64)


def top_k(x, k, sorted=True):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, axis=-1), order.astype(np.int32)


def in_top_k(predictions, targets, k):
    kth = -np.sort(-predictions, axis=-1)[:, k - 1]
    return predictions[np.arange(len(targets)), targets] >= kth


def switch(condition, then_expression, else_expression):
    condition = np.asarray(condition)
    rank = builtins.max(np.ndim(then_expression), np.ndim(else_expression))
    condition = condition.reshape(condition.shape + (1,) * (rank - condition.ndim))
    return np.where(condition, then_expression, else_expression)


# ---------------------------------------------------------------------------
# convolution and pooling
# ---------------------------------------------------------------------------

def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def _to_last(x, data_format):
    if (data_format or config.image_data_format()) == "channels_first":
        return np.moveaxis(x, 1, -1)
    return x


def _from_last(x, data_format):
    if (data_format or config.image_data_format()) == "channels_first":
        return np.moveaxis(x, -1, 1)
    return x


def _pads(sizes, kernel, strides, dilation, padding):
    """(before, after) padding per spatial axis."""
    pads = []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        span = (k - 1) * d + 1
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((span - 1, 0))
        else:  # same: out = ceil(n / s), the smaller half first
            out = -(-n // s)
            total = builtins.max((out - 1) * s + span - n, 0)
            pads.append((total // 2, total - total // 2))
    return pads


def conv(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D cross-correlation; kernel (*k, in, out)."""
    nd = kernel.ndim - 2
    strides, dilation = _tuple(strides, nd), _tuple(dilation_rate, nd)
    x = _to_last(x, data_format)
    pads = _pads(x.shape[1:-1], kernel.shape[:nd], strides, dilation, padding)
    x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out_sizes = [(n - (k - 1) * d - 1) // s + 1
                 for n, k, s, d in zip(x.shape[1:-1], kernel.shape[:nd], strides, dilation)]
    out = np.zeros((x.shape[0], *out_sizes, kernel.shape[-1]))
    for pos in itertools.product(*map(range, out_sizes)):
        for off in itertools.product(*map(range, kernel.shape[:nd])):
            at = tuple(p * s + o * d for p, o, s, d in zip(pos, off, strides, dilation))
            out[(builtins.slice(None),) + pos] += x[(builtins.slice(None),) + at] @ kernel[off]
    return _from_last(out, data_format)


conv1d = conv2d = conv3d = conv


def conv2d_transpose(x, kernel, output_shape=None, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """Scatter each input position through the kernel (rows, cols, out, in):
    the adjoint of conv2d from the output size to the input size."""
    strides, dilation = _tuple(strides, 2), _tuple(dilation_rate, 2)
    x = _to_last(x, data_format)
    spans = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:2], dilation)]
    if output_shape is None:
        sizes = [(n - 1) * s + sp if padding == "valid" else n * s
                 for n, s, sp in zip(x.shape[1:3], strides, spans)]
    else:
        last = (data_format or config.image_data_format()) == "channels_last"
        sizes = list(output_shape[1:3] if last else output_shape[2:4])
    if padding == "valid":
        before = [0, 0]
    else:
        before = [builtins.max((n - 1) * s + sp - m, 0) // 2
                  for n, s, sp, m in zip(x.shape[1:3], strides, spans, sizes)]
    full = [(n - 1) * s + sp for n, s, sp in zip(x.shape[1:3], strides, spans)]
    buf = np.zeros((x.shape[0], *(builtins.max(f, b + m) for f, b, m in zip(full, before, sizes)),
                    kernel.shape[2]))
    for pos in itertools.product(*map(range, x.shape[1:3])):
        for off in itertools.product(*map(range, kernel.shape[:2])):
            at = tuple(p * s + o * d for p, o, s, d in zip(pos, off, strides, dilation))
            buf[(builtins.slice(None),) + at] += x[(builtins.slice(None),) + pos] @ kernel[off].T
    out = buf[:, before[0]:before[0] + sizes[0], before[1]:before[1] + sizes[1]]
    return _from_last(out, data_format)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    strides, dilation = _tuple(strides, 2), _tuple(dilation_rate, 2)
    kh, kw, c, m = depthwise_kernel.shape
    x = _to_last(x, data_format)
    pads = _pads(x.shape[1:3], (kh, kw), strides, dilation, padding)
    x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out_sizes = [(n - (k - 1) * d - 1) // s + 1
                 for n, k, s, d in zip(x.shape[1:3], (kh, kw), strides, dilation)]
    out = np.zeros((x.shape[0], *out_sizes, c * m))
    for pos in itertools.product(*map(range, out_sizes)):
        for off in itertools.product(range(kh), range(kw)):
            at = tuple(p * s + o * d for p, o, s, d in zip(pos, off, strides, dilation))
            patch = x[(builtins.slice(None),) + at]  # (batch, c)
            out[(builtins.slice(None),) + pos] += (patch[:, :, None] * depthwise_kernel[off]).reshape(-1, c * m)
    return _from_last(out, data_format)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    mid = _to_last(depthwise_conv2d(x, depthwise_kernel, strides, padding, data_format, dilation_rate),
                   data_format)
    return _from_last(np.einsum("nhwc,co->nhwo", mid, pointwise_kernel[0, 0]), data_format)


def pool(x, pool_size, strides=1, padding="valid", data_format=None, pool_mode="max"):
    """Max or average over each window; "same" windows are cut to the input,
    so the padding never enters a max or an average."""
    x = _to_last(x, data_format)
    nd = x.ndim - 2
    pool_size, strides = _tuple(pool_size, nd), _tuple(strides, nd)
    pads = _pads(x.shape[1:-1], pool_size, strides, (1,) * nd, padding)
    out_sizes = [(n + b + a - k) // s + 1 for n, (b, a), k, s in zip(x.shape[1:-1], pads, pool_size, strides)]
    out = np.zeros((x.shape[0], *out_sizes, x.shape[-1]))
    reduce = np.max if pool_mode == "max" else np.mean
    axes = tuple(range(1, nd + 1))
    for pos in itertools.product(*map(range, out_sizes)):
        window = tuple(builtins.slice(builtins.max(p * s - b, 0), p * s - b + k)
                       for p, s, (b, _), k in zip(pos, strides, pads, pool_size))
        out[(builtins.slice(None),) + pos] = reduce(x[(builtins.slice(None),) + window], axis=axes)
    return _from_last(out, data_format)


pool1d = pool2d = pool3d = pool


def bias_add(x, bias, data_format=None):
    if (data_format or config.image_data_format()) == "channels_first" and x.ndim >= 3:
        return x + bias.reshape((-1,) + (1,) * (x.ndim - 2))
    return x + bias


# ---------------------------------------------------------------------------
# normalization and losses
# ---------------------------------------------------------------------------

def moments(x, axes, keepdims=False):
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    return np.mean(x, axis=axes, keepdims=keepdims), np.var(x, axis=axes, keepdims=keepdims)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def b(p):
        return p.reshape(shape)
    out = (x - b(mean)) / np.sqrt(b(var) + epsilon)
    if gamma is not None:
        out = out * b(gamma)
    if beta is not None:
        out = out + b(beta)
    return out


def binary_crossentropy(target, output, from_logits=False):
    if from_logits:
        return np.maximum(output, 0) - output * target + np.log1p(np.exp(-np.abs(output)))
    eps = config.epsilon()
    p = np.clip(output, eps, 1 - eps)
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    if from_logits:
        return -np.sum(target * log_softmax(output, axis), axis=axis)
    eps = config.epsilon()
    p = np.clip(output / np.sum(output, axis=axis, keepdims=True), eps, 1 - eps)
    return -np.sum(target * np.log(p), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    axis = axis % output.ndim
    target = np.asarray(target)
    if target.ndim == output.ndim:
        target = np.squeeze(target, axis=-1)
    classes = np.arange(output.shape[axis]).reshape((-1,) + (1,) * (output.ndim - axis - 1))
    onehot = (np.expand_dims(target, axis) == classes).astype(output.dtype)
    return categorical_crossentropy(onehot, output, from_logits, axis)


# ---------------------------------------------------------------------------
# ops whose meaning is the numpy function of the same (or a close) name
# ---------------------------------------------------------------------------

add, subtract, multiply, divide, negative = np.add, np.subtract, np.multiply, np.true_divide, np.negative
pow, square, sqrt, abs, sign = np.power, np.square, np.sqrt, np.abs, np.sign
exp, log, log1p, round, floor, ceil = np.exp, np.log, np.log1p, np.round, np.floor, np.ceil
sin, cos, tanh, erf, clip = np.sin, np.cos, np.tanh, special.erf, np.clip
maximum, minimum, equal, not_equal = np.maximum, np.minimum, np.equal, np.not_equal
greater, greater_equal, less, less_equal = np.greater, np.greater_equal, np.less, np.less_equal
logical_and, logical_or, logical_not, where = np.logical_and, np.logical_or, np.logical_not, np.where
sum, prod, mean, var, std, max, min = np.sum, np.prod, np.mean, np.var, np.std, np.max, np.min
any, all, einsum, transpose, reshape, squeeze = np.any, np.all, np.einsum, np.transpose, np.reshape, np.squeeze
tile, repeat_elements, sort, pad = np.tile, np.repeat, np.sort, np.pad
permute_dimensions = np.transpose


def flatten(x):
    return x.reshape(-1)


# the protocol's defaults differ from numpy's for these


def argmax(x, axis=-1):
    return np.argmax(x, axis=axis)


def argmin(x, axis=-1):
    return np.argmin(x, axis=axis)


def cumsum(x, axis=0):
    return np.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    return np.cumprod(x, axis=axis)


def expand_dims(x, axis=-1):
    return np.expand_dims(x, axis)


def concatenate(*tensors, axis=-1):
    return np.concatenate(tensors, axis=axis)


def stack(*tensors, axis=0):
    return np.stack(tensors, axis=axis)


def central_difference(f, x, step=1e-6):
    """The gradient of scalar f at float64 array x by central finite differences."""
    g = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[j] += step
        xm[j] -= step
        g[j] = (f(xp) - f(xm)) / (2 * step)
    return g


# ---------------------------------------------------------------------------
# fused recurrent layers: a plain loop over time, gates written out one by one
# ---------------------------------------------------------------------------

def _recurrent(step, inputs, states, mask, go_backwards, return_sequences):
    """Loop step(x_t, states) -> states over time with K.rnn's mask rule; h is states[0]."""
    steps = inputs.shape[1]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    output = np.zeros_like(states[0])
    outputs = []
    for t in order:
        new = step(inputs[:, t], states)
        if mask is None:
            states, output = new, new[0]
        else:
            m = np.asarray(mask[:, t], bool)[:, None]
            states = [np.where(m, n, s) for n, s in zip(new, states)]
            output = np.where(m, new[0], output)
        outputs.append(output)
    return (output, np.stack(outputs, axis=1) if return_sequences else None) + tuple(states)


def lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, mask=None, go_backwards=False,
         return_sequences=False):
    u = recurrent_kernel.shape[0]
    b = np.zeros(4 * u) if bias is None else bias

    def step(x, states):
        h, c = states
        z = x @ kernel + h @ recurrent_kernel + b
        i, f, g, o = special.expit(z[:, :u]), special.expit(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), \
            special.expit(z[:, 3 * u:])
        c = f * c + i * g
        return [o * np.tanh(c), c]
    return _recurrent(step, inputs, [initial_h, initial_c], mask, go_backwards, return_sequences)


def gru(inputs, initial_h, kernel, recurrent_kernel, bias, mask=None, go_backwards=False, return_sequences=False):
    u = recurrent_kernel.shape[0]
    b = np.zeros((2, 3 * u)) if bias is None else bias

    def step(x, states):
        h = states[0]
        a, r_ = x @ kernel + b[0], h @ recurrent_kernel + b[1]
        z = special.expit(a[:, :u] + r_[:, :u])
        r = special.expit(a[:, u:2 * u] + r_[:, u:2 * u])
        n = np.tanh(a[:, 2 * u:] + r * r_[:, 2 * u:])
        return [z * h + (1 - z) * n]
    return _recurrent(step, inputs, [initial_h], mask, go_backwards, return_sequences)


def adam_update(variable, gradient, m, v, alpha, beta_1, beta_2, epsilon):
    m = m * beta_1 + gradient * (1 - beta_1)
    v = v * beta_2 + gradient ** 2 * (1 - beta_2)
    return variable - alpha * m / (np.sqrt(v) + epsilon), m, v
