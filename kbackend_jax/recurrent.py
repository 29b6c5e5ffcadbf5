"""Fused LSTM and GRU layers of the JAX engine: one lax.scan over a tight step.

Every step's input projection is one matmul before the scan (time-major); the
scanned step is one matmul and the gate arithmetic, with the carry holding
only the states (and, under a mask, the last output). XLA differentiates the
scan. The scan is unrolled a few steps, which lets XLA fuse across steps on CPU.
"""

import jax
import jax.numpy as jnp
from jax import lax

from .core import convert_to_tensor

UNROLL = 4


def _prepare(name, inputs, states, kernel, recurrent_kernel, bias, gates, bias_shape, mask, go_backwards):
    x = convert_to_tensor(inputs)
    if x.ndim != 3 or x.shape[1] == 0:
        raise NotImplementedError(f"{name}: the fused kernel takes (batch, time > 0, features) inputs; "
                                  f"got shape {x.shape}.")
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)
    dt = x.dtype
    k, rk = convert_to_tensor(kernel).astype(dt), convert_to_tensor(recurrent_kernel).astype(dt)
    units = rk.shape[0]
    if k.shape != (x.shape[2], gates * units) or rk.shape != (units, gates * units):
        raise ValueError(f"{name}: kernel must be (features, {gates} * units) and recurrent_kernel (units, "
                         f"{gates} * units); got {k.shape} and {rk.shape} for inputs {x.shape}.")
    b = None if bias is None else convert_to_tensor(bias).astype(dt)
    if b is not None and b.shape != bias_shape(units):
        raise ValueError(f"{name}: bias must have shape {bias_shape(units)}; got {b.shape}.")
    states = [convert_to_tensor(s).astype(dt) for s in states]
    xt = jnp.swapaxes(x, 0, 1)
    m = None
    if mask is not None:
        m = jnp.swapaxes(convert_to_tensor(mask).astype(bool), 0, 1)[:, :, None]
    if go_backwards:
        xt = xt[::-1]
        m = None if m is None else m[::-1]
    return xt, states, k, rk, b, m, units


def _run(step, proj, states, m, return_sequences):
    """Scan step(z_x, states) -> states over time; (last, outputs or None, final states) with K.rnn's mask rule."""
    if m is None:
        def body(carry, z_x):
            new = step(z_x, carry)
            return new, new[0]
        final, hs = lax.scan(body, tuple(states), proj, unroll=UNROLL)
        last = final[0]
    else:
        def body(carry, xs):
            z_x, keep = xs
            states, out = carry
            new = step(z_x, states)
            new = tuple(jnp.where(keep, n, s) for n, s in zip(new, states))
            out = jnp.where(keep, new[0], out)
            return (new, out), out
        (final, last), hs = lax.scan(body, (tuple(states), jnp.zeros_like(states[0])), (proj, m), unroll=UNROLL)
    outputs = jnp.swapaxes(hs, 0, 1) if return_sequences else None
    return (last, outputs) + tuple(final)


def _ifoc(t, u):
    """Keras's i, f, c, o column blocks as i, f, o, c (the sigmoid gates side by side)."""
    return jnp.concatenate([t[..., :2 * u], t[..., 3 * u:], t[..., 2 * u:3 * u]], axis=-1)


def lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, mask=None, go_backwards=False,
         return_sequences=False):
    xt, states, k, rk, b, m, u = _prepare("lstm", inputs, [initial_h, initial_c], kernel, recurrent_kernel, bias, 4,
                                          lambda u: (4 * u,), mask, go_backwards)
    proj = xt @ _ifoc(k, u) if b is None else xt @ _ifoc(k, u) + _ifoc(b, u)
    if m is None and not return_sequences:
        h, c = _lstm_last(proj, states[0], states[1], _ifoc(rk, u))
        return h, None, h, c
    hs, cs = _lstm_core(proj, states[0], states[1], _ifoc(rk, u), m)
    if m is None:
        last, outputs = hs[-1], hs
    else:  # zeros until the first unmasked step (K.rnn's rule)
        outputs = jnp.where(jnp.cumsum(m, axis=0) > 0, hs, 0)
        last = outputs[-1]
    outputs = jnp.swapaxes(outputs, 0, 1) if return_sequences else None
    return last, outputs, hs[-1], cs[-1]


def gru(inputs, initial_h, kernel, recurrent_kernel, bias, mask=None, go_backwards=False, return_sequences=False):
    xt, states, k, rk, b, m, u = _prepare("gru", inputs, [initial_h], kernel, recurrent_kernel, bias, 3,
                                          lambda u: (2, 3 * u), mask, go_backwards)
    proj = xt @ k if b is None else xt @ k + b[0]

    def step(a, states):
        h = states[0]
        rec = h @ rk if b is None else h @ rk + b[1]
        zr = jax.nn.sigmoid(a[..., :2 * u] + rec[..., :2 * u])
        z, r = zr[..., :u], zr[..., u:]
        n = jnp.tanh(a[..., 2 * u:] + r * rec[..., 2 * u:])
        return (n + z * (h - n),)
    return _run(step, proj, states, m, return_sequences)


# ---------------------------------------------------------------------------
# the LSTM's time loop with a hand-written backward
# ---------------------------------------------------------------------------

@jax.custom_vjp
def _lstm_core(proj, h0, c0, rk, m):
    """(h, c) at every step, each (time, batch, units), from the projected inputs proj (time, batch, 4 units,
    gate columns i, f, o, c); m (time, batch, 1) bool or None keeps the states where False."""
    return _lstm_fwd(proj, h0, c0, rk, m)[0]


def _lstm_step(carry, xs, rk):
    """((h, c) after one step, (gate activations i, f, o, g; tanh(c)) for the backward pass)."""
    h, c = carry
    z_x, keep = xs
    u = h.shape[-1]
    z = z_x + h @ rk
    sig = jax.nn.sigmoid(z[:, :3 * u])  # internal order i, f, o | g
    g = jnp.tanh(z[:, 3 * u:])
    i, f, o = sig[:, :u], sig[:, u:2 * u], sig[:, 2 * u:]
    c_new = f * c + i * g
    tc = jnp.tanh(c_new)
    h_new = o * tc
    if keep is not None:
        h_new, c_new = jnp.where(keep, h_new, h), jnp.where(keep, c_new, c)
    return (h_new, c_new), (jnp.concatenate([sig, g], -1), tc)


def _lstm_fwd(proj, h0, c0, rk, m):
    def body(carry, xs):
        new, saved = _lstm_step(carry, xs, rk)
        return new, new + saved
    _, (hs, cs, acts, tcs) = lax.scan(body, (h0, c0), (proj, m))
    return (hs, cs), (h0, c0, rk, m, hs, cs, acts, tcs)


def _lstm_bwd(res, grads):
    """Backpropagation through time as a reverse scan that only carries dh, dc and emits the gate gradients;
    the recurrent kernel's gradient is then one contraction over all steps (XLA's own transpose of the scan
    would accumulate it step by step)."""
    h0, c0, rk, m, hs, cs, acts, tcs = res
    gh, gc = grads
    u = h0.shape[-1]
    h_prev = jnp.concatenate([h0[None], hs[:-1]], 0)
    c_prev = jnp.concatenate([c0[None], cs[:-1]], 0)

    def body(carry, xs):
        dh, dc = carry
        gh_t, gc_t, a, tc, cp, keep = xs
        dh = dh + gh_t
        dc = dc + gc_t
        if keep is not None:
            dh_keep, dc_keep = jnp.where(keep, 0, dh), jnp.where(keep, 0, dc)
            dh, dc = jnp.where(keep, dh, 0), jnp.where(keep, dc, 0)
        i, f, o, g = a[:, :u], a[:, u:2 * u], a[:, 2 * u:3 * u], a[:, 3 * u:]
        do = dh * tc
        dc = dc + dh * o * (1 - tc * tc)
        di, df, dg = dc * g, dc * cp, dc * i
        sig = a[:, :3 * u]
        dz = jnp.concatenate([jnp.concatenate([di, df, do], -1) * sig * (1 - sig), dg * (1 - g * g)], -1)
        dh_prev, dc_prev = dz @ rk.T, dc * f
        if keep is not None:
            dh_prev, dc_prev = dh_prev + dh_keep, dc_prev + dc_keep
        return (dh_prev, dc_prev), dz
    (dh0, dc0), dz = lax.scan(body, (jnp.zeros_like(h0), jnp.zeros_like(c0)), (gh, gc, acts, tcs, c_prev, m),
                              reverse=True)
    drk = jnp.einsum("tbu,tbg->ug", h_prev, dz)
    return dz, dh0, dc0, drk, None


_lstm_core.defvjp(_lstm_fwd, _lstm_bwd)


@jax.custom_vjp
def _lstm_last(proj, h0, c0, rk):
    """_lstm_core's last (h, c) without a mask. Run without a gradient (predict), the loop writes no
    per-step outputs at all."""
    def body(carry, z_x):
        return _lstm_step(carry, (z_x, None), rk)[0], None
    return lax.scan(body, (h0, c0), proj)[0]


def _lstm_last_fwd(proj, h0, c0, rk):
    (hs, cs), res = _lstm_fwd(proj, h0, c0, rk, None)
    return (hs[-1], cs[-1]), res


def _lstm_last_bwd(res, grads):
    hs = res[4]
    at_end = [jnp.zeros_like(hs).at[-1].set(g) for g in grads]
    return _lstm_bwd(res, at_end)[:4]


_lstm_last.defvjp(_lstm_last_fwd, _lstm_last_bwd)

