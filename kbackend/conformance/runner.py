"""Run conformance cases on the active engine.

For each case: the forward pass in float32 (and float16 where the case says)
against the float64 reference on the same rounded inputs, and the gradient of
sum(op(x) * w) with respect to each float input, taken with K.value_and_grad
in float64, against central finite differences of the reference (step 1e-6).

Errors are normwise relative: max|out - ref| / max(max|ref|, 1e-6). Integer,
bool and Python-value outputs must match exactly (error 0, else inf).
"""

import traceback

import numpy as np

import kbackend as K

from . import cases as cases_module

THRESHOLDS = {"f32": 1e-5, "f16": 1e-3, "grad": 1e-4}
MODE_DTYPES = {"f32": "float32", "f16": "float16", "grad": "float64"}
FD_STEP = 1e-6


class Mismatch(AssertionError):
    """An output of the wrong kind, shape or dtype."""


def _is_float_array(a):
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def relative_error(out, ref):
    out, ref = np.asarray(out), np.asarray(ref)
    if out.shape != ref.shape:
        raise Mismatch(f"shape {out.shape}, expected {ref.shape}")
    if ref.dtype.kind not in "fc":
        return 0.0 if np.array_equal(out, ref) else float("inf")
    if ref.size == 0:
        return 0.0
    wide = np.complex128 if ref.dtype.kind == "c" or out.dtype.kind == "c" else np.float64
    out, ref = out.astype(wide), ref.astype(wide)
    if not np.all(np.isfinite(out) == np.isfinite(ref)):
        return float("inf")
    finite = np.isfinite(ref)
    if not np.array_equal(out[~finite], ref[~finite]):
        return float("inf")
    diff = np.abs(out[finite] - ref[finite])
    scale = np.abs(ref[finite])
    return float(diff.max(initial=0.0) / max(scale.max(initial=0.0), 1e-6))


def _cast_inputs(arrays, dtype):
    return [a.astype(dtype) if _is_float_array(a) else a for a in arrays]


def _widen(arrays):
    """The inputs the reference sees: the tested values, held in float64
    (complex128)."""
    wide = {"f": np.float64, "c": np.complex128}
    return [a.astype(wide[a.dtype.kind]) if isinstance(a, np.ndarray) and a.dtype.kind in wide else a
            for a in arrays]


def _expected_dtype(case, index, ref_value, dtype):
    wanted = case.out_dtype
    if isinstance(wanted, tuple):
        wanted = wanted[index]
    if wanted == "floatx":
        return K.floatx()
    if wanted is not None:
        return wanted
    ref_value = np.asarray(ref_value)
    return dtype if ref_value.dtype.kind == "f" else ref_value.dtype.name


def _to_numpy(case, value):
    if case.returns == "numpy":
        if not isinstance(value, np.ndarray):
            raise Mismatch(f"returned {type(value).__name__}, expected a numpy.ndarray")
        return value
    if not K.is_tensor(value):
        raise Mismatch(f"returned {type(value).__name__}, not the engine's tensor type")
    return np.asarray(K.convert_to_numpy(value))


def forward_error(case, mode):
    """Worst relative error of the forward pass in `mode` ("f32" or "f16")."""
    dtype = MODE_DTYPES[mode]
    inputs = _cast_inputs(case.make_inputs(), dtype)
    ref_kwargs = dict(case.kwargs, dtype=dtype) if case.dtype_arg else case.kwargs
    expected = case.reference()(*_widen(inputs), **ref_kwargs)
    out = case.invoke(K, inputs, dtype)
    if case.returns == "value":
        return 0.0 if out == expected else _fail(f"returned {out!r}, expected {expected!r}")
    outs, refs = _as_tuple(out), _as_tuple(expected)
    if len(outs) != len(refs):
        raise Mismatch(f"{len(outs)} outputs, expected {len(refs)}")
    worst = 0.0
    for i, (o, r) in enumerate(zip(outs, refs)):
        got = _to_numpy(case, o)
        want_dtype = _expected_dtype(case, i, r, dtype)
        if case.returns == "tensor" and K.dtype(o) != want_dtype:
            raise Mismatch(f"output {i} has dtype {K.dtype(o)}, expected {want_dtype}")
        worst = max(worst, relative_error(got, r))
    return worst


def _fail(message):
    raise Mismatch(message)


def _weights(case, refs):
    rng = np.random.default_rng(case.seed() + 1)
    return [rng.standard_normal(np.shape(r)) if np.asarray(r).dtype.kind == "f" else None for r in refs]


def gradient_error(case):
    """Worst relative error of the float64 gradient, or None when the case
    has nothing to differentiate (no float inputs or no float outputs)."""
    inputs = _cast_inputs(case.make_inputs(), np.float64)
    wrt = [i for i, a in enumerate(inputs) if _is_float_array(a) and a.size]
    ref_fn = case.reference()
    ref_kwargs = dict(case.kwargs, dtype="float64") if case.dtype_arg else case.kwargs
    weights = _weights(case, _as_tuple(ref_fn(*inputs, **ref_kwargs)))
    if not wrt or all(w is None for w in weights):
        return None

    def ref_loss(args):
        return sum(float(np.sum(np.asarray(r) * w)) for r, w in zip(_as_tuple(ref_fn(*args, **ref_kwargs)), weights)
                   if w is not None)

    def engine_loss(params):
        args = list(inputs)
        for i, p in zip(wrt, params):
            args[i] = p
        outs = _as_tuple(case.invoke(K, args, "float64"))
        total = None
        for o, w in zip(outs, weights):
            if w is not None:
                term = K.sum(K.multiply(o, K.convert_to_tensor(w)))
                total = term if total is None else K.add(total, term)
        return total

    params = [K.convert_to_tensor(inputs[i]) for i in wrt]
    _, grads = K.value_and_grad(engine_loss)(params)
    worst = 0.0
    for i, g in zip(wrt, grads):
        if K.dtype(g) != "float64":
            raise Mismatch(f"the gradient for input {i} has dtype {K.dtype(g)}, expected float64")
        expected = np.empty_like(inputs[i])
        for j in np.ndindex(inputs[i].shape):
            args = list(inputs)
            shifted = []
            for step in (FD_STEP, -FD_STEP):
                x = inputs[i].copy()
                x[j] += step
                args[i] = x
                shifted.append(ref_loss(args))
            expected[j] = (shifted[0] - shifted[1]) / (2 * FD_STEP)
        worst = max(worst, relative_error(np.asarray(K.convert_to_numpy(g)), expected))
    return worst


def modes(case):
    """The modes a case runs in."""
    out = ["f32"] + (["f16"] if case.f16 else [])
    return out + (["grad"] if case.grad and case.returns == "tensor" else [])


def threshold(case, mode):
    return case.tol if mode == "f32" and case.tol is not None else THRESHOLDS[mode]


def run_case(case):
    """{"name", "op", "errors": {mode: worst error or None}, "failures": {mode: message}}, plus "skipped":
    {mode: why} where the engine raised NotImplementedError for an op the protocol lets it leave out."""
    result = {"name": case.name, "op": case.op, "errors": {}, "failures": {}}
    for mode in modes(case):
        try:
            err = gradient_error(case) if mode == "grad" else forward_error(case, mode)
        except Exception as e:  # a broken op is a result to report, not a crash
            if isinstance(e, NotImplementedError) and case.op in cases_module.OPTIONAL:
                result["errors"][mode] = None
                result.setdefault("skipped", {})[mode] = f"{case.op} not implemented for this case: {e}"
                continue
            result["errors"][mode] = float("inf")
            result["failures"][mode] = f"{type(e).__name__}: {e}".strip()[:500]
            if not isinstance(e, Mismatch):
                result["failures"][mode] += "\n" + "".join(traceback.format_exception(e)[-3:])[:1500]
            continue
        result["errors"][mode] = err
        if err is not None and not err <= threshold(case, mode):
            result["failures"][mode] = f"error {err:.3g} above {threshold(case, mode):g}"
    return result


def run_all(selected=None):
    """Results for every case (or those whose name contains `selected`)."""
    return [run_case(c) for c in cases_module.CASES if selected is None or selected in c.name]


def worst_by_op(results):
    """{op: {mode: (worst error, failed)}} over the cases of each op."""
    table = {}
    for r in results:
        row = table.setdefault(r["op"], {})
        for mode, err in r["errors"].items():
            if err is None:
                continue
            prev = row.get(mode, (0.0, False))
            row[mode] = (max(prev[0], err), prev[1] or mode in r["failures"])
    return table
