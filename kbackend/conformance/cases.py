"""The conformance cases: every protocol op (random, autodiff and control ops
have their own test files) with seeded inputs, static options and a float64
numpy reference from `references`.

A case's `inputs` are its positional arguments: callables draw an array from
the case's numpy Generator, anything else is passed as it is. Float arrays are
cast to the dtype under test (float32, float16 for the cases marked `f16`,
float64 for gradients) and the reference sees the same cast values, so only
the op's own rounding counts. Inputs of kinked ops are kept away from their
kinks and ties so that finite differences are meaningful.
"""

import dataclasses
import zlib
from typing import Any, Callable, Optional

import numpy as np

from kbackend import config

from . import references as R


@dataclasses.dataclass
class Case:
    name: str                         # unique, the test id
    op: str                           # the protocol op it checks
    inputs: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    ref: Optional[Callable] = None    # default: references.<op>
    call: Optional[Callable] = None   # call(K, *args, **kwargs); default K.<op>
    grad: bool = True                 # check gradients of float inputs
    f16: bool = False                 # also run in float16
    tol: Optional[float] = None       # float32 tolerance when the default does not apply
    out_dtype: Any = None             # expected dtype(s); None: the tested float dtype
                                      # for float outputs, the reference's otherwise;
                                      # "floatx": kbackend.floatx()
    dtype_arg: bool = False           # call gets dtype=<tested float dtype>
    returns: str = "tensor"           # "tensor", "numpy" (an ndarray) or "value" (Python)

    def seed(self):
        return zlib.crc32(self.name.encode())

    def make_inputs(self):
        rng = np.random.default_rng(self.seed())
        return [spec(rng) if callable(spec) else spec for spec in self.inputs]

    def reference(self):
        return self.ref or getattr(R, self.op)

    def invoke(self, K, args, dtype):
        kwargs = dict(self.kwargs, dtype=dtype) if self.dtype_arg else self.kwargs
        if self.call is not None:
            return self.call(K, *args, **kwargs)
        return getattr(K, self.op)(*args, **kwargs)


CASES = []


def case(name, op=None, *inputs, **options):
    CASES.append(Case(name, op or name.split("-")[0], tuple(inputs), **_split(options)))


def _split(options):
    fields = {f.name for f in dataclasses.fields(Case)}
    own = {k: v for k, v in options.items() if k in fields}
    own["kwargs"] = {k: v for k, v in options.items() if k not in fields}
    return own


# ---------------------------------------------------------------------------
# input generators
# ---------------------------------------------------------------------------

def N(*shape, scale=1.0, loc=0.0):
    return lambda rng: np.asarray(loc + scale * rng.standard_normal(shape), np.float64)


def U(lo, hi, *shape):
    return lambda rng: np.asarray(rng.uniform(lo, hi, shape), np.float64)


def distinct(*shape, spacing=0.25):
    """Values at least `spacing` apart (no ties for max, sort, top_k, pooling)."""
    def make(rng):
        n = int(np.prod(shape))
        values = (rng.permutation(n) - n / 2) * spacing + rng.uniform(0, spacing / 4, n)
        return np.asarray(values, np.float64).reshape(shape)
    return make


def away(spec, points, gap=0.05):
    """spec's values, moved at least `gap` away from each kink in `points`."""
    def make(rng):
        x = spec(rng)
        for p in points:
            near = np.abs(x - p) < gap
            x = np.where(near, p + np.where(x >= p, gap, -gap), x)
        return x
    return make


def off_grid(*shape, lo=-3, hi=3, grid=1.0):
    """Values at least 0.1 grid steps from a multiple of `grid` and from its
    half-way points (for floor, ceil, round, floor_divide, mod)."""
    def make(rng):
        whole = rng.integers(lo, hi, shape)
        frac = rng.choice([0.15, 0.3, 0.7, 0.85], shape) + rng.uniform(-0.04, 0.04, shape)
        return np.asarray((whole + frac) * grid, np.float64)
    return make


def I(lo, hi, *shape, dtype="int32"):  # noqa: E743 (I for integers, beside F for floats)
    return lambda rng: rng.integers(lo, hi, shape).astype(dtype)


def B(*shape):
    return lambda rng: rng.random(shape) < 0.5


def Cx(*shape, dtype="complex64"):
    return lambda rng: (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def const(value):
    return lambda rng: np.array(value)


# ---------------------------------------------------------------------------
# core
# ---------------------------------------------------------------------------

case("convert_to_tensor-float-list", None, call=lambda K: K.convert_to_tensor([[1.5, -2.0], [0.25, 4.0]]),
     ref=lambda: np.array([[1.5, -2.0], [0.25, 4.0]]), out_dtype="floatx")
case("convert_to_tensor-int-list", None, call=lambda K: K.convert_to_tensor([3, -1, 7]),
     ref=lambda: np.array([3, -1, 7], np.int32))
case("convert_to_tensor-bool", None, call=lambda K: K.convert_to_tensor([True, False]),
     ref=lambda: np.array([True, False]))
case("convert_to_tensor-python-float", None, call=lambda K: K.convert_to_tensor(2.5),
     ref=lambda: np.array(2.5), out_dtype="floatx")
case("convert_to_tensor-array-keeps-dtype", None, N(2, 3), ref=lambda x: x)
case("convert_to_tensor-given-dtype", None, I(-5, 5, 2, 3), dtype_arg=True, ref=lambda x, dtype: x.astype(float))
case("convert_to_numpy", None, N(3, 2), call=lambda K, x: K.convert_to_numpy(K.convert_to_tensor(x)),
     ref=lambda x: x, returns="numpy", grad=False)
case("constant-broadcast", "constant", 1.5, shape=(2, 3), ref=lambda v, shape: np.full(shape, v), out_dtype="floatx")
case("constant-dtype", "constant", [1, 2, 3], dtype_arg=True, ref=lambda v, dtype: np.array(v, float))
case("is_tensor-tensor", "is_tensor", N(2), call=lambda K, x: K.is_tensor(K.convert_to_tensor(x)),
     ref=lambda x: True, returns="value")
case("is_tensor-list", "is_tensor", [1.0, 2.0], ref=lambda x: False, returns="value")
case("dtype", None, N(2, 2), dtype_arg=True, call=lambda K, x, dtype: K.dtype(x), ref=lambda x, dtype: dtype,
     returns="value")
case("dtype-int8", "dtype", I(0, 3, 2, dtype="int8"), ref=lambda x: "int8", returns="value")
case("shape", None, N(2, 3, 1), ref=lambda x: (2, 3, 1), returns="value")
case("shape-scalar", "shape", N(), ref=lambda x: (), returns="value")
case("int_shape", None, N(0, 4), ref=lambda x: (0, 4), returns="value")
case("ndim", None, N(2, 1, 3), ref=lambda x: 3, returns="value")
case("ndim-scalar", "ndim", N(), ref=lambda x: 0, returns="value")
case("cast-int-to-float", "cast", I(-9, 9, 3, 4), dtype_arg=True, ref=lambda x, dtype: x.astype(float))
case("cast-float-to-int32", "cast", off_grid(3, 4), "int32", ref=lambda x, d: x.astype(np.int32))
case("cast-float-to-float64", "cast", N(3, 4), "float64", ref=lambda x, d: x, out_dtype="float64")
case("cast-float-to-bool", "cast", const([0.0, 1.5, -2.0]), "bool", ref=lambda x, d: x != 0)
case("zeros", None, (2, 3), dtype_arg=True, ref=lambda s, dtype: np.zeros(s))
case("zeros-default", "zeros", (4,), ref=lambda s: np.zeros(s), out_dtype="floatx")
case("ones", None, (3, 2), dtype_arg=True, ref=lambda s, dtype: np.ones(s))
case("ones-int", "ones", (2, 2), "int32", ref=lambda s, d: np.ones(s, np.int32))
case("eye", None, 3, dtype_arg=True, ref=lambda n, dtype: np.eye(n))
case("eye-rect", "eye", (2, 4), ref=lambda s: np.eye(*s), out_dtype="floatx")
case("zeros_like", None, N(2, 3), ref=np.zeros_like, grad=False)
case("zeros_like-dtype", "zeros_like", N(2, 3), dtype="int32", ref=lambda x, dtype: np.zeros(x.shape, np.int32))
case("ones_like", None, N(3, 1), ref=np.ones_like, grad=False)
case("ones_like-int", "ones_like", I(0, 4, 2, 2, dtype="int64"), ref=np.ones_like)
case("full", None, (2, 3), 0.5, dtype_arg=True, ref=lambda s, v, dtype: np.full(s, v))
case("full-int", "full", (2,), 7, "int32", ref=lambda s, v, d: np.full(s, v, np.int32))
case("arange", None, 5, ref=lambda n: np.arange(n, dtype=np.int32))
case("arange-step", "arange", 2, 11, 3, ref=lambda a, b, s: np.arange(a, b, s, dtype=np.int32))
case("arange-negative-step", "arange", 5, -3, -2, ref=lambda a, b, s: np.arange(a, b, s, dtype=np.int32))
case("arange-float", "arange", 0.0, 1.0, 0.25, dtype_arg=True, ref=lambda a, b, s, dtype: np.arange(a, b, s))


def _roundtrip(K, x, y):
    storage = K.variable_storage(K.convert_to_tensor(x))
    first = K.variable_read(storage)
    storage = K.variable_assign(storage, K.convert_to_tensor(y))
    return first, K.variable_read(storage)


for _op in ("variable_storage", "variable_assign", "variable_read"):
    case(_op, None, N(2, 3), N(2, 3), call=_roundtrip, ref=lambda x, y: (x, y), grad=False)


# ---------------------------------------------------------------------------
# elementwise math: each unary op on a matrix, a rank-0 input and an empty one
# ---------------------------------------------------------------------------

def _unary(op, make, f16=False, **options):
    case(f"{op}", op, make(3, 4), f16=f16, **options)
    case(f"{op}-rank0", op, make(), **options)
    case(f"{op}-empty", op, make(0, 3), **options)


_unary("negative", N, f16=True)
_unary("square", N, f16=True)
_unary("sqrt", lambda *s: U(0.2, 4.0, *s), f16=True)
_unary("abs", lambda *s: away(N(*s), [0.0]), f16=True)
_unary("sign", lambda *s: away(N(*s), [0.0]))
_unary("exp", lambda *s: U(-3, 3, *s), f16=True)
_unary("log", lambda *s: U(0.1, 5.0, *s), f16=True)
_unary("log1p", lambda *s: U(-0.9, 3.0, *s))
_unary("round", lambda *s: off_grid(*s, grid=0.5))
_unary("floor", off_grid)
_unary("ceil", off_grid)
_unary("sin", lambda *s: U(-4, 4, *s))
_unary("cos", lambda *s: U(-4, 4, *s))
_unary("tanh", lambda *s: U(-3, 3, *s), f16=True)
_unary("erf", lambda *s: U(-2.5, 2.5, *s))
case("round-half-to-even", "round", const([0.5, 1.5, 2.5, -0.5, -1.5]), grad=False)
case("abs-int", "abs", I(-5, 5, 7))
case("sign-int", "sign", const(np.array([-3, 0, 2], np.int32)))
case("negative-int", "negative", I(-5, 5, 2, 3))
case("square-int", "square", I(-5, 5, 2, 3))
case("sqrt-int", "sqrt", const(np.array([1, 4, 9, 2], np.int32)), out_dtype="floatx")
case("exp-int", "exp", const(np.array([0, 1, 2], np.int32)), out_dtype="floatx")
case("clip", None, away(N(3, 4), [-0.5, 0.7]), -0.5, 0.7, f16=True)
case("clip-rank0", "clip", const(1.3), -1.0, 1.0)
case("clip-int", "clip", I(-9, 9, 10), -3, 4)

# binary ops, with broadcasting, rank-0, Python scalars and empty operands
for _op in ("add", "subtract", "multiply"):
    case(_op, None, N(3, 4), N(3, 4), f16=True)
    case(f"{_op}-broadcast", _op, N(2, 1, 4), N(3, 1))
    case(f"{_op}-rank0", _op, N(), N(3, 4))
    case(f"{_op}-python-scalar", _op, N(3, 4), 1.5)
    case(f"{_op}-python-scalar-left", _op, 2, N(3))
    case(f"{_op}-empty", _op, N(0, 4), N(4))
    case(f"{_op}-int", _op, I(-50, 50, 3, 4), I(-50, 50, 4))
# complex operands for the basic math
for _ct in ("complex64", "complex128"):
    for _op in ("add", "subtract", "multiply", "divide", "matmul"):
        case(f"{_op}-{_ct}", _op, Cx(3, 3, dtype=_ct), Cx(3, 3, dtype=_ct), out_dtype=_ct)
    for _op in ("negative", "square", "exp", "sum", "mean"):
        case(f"{_op}-{_ct}", _op, Cx(2, 3, dtype=_ct), out_dtype=_ct)
    case(f"abs-{_ct}", "abs", Cx(2, 3, dtype=_ct), out_dtype="float32" if _ct == "complex64" else "float64")
case("add-complex-float", "add", Cx(2, 3), N(3), out_dtype="complex64")
case("divide", None, N(3, 4), away(N(3, 4), [0.0], gap=0.3), f16=True)
case("divide-broadcast", "divide", N(2, 3), U(0.5, 2.0, 3))
case("divide-python-scalar", "divide", N(2, 3), 4.0)
case("divide-int", "divide", I(-9, 9, 5), const(np.array([2, 3, -4, 5, 7], np.int32)), out_dtype="floatx")
# divisors are powers of two, so x / y stays as far from an integer as x is
_DIVISORS = const([0.5, -2.0, 1.0, -0.25])
case("floor_divide", None, off_grid(3, 4), _DIVISORS)
case("floor_divide-python-scalar", "floor_divide", off_grid(3, 4), 2.0)
case("floor_divide-int", "floor_divide", I(-20, 20, 12), const(np.array([3, -3, 4, -5] * 3, np.int32)))
case("mod", None, off_grid(3, 4, lo=-6, hi=6), _DIVISORS)
case("mod-python-scalar", "mod", off_grid(3, 4), 0.5)
case("mod-int", "mod", I(-20, 20, 12), const(np.array([3, -3, 4, -5] * 3, np.int32)))
case("pow", None, U(0.5, 2.0, 3, 4), U(-2, 2, 3, 4), f16=True)
case("pow-scalar", "pow", U(0.5, 2.0, 3, 4), 2.5)
case("pow-int-exponent", "pow", N(3, 4), 3)
case("pow-broadcast", "pow", U(0.5, 2.0, 2, 3), U(-1, 2, 3))

for _op in ("maximum", "minimum"):
    case(_op, None, N(3, 4), N(3, 4), f16=True)
    case(f"{_op}-broadcast", _op, distinct(2, 3), const([0.1, -0.3, 0.6]))
    case(f"{_op}-scalar", _op, away(N(3, 4), [0.0]), 0.0)
    case(f"{_op}-int", _op, I(-9, 9, 8), I(-9, 9, 8))

for _op in ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal"):
    # some entries tie, so the == parts of the comparisons are exercised
    case(_op, None, const([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]]), const([[1.0, 2.5, 2.0], [-1.0, 0.5, 5.0]]))
    case(f"{_op}-broadcast", _op, I(0, 3, 3, 4), I(0, 3, 4))
    case(f"{_op}-scalar", _op, I(0, 3, 6), 1)
case("logical_and", None, B(3, 4), B(3, 4))
case("logical_and-broadcast", "logical_and", B(2, 3), B(3))
case("logical_or", None, B(3, 4), B(3, 4))
case("logical_or-broadcast", "logical_or", B(3, 1), B(4))
case("logical_not", None, B(3, 4))
case("logical_not-rank0", "logical_not", const(True))

case("where", None, B(3, 4), N(3, 4), N(3, 4))
case("where-broadcast", "where", B(3, 1), N(4), N(3, 4))
case("where-scalars", "where", B(5), 1.0, N(5))
case("where-indices", "where", const([[True, False, True], [False, False, True]]),
     ref=lambda c: tuple(i.astype(np.int64) for i in np.nonzero(c)))
case("switch-scalar-true", "switch", True, N(2, 3), N(2, 3))
case("switch-scalar-false", "switch", False, N(2, 3), N(2, 3))
case("switch-tensor", "switch", B(3), N(3, 2), N(3, 2))
case("switch-callables", "switch", const(False), N(2), N(2),
     call=lambda K, c, a, b: K.switch(c, lambda: K.multiply(a, 2.0), lambda: K.square(b)),
     ref=lambda c, a, b: np.square(b))


# ---------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------

_AXES = [("all", None), ("axis0", 0), ("axis-1", -1), ("axes02", (0, 2))]
for _op, _make in (("sum", N), ("prod", lambda *s: U(0.5, 1.5, *s)), ("mean", N), ("var", N), ("std", N),
                   ("max", distinct), ("min", distinct), ("logsumexp", N)):
    for _label, _axis in _AXES:
        # float16 over 4 terms only, so the float16 accumulation stays within 1e-3
        case(f"{_op}-{_label}", _op, _make(2, 3, 4), axis=_axis,
             f16=_op in ("sum", "mean", "max") and _label == "axis-1")
    case(f"{_op}-keepdims", _op, _make(2, 3, 4), axis=1, keepdims=True)
    case(f"{_op}-rank0", _op, _make(), grad=_op != "std")  # the std of one value sits on sqrt's kink
case("sum-empty", "sum", N(0, 3), axis=0)
case("sum-int", "sum", I(-9, 9, 3, 4), axis=1, out_dtype="int32")
case("sum-bool", "sum", B(3, 4), out_dtype="int32")
case("prod-int", "prod", I(-3, 4, 3, 4), axis=0, out_dtype="int32")
case("mean-int", "mean", I(-9, 9, 3, 4), axis=0, out_dtype="floatx")
case("max-int", "max", I(-9, 9, 3, 4), axis=1)
for _op in ("argmax", "argmin"):
    case(_op, None, distinct(3, 5))
    case(f"{_op}-axis0", _op, distinct(3, 5), axis=0)
    case(f"{_op}-ties-first", _op, const([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, -1.0]]))
for _op in ("any", "all"):
    case(_op, None, B(3, 4))
    case(f"{_op}-axis", _op, B(3, 4), axis=1)
    case(f"{_op}-keepdims", _op, B(3, 4), axis=0, keepdims=True)
    case(f"{_op}-float", _op, const([[0.0, 1.0], [0.0, 0.0]]), axis=-1)
case("cumsum", None, N(3, 4), f16=True)
case("cumsum-axis1", "cumsum", N(3, 4), axis=1)
case("cumsum-int", "cumsum", I(-9, 9, 5), ref=lambda x: np.cumsum(x).astype(np.int32))
case("cumprod", None, U(0.5, 1.5, 4, 3))
case("cumprod-axis-1", "cumprod", U(-1.5, 1.5, 3, 4), axis=-1)
case("logsumexp-large", "logsumexp", U(80, 100, 3, 4), axis=-1)
case("l2_normalize", None, N(3, 4), axis=-1)
case("l2_normalize-all", "l2_normalize", N(2, 3))
case("l2_normalize-axis0", "l2_normalize", N(3, 4), axis=0)
case("l2_normalize-tiny", "l2_normalize", N(2, 3, scale=1e-8), axis=-1, grad=False)


# ---------------------------------------------------------------------------
# contractions
# ---------------------------------------------------------------------------

case("dot", None, N(3, 4), N(4, 5), f16=True)
case("dot-3d-2d", "dot", N(2, 3, 4), N(4, 5))
case("dot-3d-3d", "dot", N(2, 3, 4), N(5, 4, 2))
case("dot-2d-1d", "dot", N(3, 4), N(4))
case("dot-1d-1d", "dot", N(4), N(4))
case("dot-scalar", "dot", N(), N(2, 3))
case("matmul", None, N(3, 4), N(4, 5), f16=True)
case("matmul-batched", "matmul", N(2, 3, 4), N(2, 4, 5))
case("matmul-broadcast", "matmul", N(2, 1, 3, 4), N(3, 4, 2))
case("matmul-1d-left", "matmul", N(4), N(2, 4, 3))
case("matmul-1d-right", "matmul", N(2, 3, 4), N(4))
case("matmul-int", "matmul", I(-5, 5, 3, 4), I(-5, 5, 4, 2))
case("batch_dot", None, N(2, 3, 4), N(2, 4, 5))
case("batch_dot-2d", "batch_dot", N(3, 4), N(3, 4))
case("batch_dot-axes-pair", "batch_dot", N(2, 3, 4), N(2, 5, 3), axes=(1, 2))
case("batch_dot-axes-int", "batch_dot", N(2, 3, 4), N(2, 3, 5), axes=1)
case("batch_dot-3d-2d", "batch_dot", N(2, 3, 4), N(2, 4))
case("batch_dot-4d", "batch_dot", N(2, 3, 4, 5), N(2, 5, 3), axes=(3, 1))
case("einsum", None, "ij,jk->ik", N(3, 4), N(4, 2))
case("einsum-batch", "einsum", "bij,bjk->bik", N(2, 3, 4), N(2, 4, 2))
case("einsum-outer", "einsum", "i,j->ij", N(3), N(4))
case("einsum-transpose-sum", "einsum", "abc->ca", N(2, 3, 4))


# ---------------------------------------------------------------------------
# shapes and selection
# ---------------------------------------------------------------------------

case("transpose", None, N(2, 3, 4))
case("transpose-axes", "transpose", N(2, 3, 4), (1, 2, 0))
case("permute_dimensions", None, N(2, 3, 4), (2, 0, 1))
case("reshape", None, N(2, 3, 4), (4, -1))
case("reshape-rank0", "reshape", N(1, 1), ())
case("reshape-empty", "reshape", N(0, 6), (3, 0, 2))
case("flatten", None, N(2, 3, 2))
case("batch_flatten", None, N(2, 3, 2))
case("expand_dims", None, N(2, 3))
case("expand_dims-axis0", "expand_dims", N(2, 3), 0)
case("expand_dims-rank0", "expand_dims", N(), 0)
case("squeeze", None, N(2, 1, 3, 1))
case("squeeze-axis", "squeeze", N(2, 1, 3, 1), axis=1)
case("concatenate", None, N(2, 3), N(2, 2), N(2, 1),
     call=lambda K, *xs, **kw: K.concatenate(list(xs), **kw))
case("concatenate-axis0", "concatenate", N(1, 3), N(2, 3), axis=0,
     call=lambda K, *xs, **kw: K.concatenate(list(xs), **kw))
case("stack", None, N(2, 3), N(2, 3), N(2, 3),
     call=lambda K, *xs, **kw: K.stack(list(xs), **kw))
case("stack-axis-1", "stack", N(2, 3), N(2, 3), axis=-1,
     call=lambda K, *xs, **kw: K.stack(list(xs), **kw))
case("tile", None, N(2, 3), (2, 3))
case("tile-int", "tile", N(3), 2)
case("repeat", None, N(2, 3), 4)
case("repeat_elements", None, N(2, 3), 2, 1)
case("repeat_elements-axis0", "repeat_elements", N(2, 3), 3, 0)
case("gather", None, N(5, 3), const(np.array([4, 0, 0, 2], np.int32)))  # repeated index: gradients add
case("gather-2d-indices", "gather", N(4, 2), I(0, 4, 2, 3))
case("gather-int64-indices", "gather", N(6), I(0, 6, 4, dtype="int64"))
case("slice", None, N(4, 5, 3), (1, 0, 1), (2, -1, 2))
case("one_hot", None, I(0, 4, 2, 3), 4, out_dtype="floatx")
case("top_k", None, distinct(3, 6), 3)
case("top_k-unsorted", "top_k", distinct(3, 6), 2, sorted=False,
     call=lambda K, x, k, sorted: K.sort(K.top_k(x, k, sorted=sorted)[0]),  # any order is allowed
     ref=lambda x, k, sorted: np.sort(R.top_k(x, k)[0]))
case("in_top_k", None, const([[0.1, 0.5, 0.3, 0.5], [0.9, 0.2, 0.4, 0.1], [0.3, 0.3, 0.3, 0.1]]),
     const(np.array([3, 2, 2], np.int32)), 1)  # row 0 and row 2: ties with the k-th count as in
case("in_top_k-k2", "in_top_k", distinct(4, 5), I(0, 5, 4), 2)
case("sort", None, distinct(3, 5))
case("sort-axis0", "sort", distinct(4, 3), axis=0)
case("pad", None, N(2, 3), ((1, 2), (0, 1)))
case("pad-value", "pad", N(2, 3), ((1, 1), (2, 0)), constant_values=1.5)
case("pad-reflect", "pad", N(3, 4), ((1, 2), (2, 1)), mode="reflect")
case("pad-symmetric", "pad", N(3, 4), ((2, 1), (1, 3)), mode="symmetric")


# ---------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------

_KINK = away(N(3, 4, scale=2.0), [0.0])
case("relu", None, _KINK, f16=True)
case("relu-rank0", "relu", away(N(), [0.0]))
case("relu-empty", "relu", N(0, 2))
case("relu-alpha", "relu", _KINK, alpha=0.1)
case("relu-max-value", "relu", away(N(3, 4, scale=2.0), [0.0, 1.5]), max_value=1.5)
case("relu-threshold", "relu", away(N(3, 4, scale=2.0), [0.5]), alpha=0.2, threshold=0.5)
case("relu-all", "relu", away(N(4, 5, scale=2.0), [0.3, 2.0]), alpha=0.3, max_value=2.0, threshold=0.3)
case("elu", None, _KINK, f16=True)
case("elu-alpha", "elu", _KINK, alpha=0.5)
case("selu", None, _KINK)
case("gelu", None, N(3, 4, scale=2.0))
case("gelu-approximate", "gelu", N(3, 4, scale=2.0), approximate=True)
case("silu", None, N(3, 4, scale=2.0))
case("softplus", None, N(3, 4, scale=2.0))
case("softplus-large", "softplus", const([-100.0, -30.0, 30.0, 100.0]))
case("softsign", None, N(3, 4, scale=2.0))
case("sigmoid", None, N(3, 4, scale=2.0), f16=True)
case("sigmoid-large", "sigmoid", const([-100.0, -30.0, 30.0, 100.0]))
case("hard_sigmoid", None, away(N(3, 4, scale=2.0), [-2.5, 2.5]))
case("softmax", None, N(3, 4), f16=True)
case("softmax-axis1", "softmax", N(2, 3, 4), axis=1)
case("softmax-large", "softmax", U(500, 520, 2, 3))
case("log_softmax", None, N(3, 4))
case("log_softmax-axis0", "log_softmax", N(3, 4), axis=0)
case("log_softmax-large", "log_softmax", U(500, 520, 2, 3))
case("bias_add", None, N(2, 3, 4), N(4), f16=True)
case("bias_add-2d", "bias_add", N(3, 4), N(4))
case("bias_add-channels-first", "bias_add", N(2, 3, 4, 2), N(3), data_format="channels_first")
case("bias_add-channels-first-3d", "bias_add", N(2, 3, 4), N(3), data_format="channels_first")


# ---------------------------------------------------------------------------
# convolutions and pooling (small shapes: the references are explicit loops)
# ---------------------------------------------------------------------------

def _cf(shape):
    return (shape[0], shape[-1]) + shape[1:-1]


def _conv_cases(op, x_shape, k_shape, variants, f16_label=None):
    for label, options in variants:
        for fmt in ("channels_last", "channels_first"):
            shape = x_shape if fmt == "channels_last" else _cf(x_shape)
            name = f"{op}-{label}" + ("-cf" if fmt == "channels_first" else "")
            case(name, op, N(*shape), N(*k_shape, scale=0.5), data_format=fmt,
                 f16=label == f16_label and fmt == "channels_last", **options)


_conv_cases("conv1d", (2, 7, 3), (3, 3, 4), [
    ("valid", {}), ("same", dict(padding="same")), ("causal", dict(padding="causal")),
    ("stride2", dict(strides=2)), ("same-stride2", dict(padding="same", strides=2)),
    ("dilation2", dict(dilation_rate=2)), ("causal-dilation2", dict(padding="causal", dilation_rate=2)),
    ("same-dilation2", dict(padding="same", dilation_rate=2))])
case("conv1d-f16", "conv1d", N(2, 6, 2), N(2, 2, 3, scale=0.5), f16=True)  # 4 products per output
case("conv1d-default-format", "conv1d", N(2, 5, 2), N(3, 2, 3))
_conv_cases("conv2d", (2, 6, 5, 3), (3, 2, 3, 4), [
    ("valid", {}), ("same", dict(padding="same")), ("stride2", dict(strides=(2, 2))),
    ("same-stride2", dict(padding="same", strides=(2, 2))), ("same-stride12", dict(padding="same", strides=(1, 2))),
    ("dilation2", dict(dilation_rate=(2, 2))), ("same-dilation21", dict(padding="same", dilation_rate=(2, 1)))])
case("conv2d-f16", "conv2d", N(1, 4, 4, 1), N(2, 2, 1, 2, scale=0.5), f16=True)
_conv_cases("conv3d", (1, 4, 5, 4, 2), (2, 3, 2, 2, 3), [
    ("valid", {}), ("same", dict(padding="same")), ("same-stride2", dict(padding="same", strides=(2, 2, 2))),
    ("dilation2", dict(dilation_rate=(2, 1, 2)))])
_conv_cases("conv2d_transpose", (2, 3, 4, 3), (3, 2, 2, 3), [
    ("valid", {}), ("same", dict(padding="same")), ("stride2", dict(strides=(2, 2))),
    ("same-stride2", dict(padding="same", strides=(2, 2))), ("dilation2", dict(dilation_rate=(2, 2))),
    ("same-dilation2", dict(padding="same", dilation_rate=(2, 2)))])
case("conv2d_transpose-output-shape", "conv2d_transpose", N(2, 3, 4, 3), N(3, 2, 2, 3),
     output_shape=(2, 8, 9, 2), strides=(2, 2), padding="valid")  # one row and one column beyond the default
case("conv2d_transpose-output-shape-cf", "conv2d_transpose", N(2, 3, 3, 4), N(3, 2, 2, 3),
     output_shape=(2, 2, 8, 9), strides=(2, 2), padding="valid", data_format="channels_first")
case("conv2d_transpose-output-shape-same", "conv2d_transpose", N(2, 3, 4, 3), N(3, 3, 2, 3),
     output_shape=(2, 5, 7, 2), strides=(2, 2), padding="same")  # ceil(5/2)=3, ceil(7/2)=4
_conv_cases("depthwise_conv2d", (2, 5, 6, 3), (3, 2, 3, 2), [
    ("valid", {}), ("same", dict(padding="same")), ("same-stride2", dict(padding="same", strides=(2, 2))),
    ("dilation2", dict(dilation_rate=(2, 2)))])
case("depthwise_conv2d-multiplier1", "depthwise_conv2d", N(2, 4, 4, 3), N(2, 2, 3, 1))


def _separable(label, x_shape, fmt="channels_last", **options):
    case(f"separable_conv2d-{label}", "separable_conv2d", N(*x_shape), N(2, 3, 3, 2, scale=0.5),
         N(1, 1, 6, 4, scale=0.5), data_format=fmt, **options)


_separable("valid", (2, 5, 6, 3))
_separable("valid-cf", (2, 3, 5, 6), fmt="channels_first")
_separable("same-stride2", (2, 5, 6, 3), padding="same", strides=(2, 2))
_separable("dilation2-cf", (1, 3, 6, 7), fmt="channels_first", dilation_rate=(2, 2))

_POOLS = [("valid", dict(pool_size=2, strides=2)), ("valid-overlap", dict(pool_size=3, strides=1)),
          ("same", dict(pool_size=3, strides=2, padding="same")),
          ("same-stride1", dict(pool_size=2, strides=1, padding="same"))]
for _op, _shape in (("pool1d", (2, 7, 3)), ("pool2d", (2, 5, 6, 2)), ("pool3d", (1, 4, 5, 3, 2))):
    for _mode in ("max", "avg"):
        for _label, _opts in _POOLS:
            _nd = len(_shape) - 2
            _opts = dict(_opts, pool_size=(_opts["pool_size"],) * _nd, strides=(_opts["strides"],) * _nd)
            if _op == "pool1d":
                _opts = dict(_opts, pool_size=_opts["pool_size"][0], strides=_opts["strides"][0])
            for _fmt in ("channels_last", "channels_first"):
                _s = _shape if _fmt == "channels_last" else _cf(_shape)
                _name = f"{_op}-{_mode}-{_label}" + ("-cf" if _fmt == "channels_first" else "")
                case(_name, _op, distinct(*_s), pool_mode=_mode, data_format=_fmt,
                     f16=_op == "pool2d" and _label == "valid" and _fmt == "channels_last", **_opts)
case("pool2d-rect", "pool2d", distinct(1, 5, 7, 2), pool_size=(2, 3), strides=(1, 2), pool_mode="max")
case("pool2d-avg-rect-same", "pool2d", N(1, 5, 7, 2), pool_size=(3, 2), strides=(2, 1), padding="same",
     pool_mode="avg")


# ---------------------------------------------------------------------------
# normalization and losses
# ---------------------------------------------------------------------------

case("moments", None, N(4, 3, 2), axes=(0, 1))
case("moments-keepdims", "moments", N(4, 3, 2), axes=(0,), keepdims=True)
case("moments-all", "moments", N(3, 4), axes=(0, 1))
case("batch_normalization", None, N(4, 3), N(3), U(0.5, 2, 3), N(3), N(3), f16=True)
case("batch_normalization-no-beta", "batch_normalization", N(4, 3), N(3), U(0.5, 2, 3), None, N(3))
case("batch_normalization-no-gamma", "batch_normalization", N(4, 3), N(3), U(0.5, 2, 3), N(3), None)
case("batch_normalization-axis1", "batch_normalization", N(2, 3, 4), N(3), U(0.5, 2, 3), N(3), N(3),
     axis=1, epsilon=1e-2)

_PROBS = U(0.05, 0.95, 3, 4)
case("binary_crossentropy", None, U(0, 1, 3, 4), _PROBS)


def _bce_clipped(target, output, dtype):
    """The clipped form with the bounds as the tested dtype holds them
    (1 - 1e-7 rounds to 1 - 2**-23 in float32, a 1% change of log(1 - p))."""
    eps = config.epsilon()
    lo, hi = (float(np.asarray(v, dtype)) for v in (eps, 1 - eps))
    p = np.clip(output, lo, hi)
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


case("binary_crossentropy-clipped", "binary_crossentropy", const([[0.0, 1.0, 1.0, 0.0]]),
     const([[0.0, 1.0, 0.0, 1.0]]), dtype_arg=True, ref=_bce_clipped, grad=False,
     call=lambda K, t, o, dtype: K.binary_crossentropy(t, o))  # the log of clipped 0s and 1s
case("binary_crossentropy-logits", "binary_crossentropy", U(0, 1, 3, 4), N(3, 4, scale=3.0), from_logits=True)
case("binary_crossentropy-logits-large", "binary_crossentropy", const([1.0, 0.0, 1.0, 0.0]),
     const([-200.0, -200.0, 200.0, 150.0]), from_logits=True)


def _probabilities(*shape, axis=-1):
    """Rows of targets that sum to 1."""
    def make(rng):
        x = rng.uniform(0.05, 1.0, shape)
        return x / x.sum(axis=axis, keepdims=True)
    return make


case("categorical_crossentropy", None, _probabilities(3, 4), U(0.1, 1.0, 3, 4))  # unnormalized outputs
case("categorical_crossentropy-axis1", "categorical_crossentropy", _probabilities(2, 4, 3, axis=1),
     U(0.1, 1.0, 2, 4, 3), axis=1)
case("categorical_crossentropy-clipped", "categorical_crossentropy", const([[0.0, 1.0, 0.0]]),
     const([[0.5, 0.0, 0.5]]), grad=False)
case("categorical_crossentropy-logits", "categorical_crossentropy", _probabilities(3, 4), N(3, 4, scale=2.0),
     from_logits=True)
case("categorical_crossentropy-logits-axis0", "categorical_crossentropy", _probabilities(4, 3, axis=0),
     N(4, 3), from_logits=True, axis=0)
case("sparse_categorical_crossentropy", None, I(0, 4, 3), U(0.1, 1.0, 3, 4))
case("sparse_categorical_crossentropy-trailing1", "sparse_categorical_crossentropy", I(0, 4, 3, 1),
     U(0.1, 1.0, 3, 4))
case("sparse_categorical_crossentropy-logits", "sparse_categorical_crossentropy", I(0, 5, 2, 3),
     N(2, 3, 5, scale=2.0), from_logits=True)
case("sparse_categorical_crossentropy-axis1", "sparse_categorical_crossentropy", I(0, 4, 2, 3),
     N(2, 4, 3), from_logits=True, axis=1)
case("sparse_categorical_crossentropy-int64", "sparse_categorical_crossentropy", I(0, 3, 4, dtype="int64"),
     U(0.1, 1.0, 4, 3))


# ---------------------------------------------------------------------------
# fused recurrent layers (an engine may leave a case unimplemented: NotImplementedError skips it)
# ---------------------------------------------------------------------------

OPTIONAL = {"lstm", "gru"}  # ops whose engines may raise NotImplementedError for some cases


def _tensors_only(fn):
    """fn's tuple without its None entries (outputs is None unless return_sequences)."""
    def call(*args, **kwargs):
        return tuple(t for t in fn(*args, **kwargs) if t is not None)
    return call


_MASK = const(np.array([[True, True, False, True], [False, True, True, False]]))  # row 1 starts masked
# (label, options, with a bias); inputs (batch 2, time 4, features 3), units 2
_RNN_VARIANTS = [("sequences", dict(return_sequences=True), True), ("last", {}, True),
                 ("backwards", dict(return_sequences=True, go_backwards=True), True),
                 ("mask", dict(return_sequences=True, mask=_MASK(None)), True),
                 ("mask-backwards", dict(go_backwards=True, mask=_MASK(None)), True), ("no-bias", {}, False)]


def _recurrent_cases(op, gates, bias_shape, n_states):
    for label, options, with_bias in _RNN_VARIANTS:
        inputs = [N(2, 4, 3)] + [N(2, 2, scale=0.5)] * n_states + [N(3, gates * 2, scale=0.7),
                                                                  N(2, gates * 2, scale=0.7)]
        inputs.append(N(*bias_shape, scale=0.5) if with_bias else None)
        case(f"{op}-{label}", op, *inputs, **options, call=_tensors_only(lambda K, *a, op=op, **kw:
                                                                         getattr(K, op)(*a, **kw)),
             ref=_tensors_only(getattr(R, op)))


_recurrent_cases("lstm", 4, (8,), 2)
_recurrent_cases("gru", 3, (2, 6), 1)


# optimizer kernels: v >= 0 as Adam keeps it, alpha a scalar
case("adam_update", "adam_update", N(3, 4), N(3, 4), N(3, 4, scale=0.3), U(0.01, 1.0, 3, 4), const(0.01),
     beta_1=0.9, beta_2=0.999, epsilon=1e-7)
case("adam_update-large-steps", "adam_update", N(5,), N(5, scale=4.0), N(5,), U(0.5, 2.0, 5), const(0.3),
     beta_1=0.5, beta_2=0.75, epsilon=1e-3)
# large enough for the engines' fused or blocked kernels (TensorFlow's XLA function, numpy's blocks)
case("adam_update-large", "adam_update", N(384, 512), N(384, 512), N(384, 512, scale=0.3), U(0.01, 1.0, 384, 512),
     const(0.01), grad=False, beta_1=0.9, beta_2=0.999, epsilon=1e-7)


# ops with no case here, and where they are tested instead
ELSEWHERE = {"dropout": "tests/test_random.py"}


def by_name():
    names = [c.name for c in CASES]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate case names: {sorted(duplicates)}")
    return {c.name: c for c in CASES}
