"""Fused LSTM and GRU layers of the PyTorch engine: torch's own recurrent kernels.

torch.lstm and torch.gru run the whole sequence in C++ (and cuDNN on GPU) with
their own backward. Keras's weights are (in, gates * units) with gate columns
i, f, c, o (LSTM; torch's i, f, g, o is the same order) and z, r, h (GRU;
torch wants r, z, n); torch wants (gates * units, in). Keras's reset_after GRU
is torch's GRU, whose n uses r * (W_hn h + b_hn). Masks have no torch kernel:
those calls raise NotImplementedError, and the caller loops.
"""

import torch

from .core import convert_to_tensor


def _prepare(name, inputs, states, weights, mask):
    if mask is not None:
        raise NotImplementedError(f"{name}: torch has no fused kernel for masked sequences.")
    x = convert_to_tensor(inputs)
    if x.dim() != 3 or x.shape[1] == 0:
        raise NotImplementedError(f"{name}: the fused kernel takes (batch, time > 0, features) inputs; "
                                  f"got shape {tuple(x.shape)}.")
    dt = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
    states = [convert_to_tensor(s).to(dt) for s in states]
    weights = [None if w is None else convert_to_tensor(w).to(dt) for w in weights]
    return x.to(dt), states, weights, x.dtype


def _finish(output, finals, return_sequences, dtype):
    def cast(t):
        return t if t.dtype == dtype else t.to(dtype)
    last = cast(finals[0][0])  # without a mask the last output is the final h
    outputs = cast(output) if return_sequences else None
    return (last, outputs) + tuple(cast(f[0]) for f in finals)


def _check_units(name, kernel, recurrent_kernel, gates, features):
    units = recurrent_kernel.shape[0]
    if tuple(kernel.shape) != (features, gates * units) or tuple(recurrent_kernel.shape) != (units, gates * units):
        raise ValueError(f"{name}: kernel must be (features, {gates} * units) and recurrent_kernel (units, "
                         f"{gates} * units); got {tuple(kernel.shape)} and {tuple(recurrent_kernel.shape)} for "
                         f"{features} features.")
    return units


def lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, mask=None, go_backwards=False,
         return_sequences=False):
    x, (h0, c0), (w, rw, b), dtype = _prepare("lstm", inputs, [initial_h, initial_c],
                                              [kernel, recurrent_kernel, bias], mask)
    _check_units("lstm", w, rw, 4, x.shape[2])
    if go_backwards:
        x = torch.flip(x, (1,))
    params = [w.t(), rw.t()] + ([] if b is None else [b, torch.zeros_like(b)])
    output, h, c = torch.lstm(x, (h0.unsqueeze(0), c0.unsqueeze(0)), params, b is not None, 1, 0.0, False, False,
                              True)
    return _finish(output, (h, c), return_sequences, dtype)


def _rzn(t, units):
    """Keras's z, r, h blocks (last axis) in torch's order r, z, n."""
    return torch.cat([t[..., units:2 * units], t[..., :units], t[..., 2 * units:]], dim=-1)


def gru(inputs, initial_h, kernel, recurrent_kernel, bias, mask=None, go_backwards=False, return_sequences=False):
    x, (h0,), (w, rw, b), dtype = _prepare("gru", inputs, [initial_h], [kernel, recurrent_kernel, bias], mask)
    u = _check_units("gru", w, rw, 3, x.shape[2])
    if go_backwards:
        x = torch.flip(x, (1,))
    params = [_rzn(w, u).t(), _rzn(rw, u).t()] + ([] if b is None else [_rzn(b[0], u), _rzn(b[1], u)])
    output, h = torch.gru(x, h0.unsqueeze(0), params, b is not None, 1, 0.0, False, False, True)
    return _finish(output, (h,), return_sequences, dtype)
