"""Fused LSTM layer of the TensorFlow engine: XLA-compiled loops with a hand-written gradient.

Every step's input projection is one matmul before the loop (time-major, gate
columns reordered i, f, o | c so the sigmoid gates sit side by side). The loop
over time runs as one XLA-compiled function, and so does the backward loop,
which carries only dh and dc and emits the gate gradients; the recurrent
kernel's gradient is then one contraction over all steps. (TF's BlockLSTMV2
kernel dispatches each step's small matmul to the thread pool and got slower,
not faster, with a second core; TF cannot differentiate through an XLA loop,
hence the explicit gradient.) Masks and GRU raise NotImplementedError
(callers loop through K.rnn).
"""

from tensorflow.python.eager import record  # whether a gradient tape is watching (no public API)

from .core import convert_to_tensor, tf

_KERNEL_DTYPES = ("float32", "float64")


def _xla(fn):
    return tf.function(fn, jit_compile=True, autograph=False)


@_xla
def _forward(proj, h0, c0, rk):
    """hs, cs, gate activations (i, f, o, g) and tanh(c) at every step."""
    u = rk.shape[0]

    def step(carry, z_x):
        h, c = carry[0], carry[1]
        z = z_x + tf.matmul(h, rk)
        sig = tf.sigmoid(z[:, :3 * u])
        g = tf.tanh(z[:, 3 * u:])
        c = sig[:, u:2 * u] * c + sig[:, :u] * g
        tc = tf.tanh(c)
        return sig[:, 2 * u:] * tc, c, tf.concat([sig, g], -1), tc
    start = (h0, c0, tf.zeros(tf.shape(proj)[1:], proj.dtype), tf.zeros_like(c0))
    return tf.scan(step, proj, initializer=start)


@_xla
def _backward(dhs, dcs, acts, tcs, c_prev, rk):
    """(d proj, dh0, dc0): the reverse loop over time."""
    u = rk.shape[0]
    rk_t = tf.transpose(rk)

    def step(carry, xs):
        dh, dc = carry[0], carry[1]
        gh, gc, a, tc, cp = xs
        dh, dc = dh + gh, dc + gc
        sig, g = a[:, :3 * u], a[:, 3 * u:]
        i, f, o = sig[:, :u], sig[:, u:2 * u], sig[:, 2 * u:]
        do = dh * tc
        dc = dc + dh * o * (1 - tc * tc)
        dsig = tf.concat([dc * g, dc * cp, do], -1) * sig * (1 - sig)
        dz = tf.concat([dsig, dc * i * (1 - g * g)], -1)
        return tf.matmul(dz, rk_t), dc * f, dz
    start = (tf.zeros_like(dhs[0]), tf.zeros_like(dcs[0]), tf.zeros(tf.shape(acts)[1:], acts.dtype))
    dh, dc, dz = tf.scan(step, (dhs, dcs, acts, tcs, c_prev), initializer=start, reverse=True)
    return dz, dh[0], dc[0]


@_xla
def _inference(proj, h0, c0, rk, sequences):
    """(hs or the last h, last c): the forward loop keeping only what the outputs need."""
    u = rk.shape[0]
    steps = proj.shape[0]
    hs = tf.TensorArray(proj.dtype, size=steps if sequences else 0, element_shape=h0.shape)

    def step(t, h, c, hs):
        z = proj[t] + tf.matmul(h, rk)
        sig = tf.sigmoid(z[:, :3 * u])
        c = sig[:, u:2 * u] * c + sig[:, :u] * tf.tanh(z[:, 3 * u:])
        h = sig[:, 2 * u:] * tf.tanh(c)
        return t + 1, h, c, hs.write(t, h) if sequences else hs
    _, h, c, hs = tf.while_loop(lambda t, *_: t < steps, step, (0, h0, c0, hs))
    return (hs.stack() if sequences else h), c


def _constants(*tensors):
    # a tape watching the XLA functions' inputs would ask TF for their gradient,
    # which cannot cross the XLA boundary: the gradient is given below instead
    return [tf.stop_gradient(t) for t in tensors]


def _compiled(fn):
    # eager calls (a model building on a probe batch, run_eagerly) run the loop op by
    # op: compiling it for one more shape would cost more than the call
    return fn.python_function if tf.executing_eagerly() else fn


def _lstm_full(proj, h0, c0, rk):
    """((hs, cs), their gradient function): the training forward pass."""
    hs, cs, acts, tcs = _compiled(_forward)(*_constants(proj, h0, c0, rk))

    def grad(dhs, dcs):
        dhs = tf.zeros_like(hs) if dhs is None else dhs
        dcs = tf.zeros_like(cs) if dcs is None else dcs
        c_prev = tf.concat([c0[None], cs[:-1]], 0)
        h_prev = tf.concat([h0[None], hs[:-1]], 0)
        dz, dh0, dc0 = _compiled(_backward)(*_constants(dhs, dcs, acts, tcs, c_prev, rk))
        return dz, dh0, dc0, tf.einsum("tbu,tbg->ug", h_prev, dz)
    return (hs, cs), grad


_lstm_core = tf.custom_gradient(_lstm_full)


def _lstm_inference(proj, h0, c0, rk, sequences):
    """_lstm_core's (hs, cs) for callers that need only hs[-1] or hs, and cs[-1]: when no tape is
    recording (predict, evaluate), the loop stores no per-step activations (half the time). Should a
    gradient be asked for after all (a tape outside a traced function), it recomputes the full
    forward pass."""
    @tf.custom_gradient
    def run(proj, h0, c0, rk):
        out, c_last = _compiled(_inference)(*_constants(proj, h0, c0, rk), sequences)

        def grad(d_out, d_c_last):
            (hs, cs), full_grad = _lstm_full(proj, h0, c0, rk)
            last = tf.one_hot(proj.shape[0] - 1, proj.shape[0], dtype=proj.dtype)[:, None, None]
            d_out = tf.zeros_like(out) if d_out is None else d_out
            dhs = d_out if sequences else last * d_out
            dcs = tf.zeros_like(cs) if d_c_last is None else last * d_c_last
            return full_grad(dhs, dcs)
        return (out, c_last), grad
    return run(proj, h0, c0, rk)


def _ifoc(t, u):
    """Keras's i, f, c, o column blocks as i, f, o, c."""
    return tf.concat([t[..., :2 * u], t[..., 3 * u:], t[..., 2 * u:3 * u]], -1)


def lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, mask=None, go_backwards=False,
         return_sequences=False):
    if mask is not None:
        raise NotImplementedError("lstm: the TensorFlow engine's fused kernel has no masks.")
    x = convert_to_tensor(inputs)
    if x.dtype.name not in _KERNEL_DTYPES:
        raise NotImplementedError(f"lstm: no fused {x.dtype.name} kernel on the TensorFlow engine.")
    if x.shape.rank != 3 or not x.shape[1]:
        raise NotImplementedError(f"lstm: the fused kernel takes (batch, time > 0, features) inputs; got {x.shape}.")
    dt = x.dtype
    k, rk = (tf.cast(convert_to_tensor(a), dt) for a in (kernel, recurrent_kernel))
    u = rk.shape[0]
    if k.shape.as_list() != [x.shape[2], 4 * u] or rk.shape.as_list() != [u, 4 * u]:
        raise ValueError(f"lstm: kernel must be (features, 4 * units) and recurrent_kernel (units, 4 * units); got "
                         f"{k.shape} and {rk.shape} for inputs {x.shape}.")
    h0, c0 = (tf.cast(convert_to_tensor(s), dt) for s in (initial_h, initial_c))
    xt = tf.transpose(x, (1, 0, 2))
    if go_backwards:
        xt = tf.reverse(xt, (0,))
    proj = tf.einsum("tbf,fg->tbg", xt, _ifoc(k, u))
    if bias is not None:
        proj = proj + _ifoc(tf.cast(convert_to_tensor(bias), dt), u)
    if record.could_possibly_record():  # a tape may ask for the gradient: keep what the backward needs
        hs, cs = _lstm_core(proj, h0, c0, _ifoc(rk, u))
        h_last, c_last = hs[-1], cs[-1]
    else:
        hs, c_last = _lstm_inference(proj, h0, c0, _ifoc(rk, u), return_sequences)
        h_last = hs[-1] if return_sequences else hs
    outputs = tf.transpose(hs, (1, 0, 2)) if return_sequences else None
    return h_last, outputs, h_last, c_last


def gru(inputs, initial_h, kernel, recurrent_kernel, bias, mask=None, go_backwards=False, return_sequences=False):
    raise NotImplementedError("gru: no fused kernel on the TensorFlow engine (its GRUBlockCell resets before the "
                              "recurrent matmul, Keras's reset_after GRU after).")
