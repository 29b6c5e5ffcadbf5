"""The backend protocol: every op an engine implements, written once.

Each function below is the specification of one op: its name, its signature
(engines use the same parameter names and defaults) and its meaning. The bodies
are empty; an engine module provides the implementation. `OPS` maps each name to
its stub and `GROUPS` maps each name to the engine module that holds it
(`core`, `math`, `nn`, `random`, `autodiff`, `control`, `optim`), so all engines are laid
out alike.

Conventions shared by every op:
- A "tensor" is the engine's array type; every op also accepts numpy arrays,
  Python scalars/lists and `kbackend.Variable` objects wherever a tensor is
  expected, and returns the engine's tensor type.
- dtypes are strings ("float32", "int64", ...). Binary ops promote their
  operands with `kbackend.dtypes.result_type`, the same on every engine.
- `axis` may be an int, a tuple of ints, or None (all axes), negative allowed.
- Misuse raises ValueError (bad shapes, bad option strings, unknown dtypes) or
  TypeError (wrong kind of argument), the same on every engine.
- `data_format` None means `kbackend.image_data_format()`; `dtype` None for a
  created float tensor means `kbackend.floatx()`.
"""

import inspect

OPS = {}
GROUPS = {}


def _op(group):
    def register(fn):
        OPS[fn.__name__] = fn
        GROUPS[fn.__name__] = group
        return fn
    return register


core, math, nn, random, autodiff, control, optim = (
    _op(g) for g in ("core", "math", "nn", "random", "autodiff", "control", "optim"))


# ---------------------------------------------------------------------------
# core: tensors, dtypes, variable storage
# ---------------------------------------------------------------------------

@core
def convert_to_tensor(x, dtype=None):
    """Engine tensor from x. Python floats become floatx, Python ints int32,
    bools bool; numpy arrays keep their dtype unless `dtype` is given."""


@core
def convert_to_numpy(x):
    """A numpy ndarray with the same values and dtype (a copy is allowed)."""


@core
def constant(value, dtype=None, shape=None, name=None):
    """Tensor from value with dtype (default floatx), broadcast to `shape` if given."""


@core
def is_tensor(x):
    """True for the engine's tensor type (not numpy arrays on non-numpy engines)."""


@core
def dtype(x):
    """The dtype of x as a string, e.g. "float32"."""


@core
def shape(x):
    """The shape as a tuple; static ints where known, scalar tensors for
    dimensions only known at run time inside compiled code."""


@core
def int_shape(x):
    """The static shape as a tuple of ints (None where unknown)."""


@core
def ndim(x):
    """The number of axes, an int."""


@core
def cast(x, dtype):
    """x converted to dtype."""


@core
def zeros(shape, dtype=None, name=None):
    """A tensor of zeros (dtype default floatx)."""


@core
def ones(shape, dtype=None, name=None):
    """A tensor of ones (dtype default floatx)."""


@core
def eye(size, dtype=None, name=None):
    """Identity matrix; size is n or (rows, cols)."""


@core
def zeros_like(x, dtype=None, name=None):
    """Zeros with the shape of x and its dtype unless given."""


@core
def ones_like(x, dtype=None, name=None):
    """Ones with the shape of x and its dtype unless given."""


@core
def full(shape, fill_value, dtype=None):
    """A tensor filled with fill_value (dtype default floatx)."""


@core
def arange(start, stop=None, step=1, dtype="int32"):
    """Evenly spaced values in [start, stop) like numpy.arange."""


@core
def variable_storage(value):
    """Engine-side storage for a new Variable holding `value` (a tensor)."""


@core
def variable_assign(storage, value):
    """Store value into storage; returns the storage to keep (may be new)."""


@core
def variable_read(storage):
    """The current value held by storage, as a tensor."""


# ---------------------------------------------------------------------------
# math and shape
# ---------------------------------------------------------------------------

@math
def add(x, y):
    """Elementwise x + y with broadcasting."""


@math
def subtract(x, y):
    """Elementwise x - y with broadcasting."""


@math
def multiply(x, y):
    """Elementwise x * y with broadcasting."""


@math
def divide(x, y):
    """Elementwise true division; integer inputs give floatx."""


@math
def floor_divide(x, y):
    """Elementwise floor division (numpy semantics)."""


@math
def mod(x, y):
    """Elementwise remainder with the sign of y (numpy semantics)."""


@math
def negative(x):
    """Elementwise -x."""


@math
def pow(x, a):
    """Elementwise x ** a; a is a scalar or a tensor."""


@math
def square(x):
    """Elementwise x * x."""


@math
def sqrt(x):
    """Elementwise square root; integer inputs give floatx."""


@math
def abs(x):
    """Elementwise absolute value."""


@math
def sign(x):
    """Elementwise -1, 0 or 1."""


@math
def exp(x):
    """Elementwise e ** x."""


@math
def log(x):
    """Elementwise natural logarithm."""


@math
def log1p(x):
    """Elementwise log(1 + x), accurate for small x."""


@math
def round(x):
    """Round half to even, like numpy.round."""


@math
def floor(x):
    """Elementwise floor."""


@math
def ceil(x):
    """Elementwise ceiling."""


@math
def sin(x):
    """Elementwise sine."""


@math
def cos(x):
    """Elementwise cosine."""


@math
def tanh(x):
    """Elementwise hyperbolic tangent."""


@math
def erf(x):
    """Elementwise Gauss error function."""


@math
def clip(x, min_value, max_value):
    """Elementwise clip to [min_value, max_value]; gradient 1 strictly inside,
    0 strictly outside (at the bounds any engine's choice)."""


@math
def maximum(x, y):
    """Elementwise maximum (the gradient at ties is any engine's choice)."""


@math
def minimum(x, y):
    """Elementwise minimum (the gradient at ties is any engine's choice)."""


@math
def equal(x, y):
    """Elementwise x == y, bool."""


@math
def not_equal(x, y):
    """Elementwise x != y, bool."""


@math
def greater(x, y):
    """Elementwise x > y, bool."""


@math
def greater_equal(x, y):
    """Elementwise x >= y, bool."""


@math
def less(x, y):
    """Elementwise x < y, bool."""


@math
def less_equal(x, y):
    """Elementwise x <= y, bool."""


@math
def logical_and(x, y):
    """Elementwise logical and, bool."""


@math
def logical_or(x, y):
    """Elementwise logical or, bool."""


@math
def logical_not(x):
    """Elementwise logical not, bool."""


@math
def where(condition, x=None, y=None):
    """Elementwise select x where condition else y (broadcasting). With x and
    y both None: the indices of true elements as a tuple of int64 tensors
    (not differentiable, not usable inside compiled code)."""


@math
def switch(condition, then_expression, else_expression):
    """Keras 2 switch: condition is a scalar (or a tensor broadcast against the
    expressions after appending trailing axes); expressions may be callables,
    called without arguments."""


@math
def sum(x, axis=None, keepdims=False):
    """Sum over axis."""


@math
def prod(x, axis=None, keepdims=False):
    """Product over axis."""


@math
def mean(x, axis=None, keepdims=False):
    """Mean over axis; integer inputs give floatx."""


@math
def var(x, axis=None, keepdims=False):
    """Population variance (ddof=0) over axis."""


@math
def std(x, axis=None, keepdims=False):
    """Population standard deviation (ddof=0) over axis."""


@math
def max(x, axis=None, keepdims=False):
    """Maximum over axis (gradient split evenly among ties)."""


@math
def min(x, axis=None, keepdims=False):
    """Minimum over axis (gradient split evenly among ties)."""


@math
def argmax(x, axis=-1):
    """Index of the maximum along axis, int64 (first one among ties)."""


@math
def argmin(x, axis=-1):
    """Index of the minimum along axis, int64 (first one among ties)."""


@math
def any(x, axis=None, keepdims=False):
    """Logical or over axis, bool."""


@math
def all(x, axis=None, keepdims=False):
    """Logical and over axis, bool."""


@math
def cumsum(x, axis=0):
    """Cumulative sum along axis."""


@math
def cumprod(x, axis=0):
    """Cumulative product along axis."""


@math
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over axis, computed without overflow."""


@math
def l2_normalize(x, axis=None):
    """x / sqrt(max(sum(x**2, axis), 1e-12)); axis None means all axes."""


@math
def dot(x, y):
    """Keras dot: contracts the last axis of x with the second-to-last axis of
    y (the last one if y is 1-D); result shape x.shape[:-1] + y.shape[:-2] +
    y.shape[-1:] (numpy.dot semantics)."""


@math
def matmul(x, y):
    """numpy.matmul semantics (batched over leading axes, broadcasting)."""


@math
def batch_dot(x, y, axes=None):
    """Keras 2 batch_dot: per-sample dot over `axes` (int or pair); axis 0 is
    the batch. Default axes: (x.ndim-1, y.ndim-2), with (x.ndim-1, y.ndim-1)
    when y is 2-D. 2-D results are expanded to (batch, 1)."""


@math
def einsum(subscripts, *operands):
    """numpy.einsum with explicit subscripts."""


@math
def transpose(x, axes=None):
    """Permute axes (reverse when None)."""


@math
def permute_dimensions(x, pattern):
    """Permute axes by pattern, a tuple of axis indices."""


@math
def reshape(x, shape):
    """Reshape; one dimension may be -1."""


@math
def flatten(x):
    """Reshape to 1-D."""


@math
def batch_flatten(x):
    """Reshape to (x.shape[0], -1)."""


@math
def expand_dims(x, axis=-1):
    """Insert an axis of length 1."""


@math
def squeeze(x, axis=None):
    """Remove axes of length 1 (the given one, or all)."""


@math
def concatenate(tensors, axis=-1):
    """Join a list of tensors along an existing axis."""


@math
def stack(x, axis=0):
    """Join a list of tensors along a new axis."""


@math
def tile(x, n):
    """Repeat the whole tensor n[i] times along axis i (n an int or a sequence)."""


@math
def repeat(x, n):
    """Keras 2 repeat: (batch, dim) -> (batch, n, dim)."""


@math
def repeat_elements(x, rep, axis):
    """Repeat each element rep times along axis (numpy.repeat)."""


@math
def gather(reference, indices):
    """reference[indices] along axis 0; indices an integer tensor of any shape."""


@math
def slice(x, start, size):
    """x[start[i]:start[i]+size[i]] along every axis; size -1 means to the end."""


@math
def one_hot(indices, num_classes):
    """One-hot encoding on a new last axis, dtype floatx."""


@math
def top_k(x, k, sorted=True):
    """(values, indices) of the k largest entries along the last axis; indices int32."""


@math
def in_top_k(predictions, targets, k):
    """Bool (batch,): is targets[i] among the k largest of predictions[i]?
    Ties with the k-th value count as in."""


@math
def sort(x, axis=-1):
    """Sorted ascending along axis."""


@math
def pad(x, pad_width, mode="constant", constant_values=0):
    """numpy.pad semantics for mode "constant", "reflect" and "symmetric"."""


# ---------------------------------------------------------------------------
# nn
# ---------------------------------------------------------------------------

@nn
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2 relu: x if x >= threshold (capped at max_value), else
    alpha * (x - threshold)."""


@nn
def elu(x, alpha=1.0):
    """x if x > 0 else alpha * (exp(x) - 1)."""


@nn
def selu(x):
    """scale * elu(x, alpha) with alpha=1.6732632423543772,
    scale=1.0507009873554805."""


@nn
def gelu(x, approximate=False):
    """x * Phi(x) (erf form), or the tanh approximation when approximate."""


@nn
def silu(x):
    """x * sigmoid(x)."""


@nn
def softplus(x):
    """log(1 + exp(x)), computed without overflow."""


@nn
def softsign(x):
    """x / (1 + |x|)."""


@nn
def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow."""


@nn
def hard_sigmoid(x):
    """Keras 2 hard sigmoid: clip(0.2 * x + 0.5, 0, 1)."""


@nn
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along axis, computed stably."""


@nn
def log_softmax(x, axis=-1):
    """x - logsumexp(x) along axis."""


@nn
def dropout(x, level, noise_shape=None, seed=None):
    """Zero each entry with probability level and scale the rest by
    1 / (1 - level); noise_shape broadcasts the mask. seed: int,
    kbackend.SeedGenerator or None."""


@nn
def bias_add(x, bias, data_format=None):
    """Add a bias over the channel axis (last, or 1 for channels_first when x
    has rank >= 3)."""


@nn
def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D convolution (cross-correlation). x (batch, steps, channels) for
    channels_last, (batch, channels, steps) otherwise; kernel (width, in, out).
    padding "valid", "same" or "causal" (left padding only)."""


@nn
def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1)):
    """2-D convolution; kernel (rows, cols, in, out). "same" pads so that
    out = ceil(in / stride), with the extra padding at the end (as TensorFlow).
    strides > 1 together with dilation_rate > 1 raises ValueError (as Keras)."""


@nn
def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):
    """3-D convolution; kernel (d1, d2, d3, in, out)."""


@nn
def conv2d_transpose(x, kernel, output_shape=None, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """The gradient of conv2d with respect to its input. kernel (rows, cols,
    out, in). output_shape: the full output shape (batch included), or None
    for the default size ((in - 1) * stride + dilated kernel for "valid",
    in * stride for "same")."""


@nn
def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """Each input channel convolved with its own filters; kernel (rows, cols,
    in, multiplier); output channels in * multiplier, ordered channel-major
    (channel c, multiplier m) -> c * multiplier + m."""


@nn
def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1),
                     padding="valid", data_format=None, dilation_rate=(1, 1)):
    """depthwise_conv2d followed by a 1x1 conv2d with pointwise_kernel
    (1, 1, in * multiplier, out)."""


@nn
def pool1d(x, pool_size, strides=1, padding="valid", data_format=None, pool_mode="max"):
    """1-D max or average pooling ("max" / "avg"); "same" averages exclude
    the padding."""


@nn
def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    """2-D max or average pooling; "same" averages exclude the padding."""


@nn
def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    """3-D max or average pooling; "same" averages exclude the padding."""


@nn
def moments(x, axes, keepdims=False):
    """(mean, variance) over axes, variance with ddof=0."""


@nn
def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta, the parameters
    broadcast along `axis`; beta or gamma may be None."""


@nn
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise -(t log p + (1 - t) log(1 - p)). Probabilities are clipped
    to [epsilon, 1 - epsilon]; with from_logits, the stable logit form."""


@nn
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-sum(t * log p) along axis. Probabilities are rescaled to sum to 1 and
    clipped to [epsilon, 1 - epsilon]; with from_logits, log_softmax is used."""


@nn
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """categorical_crossentropy with integer class targets (shape of output
    without `axis`, or with a trailing axis of 1)."""


@nn
def lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, mask=None, go_backwards=False,
         return_sequences=False):
    """A whole LSTM layer in one op (Keras's LSTM with activation tanh and
    recurrent_activation sigmoid). inputs (batch, time, features); initial_h,
    initial_c (batch, units); kernel (features, 4 units), recurrent_kernel
    (units, 4 units), bias (4 units,) or None, columns in the gate order i, f, c, o:
        z = x_t kernel + h recurrent_kernel + bias;  i, f, o = sigmoid(z_i, z_f, z_o)
        c' = f c + i tanh(z_c);  h' = o tanh(c')
    mask (batch, time) bool keeps h and c over masked steps; the output at a
    step is h, or zeros until the first unmasked step (K.rnn's rule).
    go_backwards runs from the last step to the first (outputs in that order).
    Returns (last_output, outputs, final_h, final_c); outputs (batch, time,
    units) when return_sequences, else None. An engine with no fused kernel for
    a case raises NotImplementedError (callers then loop with K.rnn)."""


@nn
def gru(inputs, initial_h, kernel, recurrent_kernel, bias, mask=None, go_backwards=False,
        return_sequences=False):
    """A whole GRU layer in one op (Keras's GRU with reset_after=True,
    activation tanh, recurrent_activation sigmoid). kernel (features, 3 units),
    recurrent_kernel (units, 3 units), bias (2, 3 units) (row 0 on the input
    side, row 1 on the recurrent side) or None; gate order z, r, h:
        a = x_t kernel + bias[0];  b = h recurrent_kernel + bias[1]
        z, r = sigmoid(a_z + b_z, a_r + b_r);  n = tanh(a_h + r b_h)
        h' = z h + (1 - z) n
    mask, go_backwards and return_sequences as for `lstm`. Returns
    (last_output, outputs, final_h); NotImplementedError as for `lstm`."""


# ---------------------------------------------------------------------------
# random
# ---------------------------------------------------------------------------

@random
def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform in [minval, maxval). seed: int (the same int gives the same
    values), kbackend.SeedGenerator (advanced on each call; usable inside
    compiled code), or None (a global generator)."""


@random
def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal with the given mean and standard deviation."""


@random
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal restricted to within two standard deviations of the mean."""


@random
def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """1 with probability p, else 0, in dtype (default floatx)."""


# ---------------------------------------------------------------------------
# autodiff and compilation
# ---------------------------------------------------------------------------

@autodiff
def gradients(loss_fn, variables):
    """Gradients of the scalar loss_fn() with respect to each Variable in
    `variables` (a list); returns a list in the same order, zeros for a
    variable the loss does not depend on."""


@autodiff
def value_and_grad(fn, has_aux=False):
    """A function f(params, *args) -> (value, grads): fn's value and its
    gradient with respect to params (a tensor or a nested list/tuple/dict of
    tensors; grads has the same structure). With has_aux, fn returns
    (value, aux) and f returns ((value, aux), grads). Pure: fn must not
    assign Variables."""


@autodiff
def stop_gradient(x):
    """x, treated as a constant by gradients."""


@autodiff
def eval_shape(fn, *args):
    """fn(*args) where only the outputs' shapes and dtypes matter (a model's
    first call that builds it): jax traces abstractly, without compiling each
    op; the other engines just run fn. Outputs have .shape and .dtype."""


@autodiff
def jit(fn, donate_argnums=()):
    """fn compiled where the engine can (jax.jit, tf.function); numpy: fn recorded on
    its first call and, once a replay is checked to match, replayed (its kernels without
    the Python around them), so fn must be pure as for jax.jit. The positional
    arguments at donate_argnums may give their buffers to the outputs (jax updates
    them in place); the caller must not use them after the call. Engines without
    donation ignore it. Numeric numpy arrays may be
    passed where fn takes tensors: the compiled function converts them as
    convert_to_tensor would (jax in its C++ call path, cheaper than a
    device_put per array)."""


# ---------------------------------------------------------------------------
# control flow
# ---------------------------------------------------------------------------

@control
def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None, time_major=False,
        zero_output_for_mask=False, return_all_outputs=True):
    """The Keras loop over time. inputs (batch, time, ...) (time first when
    time_major); step_function(input_t, states [+ constants]) ->
    (output_t, new_states). mask (batch, time) bool ((time, batch) when
    time_major): at masked steps the states are kept and the output repeats
    the previous one (zeros in `outputs` when zero_output_for_mask;
    last_output is always the output of the last unmasked step, so a padded
    sequence ends as the unpadded one). Returns (last_output, outputs, new_states);
    outputs is (batch, time, ...) (only the last step when not
    return_all_outputs). Compiled engines loop with their own primitive."""


@control
def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """jax.lax.scan semantics: f(carry, x) -> (carry, y); returns
    (final carry, stacked ys). carry, x and y may be nested lists/tuples/dicts."""


@control
def foreach(f, xs):
    """Stacked [f(x) for x in xs] along the leading axis (xs may be nested)."""


@control
def cond(pred, true_fn, false_fn):
    """true_fn() if pred else false_fn(); pred a scalar bool tensor or bool."""


@control
def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run body(*loop_vars) while cond(*loop_vars); loop_vars a tuple/list;
    returns the final loop_vars as a tuple."""


@control
def fori_loop(lower, upper, body_fun, init_val):
    """val = body_fun(i, val) for i in range(lower, upper); returns val."""


# ---------------------------------------------------------------------------
# optimizer kernels
# ---------------------------------------------------------------------------

@optim
def adam_update(variable, gradient, m, v, alpha, beta_1, beta_2, epsilon, in_place=False):
    """One Adam step on values; returns (variable', m', v'):
    m' = m + (gradient - m)(1 - beta_1), v' = v + (gradient^2 - v)(1 - beta_2),
    variable' = variable - alpha m' / (sqrt(v') + epsilon), alpha a scalar holding
    the learning rate and both bias corrections. One op so that engines that run
    elementwise passes one by one (numpy, eager torch) can fuse them.
    The inputs are left unchanged, unless `in_place` (the caller never reads the
    old variable, m and v again): then an engine may write the results into
    their buffers where a running K.jit call donated them (numpy does)."""


def export(namespace):
    """Bind each op an engine package's group modules define (namespace is
    the package's globals(), holding those modules) at the package level."""
    for name, group in GROUPS.items():
        fn = getattr(namespace[group], name, None)
        if fn is not None:
            namespace[name] = fn


def signature(name):
    """The protocol signature of op `name`."""
    return inspect.signature(OPS[name])


def names(group=None):
    """Protocol op names, optionally of one group, in definition order."""
    return [n for n, g in GROUPS.items() if group is None or g == group]
