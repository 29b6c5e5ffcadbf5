"""Fused LSTM and GRU layers for the numpy engine: one tape primitive each.

The forward pass projects every step's input in one BLAS matmul, then loops
over time with one matmul and a few in-place ufuncs per step, keeping the gate
activations; the backward pass is hand-written backpropagation through time,
with the weight gradients again one matmul each over all steps. Arrays run
time-major inside. Sigmoids are computed as 0.5 * tanh(z / 2) + 0.5, with the
1/2 folded into the weight columns of the sigmoid gates, so one tanh covers all
gates of a step. Half precision runs in float32. Both passes run with one
BLAS thread where threadpoolctl is installed: the per-step matmuls are small,
and on the 2-core machines measured a threaded OpenBLAS spent several times
longer waking its threads than computing, even on the larger matmuls over all
steps (e.g. 60 ms instead of 5 ms for the two weight-gradient products).
"""

import contextlib

import numpy as np

from . import core, math
from . import replay
from .autodiff import Box, Node, detach, differentiated, raw

_WIDE = (np.dtype(np.float32), np.dtype(np.float64))


def _primitive(fn):
    """fn(*arrays, needs=..., **static) -> (out, backward) as a tape op (needs: which inputs are traced);
    forward and backward run with one BLAS thread."""
    def op(*args, **kwargs):
        needs = tuple(differentiated(a) for a in args)
        out, backward = replay.call(_in_one_blas_thread, fn, *(raw(a) for a in args), needs=needs, **kwargs)
        if not any(needs):
            return detach(out)
        return Box(out, Node([a.node if type(a) is Box else None for a in args], backward))
    op.__name__ = fn.__name__
    return op


def _in_one_blas_thread(fn, *args, **kwargs):
    """fn's (out, backward) with both run on one BLAS thread: one kernel call of a K.jit record."""
    with _one_blas_thread():
        out, backward = fn(*args, **kwargs)
    return out, _single_threaded(backward)


def _single_threaded(backward):
    def run(g):
        with _one_blas_thread():
            return backward(g)
    return run


_controller = []  # [threadpoolctl controller or None], made on first use


def _one_blas_thread():
    if not _controller:
        try:
            from threadpoolctl import ThreadpoolController
            _controller.append(ThreadpoolController().select(user_api="blas"))
        except Exception:  # not installed (an optional speed-up) or no BLAS it knows
            _controller.append(None)
    c = _controller[0]
    return c.limit(limits=1) if c is not None and c.lib_controllers else contextlib.nullcontext()


def _check(name, inputs, states, kernel, recurrent_kernel, bias, gates, bias_shape):
    x, k, rk = raw(inputs), raw(kernel), raw(recurrent_kernel)
    if x.ndim != 3:
        raise ValueError(f"{name}: inputs must be (batch, time, features); got shape {x.shape}.")
    units = rk.shape[0] if rk.ndim == 2 else -1
    if k.shape != (x.shape[2], gates * units) or rk.shape != (units, gates * units):
        raise ValueError(f"{name}: kernel must be (features, {gates} * units) and recurrent_kernel (units, {gates} * "
                         f"units); got {k.shape} and {rk.shape} for inputs {x.shape}.")
    if bias is not None and raw(bias).shape != bias_shape(units):
        raise ValueError(f"{name}: bias must have shape {bias_shape(units)}; got {raw(bias).shape}.")
    for s in states:
        if raw(s).shape != (x.shape[0], units):
            raise ValueError(f"{name}: initial states must be (batch, units) = {(x.shape[0], units)}; "
                             f"got {raw(s).shape}.")


def _time_major_mask(mask, steps, go_backwards):
    """(mask (time, batch, 1) bool, seen (time, batch, 1) bool: an unmasked step so far) or (None, None)."""
    if mask is None:
        return None, None
    m = np.asarray(raw(mask)).astype(bool)
    if m.ndim != 2 or m.shape[1] != steps:
        raise ValueError(f"mask must be (batch, time) with time = {steps}; got shape {m.shape}.")
    m = m.T[::-1] if go_backwards else m.T
    m = np.ascontiguousarray(m)[:, :, None]
    return m, np.logical_or.accumulate(m, axis=0)


def _time_major(x, go_backwards):
    xt = x.transpose(1, 0, 2)
    return np.ascontiguousarray(xt[::-1] if go_backwards else xt)


def _from_time_major(g, go_backwards):
    return (g[::-1] if go_backwards else g).transpose(1, 0, 2)


def _pack(hs, seen, final_states):
    """(time + n, batch, units): the outputs (h, zeros before the first unmasked step), then the final states."""
    steps = hs.shape[0] - 1
    out = np.empty((steps + len(final_states),) + hs.shape[1:], hs.dtype)
    np.multiply(hs[1:], seen, out=out[:steps]) if seen is not None else np.copyto(out[:steps], hs[1:])
    for k, s in enumerate(final_states):
        out[steps + k] = s
    return out


def _output_grads(g, steps, seen):
    """The gradient of each step's h from the outputs block of the packed gradient."""
    return g[:steps] if seen is None else g[:steps] * seen


def _unpack(packed, steps, n_states, return_sequences):
    last = packed[steps - 1]
    outputs = math.transpose(packed[:steps], (1, 0, 2)) if return_sequences else None
    return (last, outputs) + tuple(packed[steps + k] for k in range(n_states))


# ---------------------------------------------------------------------------
# LSTM; inside, the gate columns are reordered i, f, o, c so the sigmoid gates are contiguous
# ---------------------------------------------------------------------------

def _lstm_perm(units):
    u = units
    return np.r_[0:2 * u, 3 * u:4 * u, 2 * u:3 * u]


@_primitive
def _lstm(x, h0, c0, kernel, recurrent_kernel, bias, mask, go_backwards, needs):
    dt = x.dtype
    cd = dt if dt in _WIDE else np.dtype(np.float32)
    batch, steps, _ = x.shape
    u = recurrent_kernel.shape[0]
    perm = _lstm_perm(u)
    w = kernel.astype(cd, copy=False)[:, perm]
    rw = recurrent_kernel.astype(cd, copy=False)[:, perm]
    scale = np.ones(4 * u, cd)
    scale[:3 * u] = 0.5
    xt = _time_major(x.astype(cd, copy=False), go_backwards)
    acts = np.matmul(xt.reshape(steps * batch, -1), w * scale).reshape(steps, batch, 4 * u)
    if bias is not None:
        acts += bias.astype(cd, copy=False)[perm] * scale
    rws = rw * scale
    m, seen = _time_major_mask(mask, steps, go_backwards)
    hs = np.empty((steps + 1, batch, u), cd)
    cs = np.empty((steps + 1, batch, u), cd)
    tcs = np.empty((steps, batch, u), cd)
    hs[0], cs[0] = h0, c0
    rec = np.empty((batch, 4 * u), cd)
    _lstm_forward(acts, hs, cs, tcs, rec, rws, m, u)
    out = _pack(hs, seen, (hs[steps], cs[steps])).astype(dt, copy=False)

    def backward(gp):
        gp = gp.astype(cd, copy=False)
        gout = _output_grads(gp, steps, seen)
        dh, dc = gp[steps].copy(), gp[steps + 1].copy()
        dz = np.empty((steps, batch, 4 * u), cd)
        dh, dc = _lstm_backward(dh, dc, gout, dz, acts, cs, tcs, rw, m, u)
        flat = dz.reshape(steps * batch, 4 * u)
        grads = [None] * 7
        if needs[0]:
            grads[0] = _from_time_major(np.matmul(flat, w.T).reshape(steps, batch, -1), go_backwards).astype(dt)
        grads[1], grads[2] = dh.astype(dt), dc.astype(dt)
        inv = np.argsort(perm)
        if needs[3]:
            grads[3] = np.matmul(xt.reshape(steps * batch, -1).T, flat)[:, inv].astype(dt)
        if needs[4]:
            grads[4] = np.matmul(hs[:steps].reshape(steps * batch, u).T, flat)[:, inv].astype(dt)
        if bias is not None and needs[5]:
            grads[5] = flat.sum(axis=0)[inv].astype(dt)
        return grads
    return out, backward


def _lstm_forward(acts, hs, cs, tcs, rec, rws, m, u):
    """The time loop; acts (time, batch, 4 units) of projected inputs is overwritten by the activated gates."""
    for t in range(acts.shape[0]):
        a = acts[t]  # overwritten in place by the activated gates, kept for the backward pass
        np.matmul(hs[t], rws, out=rec)
        a += rec
        np.tanh(a, out=a)
        sig = a[:, :3 * u]
        sig *= 0.5
        sig += 0.5
        i, f, o, g = a[:, :u], a[:, u:2 * u], a[:, 2 * u:3 * u], a[:, 3 * u:]
        c = cs[t + 1]
        np.multiply(f, cs[t], out=c)
        c += i * g
        np.tanh(c, out=tcs[t])
        np.multiply(o, tcs[t], out=hs[t + 1])
        if m is not None:
            np.copyto(c, cs[t], where=~m[t])
            np.copyto(hs[t + 1], hs[t], where=~m[t])


def _lstm_backward(dh, dc, gout, dz, acts, cs, tcs, rw, m, u):
    """Backpropagation through time: fills dz (time, batch, 4 units) with the gradients of the gate
    pre-activations; returns the gradients of the initial h and c."""
    for t in range(dz.shape[0] - 1, -1, -1):
        dh += gout[t]
        a, tc = acts[t], tcs[t]
        i, f, o, g = a[:, :u], a[:, u:2 * u], a[:, 2 * u:3 * u], a[:, 3 * u:]
        if m is not None:
            dh_keep, dc_keep = dh * ~m[t], dc * ~m[t]
            dh, dc = dh * m[t], dc * m[t]
        d = dz[t]
        np.multiply(dh, tc, out=d[:, 2 * u:3 * u])  # d o
        dc += dh * o * (1 - tc * tc)
        np.multiply(dc, g, out=d[:, :u])  # d i
        np.multiply(dc, cs[t], out=d[:, u:2 * u])  # d f
        np.multiply(dc, i, out=d[:, 3 * u:])  # d g
        sig = a[:, :3 * u]
        d[:, :3 * u] *= sig - sig * sig
        d[:, 3 * u:] *= 1 - g * g
        dc *= f
        dh = np.matmul(d, rw.T)
        if m is not None:
            dc += dc_keep
            dh += dh_keep
    return dh, dc


def lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, mask=None, go_backwards=False,
         return_sequences=False):
    args = [core.convert_to_tensor(a) for a in (inputs, initial_h, initial_c, kernel, recurrent_kernel)]
    bias = None if bias is None else core.convert_to_tensor(bias)
    _check("lstm", args[0], args[1:3], args[3], args[4], bias, 4, lambda u: (4 * u,))
    dt = core.dtype_name(raw(args[0]).dtype)
    args = [core.cast(a, dt) for a in args] + [None if bias is None else core.cast(bias, dt)]
    steps = raw(args[0]).shape[1]
    if steps == 0:
        raise NotImplementedError("lstm: no fused kernel for sequences of length 0.")
    packed = _lstm(*args, None if mask is None else raw(mask), go_backwards=bool(go_backwards))
    return _unpack(packed, steps, 2, return_sequences)


# ---------------------------------------------------------------------------
# GRU (reset_after): gate columns z, r, h; the sigmoid gates z, r come first already
# ---------------------------------------------------------------------------

@_primitive
def _gru(x, h0, kernel, recurrent_kernel, bias, mask, go_backwards, needs):
    dt = x.dtype
    cd = dt if dt in _WIDE else np.dtype(np.float32)
    batch, steps, _ = x.shape
    u = recurrent_kernel.shape[0]
    w = kernel.astype(cd, copy=False)
    rw = recurrent_kernel.astype(cd, copy=False)
    scale = np.ones(3 * u, cd)
    scale[:2 * u] = 0.5
    xt = _time_major(x.astype(cd, copy=False), go_backwards)
    xp = np.matmul(xt.reshape(steps * batch, -1), w * scale).reshape(steps, batch, 3 * u)
    b_in, b_rec = (None, None) if bias is None else (bias[0].astype(cd) * scale, bias[1].astype(cd) * scale)
    if b_in is not None:
        xp += b_in
    rws = rw * scale
    m, seen = _time_major_mask(mask, steps, go_backwards)
    hs = np.empty((steps + 1, batch, u), cd)
    hs[0] = h0
    recs = np.empty((steps, batch, 3 * u), cd)  # h @ recurrent_kernel + rb; the z, r columns become z and r
    ns = np.empty((steps, batch, u), cd)
    _gru_forward(xp, hs, recs, ns, rws, b_rec, m, u)
    out = _pack(hs, seen, (hs[steps],)).astype(dt, copy=False)

    def backward(gp):
        gp = gp.astype(cd, copy=False)
        gout = _output_grads(gp, steps, seen)
        dh = gp[steps].copy()
        d_rec = np.empty((steps, batch, 3 * u), cd)
        d_in_h = np.empty((steps, batch, u), cd)
        dh = _gru_backward(dh, gout, d_rec, d_in_h, hs, recs, ns, rw, m, u)
        flat_rec = d_rec.reshape(steps * batch, 3 * u)
        d_in = np.concatenate([d_rec[:, :, :2 * u], d_in_h], axis=2).reshape(steps * batch, 3 * u)
        grads = [None] * 6
        if needs[0]:
            grads[0] = _from_time_major(np.matmul(d_in, w.T).reshape(steps, batch, -1), go_backwards).astype(dt)
        grads[1] = dh.astype(dt)
        if needs[2]:
            grads[2] = np.matmul(xt.reshape(steps * batch, -1).T, d_in).astype(dt)
        if needs[3]:
            grads[3] = np.matmul(hs[:steps].reshape(steps * batch, u).T, flat_rec).astype(dt)
        if bias is not None and needs[4]:
            grads[4] = np.stack([d_in.sum(axis=0), flat_rec.sum(axis=0)]).astype(dt)
        return grads
    return out, backward


def gru(inputs, initial_h, kernel, recurrent_kernel, bias, mask=None, go_backwards=False, return_sequences=False):
    args = [core.convert_to_tensor(a) for a in (inputs, initial_h, kernel, recurrent_kernel)]
    bias = None if bias is None else core.convert_to_tensor(bias)
    _check("gru", args[0], args[1:2], args[2], args[3], bias, 3, lambda u: (2, 3 * u))
    dt = core.dtype_name(raw(args[0]).dtype)
    args = [core.cast(a, dt) for a in args] + [None if bias is None else core.cast(bias, dt)]
    steps = raw(args[0]).shape[1]
    if steps == 0:
        raise NotImplementedError("gru: no fused kernel for sequences of length 0.")
    packed = _gru(*args, None if mask is None else raw(mask), go_backwards=bool(go_backwards))
    return _unpack(packed, steps, 1, return_sequences)


def _gru_forward(xp, hs, recs, ns, rws, b_rec, m, u):
    """The time loop; fills hs, recs (h @ recurrent_kernel + rb, its z and r columns then holding z and r)
    and ns (the candidates)."""
    for t in range(xp.shape[0]):
        rec = recs[t]
        np.matmul(hs[t], rws, out=rec)
        if b_rec is not None:
            rec += b_rec
        a = xp[t]
        zr = rec[:, :2 * u]
        zr += a[:, :2 * u]
        np.tanh(zr, out=zr)
        zr *= 0.5
        zr += 0.5
        z, r = zr[:, :u], zr[:, u:]
        n = ns[t]
        np.multiply(r, rec[:, 2 * u:], out=n)
        n += a[:, 2 * u:]
        np.tanh(n, out=n)
        h = hs[t + 1]
        np.subtract(hs[t], n, out=h)
        h *= z
        h += n
        if m is not None:
            np.copyto(h, hs[t], where=~m[t])

def _gru_backward(dh, gout, d_rec, d_in_h, hs, recs, ns, rw, m, u):
    """Backpropagation through time: fills d_rec (gradients of h @ recurrent_kernel + rb) and d_in_h (of
    the candidate's input side); returns the gradient of the initial h."""
    for t in range(d_rec.shape[0] - 1, -1, -1):
        dh += gout[t]
        if m is not None:
            dh_keep = dh * ~m[t]
            dh = dh * m[t]
        zr, n, rec = recs[t][:, :2 * u], ns[t], recs[t]
        z, r = zr[:, :u], zr[:, u:]
        d = d_rec[t]
        np.multiply(dh, hs[t] - n, out=d[:, :u])  # d z
        dan = d_in_h[t]
        np.multiply(dh, 1 - z, out=dan)
        dan *= 1 - n * n
        np.multiply(dan, rec[:, 2 * u:], out=d[:, u:2 * u])  # d r
        d[:, :2 * u] *= zr - zr * zr
        np.multiply(dan, r, out=d[:, 2 * u:])
        dh = dh * z + np.matmul(d, rw.T)
        if m is not None:
            dh += dh_keep
    return dh
