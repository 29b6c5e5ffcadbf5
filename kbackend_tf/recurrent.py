"""Fused LSTM layer of the TensorFlow engine: TF's BlockLSTMV2 kernel.

BlockLSTMV2 runs a whole time-major sequence in C++; its weights are
[kernel; recurrent_kernel] stacked (features + units, 4 units) with the gate
columns in Keras's order i, f, c, o, no peepholes and no cell clipping. TF
registers BlockLSTMV2's gradient with the first version's backward kernel,
whose gate columns are ordered i, c, f, o, so the weight gradients would come
out permuted: the gradient here calls BlockLSTMGradV2 itself. Only float32
runs here (the op has no float64 kernel); masks, other dtypes and GRU raise
NotImplementedError (callers loop).
"""

from .core import convert_to_tensor, tf

_KERNEL_DTYPES = ("float32",)


def _block_lstm(x, cs_prev, h_prev, w, b, steps):
    """(h, cs), both (time, batch, units), from time-major x, with the correct gradient."""
    zeros = tf.zeros(tf.shape(b)[:1] // 4, b.dtype)

    @tf.custom_gradient
    def run(x, cs_prev, h_prev, w, b):
        outs = tf.raw_ops.BlockLSTMV2(seq_len_max=steps, x=x, cs_prev=cs_prev, h_prev=h_prev, w=w, wci=zeros,
                                      wcf=zeros, wco=zeros, b=b, cell_clip=0.0, use_peephole=False)
        i, cs, f, o, ci, co, h = outs

        def grad(dh, dcs):
            grads = tf.raw_ops.BlockLSTMGradV2(
                seq_len_max=steps, x=x, cs_prev=cs_prev, h_prev=h_prev, w=w, wci=zeros, wcf=zeros, wco=zeros, b=b,
                i=i, cs=cs, f=f, o=o, ci=ci, co=co, h=h, cs_grad=dcs, h_grad=dh, use_peephole=False)
            x_grad, cs_prev_grad, h_prev_grad, w_grad, _, _, _, b_grad = grads
            return x_grad, cs_prev_grad, h_prev_grad, w_grad, b_grad
        return (h, cs), grad
    return run(x, cs_prev, h_prev, w, b)


def lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, mask=None, go_backwards=False,
         return_sequences=False):
    if mask is not None:
        raise NotImplementedError("lstm: TensorFlow's BlockLSTMV2 has no masks.")
    x = convert_to_tensor(inputs)
    if x.dtype.name not in _KERNEL_DTYPES:
        raise NotImplementedError(f"lstm: TensorFlow's BlockLSTMV2 has no {x.dtype.name} kernel.")
    if x.shape.rank != 3 or x.shape[1] == 0:
        raise NotImplementedError(f"lstm: the fused kernel takes (batch, time > 0, features) inputs; got {x.shape}.")
    dt = x.dtype
    k, rk = (tf.cast(convert_to_tensor(a), dt) for a in (kernel, recurrent_kernel))
    units = rk.shape[0]
    if k.shape.as_list() != [x.shape[2], 4 * units] or rk.shape.as_list() != [units, 4 * units]:
        raise ValueError(f"lstm: kernel must be (features, 4 * units) and recurrent_kernel (units, 4 * units); got "
                         f"{k.shape} and {rk.shape} for inputs {x.shape}.")
    b = tf.zeros((4 * units,), dt) if bias is None else tf.cast(convert_to_tensor(bias), dt)
    h0, c0 = (tf.cast(convert_to_tensor(s), dt) for s in (initial_h, initial_c))
    xt = tf.transpose(x, (1, 0, 2))
    if go_backwards:
        xt = tf.reverse(xt, (0,))
    steps = tf.cast(tf.shape(xt)[0], tf.int64)
    h, cs = _block_lstm(xt, c0, h0, tf.concat([k, rk], 0), b, steps)
    outputs = tf.transpose(h, (1, 0, 2)) if return_sequences else None
    return h[-1], outputs, h[-1], cs[-1]


def gru(inputs, initial_h, kernel, recurrent_kernel, bias, mask=None, go_backwards=False, return_sequences=False):
    raise NotImplementedError("gru: no fused kernel on the TensorFlow engine (its GRUBlockCell resets before the "
                              "recurrent matmul, Keras's reset_after GRU after).")
