"""Record once, then replay: how the numpy engine's K.jit saves the Python of a step.

numpy has no compiler, but a compiled step is a pure function of its arrays (the
trainer writes it for jax.jit), so the Python between its array kernels (layers,
losses, the optimizer, the tape walk) takes the same path on every call with
arrays of the same shapes. K.jit therefore runs a function's first call as is
while recording each kernel call the engine makes: the function called, and where
each argument came from (an input, an earlier call's result, or a constant). The
second call runs as is too, and the record is replayed on copies of its inputs:
only if every output matches bit for bit do later calls replay the record alone.

What a record cannot see makes the function run as is on every call:
- seen while recording: a Variable read or written outside the function's
  arguments (state the record would freeze), a traced value read on the host
  (bool(x), a cond or a while loop on a tensor);
- found by the check on the second call: any other host computation whose
  result changes from call to call.
Constants are kept as frozen copies, as jax.jit keeps the constants of its trace.
KBACKEND_REPLAY=0 in the environment turns replays off (every call runs as is);
KBACKEND_REPLAY_DEBUG=1 prints why a function is not replayed.
"""

import os
import threading
import weakref

import numpy as np

from kbackend import tree

_local = threading.local()  # .recorder: the record being made in this thread, if any
_DEBUG = os.environ.get("KBACKEND_REPLAY_DEBUG") == "1"  # print why a function is not replayed
_MAX_PROGRAMS = 8  # signatures recorded per function (the last, partial batch has its own)


def call(fn, *args, **kwargs):
    """fn(*args, **kwargs), recorded as one kernel call while a K.jit call is recorded."""
    rec = getattr(_local, "recorder", None)
    return fn(*args, **kwargs) if rec is None else rec.call(fn, args, kwargs)


def recorder():
    """The record being made in this thread (None when none)."""
    return getattr(_local, "recorder", None)


def opaque(why):
    """Note that the call being recorded does something a replay would not redo."""
    rec = getattr(_local, "recorder", None)
    if rec is not None and rec.opaque is None:
        rec.opaque = why


class _Strong:
    """A strong reference that reads like a weak one."""
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __call__(self):
        return self.obj


class _Slot:
    """An argument taken from the replay's slot `index`."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class _Pack:
    """A list, tuple or dict argument with slots inside."""
    __slots__ = ("kind", "keys", "parts")

    def __init__(self, kind, keys, parts):
        self.kind, self.keys, self.parts = kind, keys, parts


def _frozen(array):
    copy = np.array(array, copy=True)
    copy.flags.writeable = False  # a replay that writes into a constant fails loudly
    return copy


def _build(source, env, fresh=False):
    """The value `source` stands for; fresh: constant arrays as copies of their own."""
    kind = type(source)
    if kind is _Slot:
        return env[source.index]
    if kind is _Pack:
        parts = [_build(p, env, fresh) for p in source.parts]
        if source.kind is dict:
            return dict(zip(source.keys, parts))
        if source.kind is list:
            return parts
        return source.kind(*parts) if hasattr(source.kind, "_fields") else source.kind(parts)
    return np.array(source) if fresh and kind is np.ndarray else source


def _store(plan, value, env):
    if type(plan) is int:
        env[plan] = value
    else:
        for k, sub in plan:
            _store(sub, value[k], env)


class _Recorder:
    def __init__(self, inputs):
        self.index = {}     # id(object) -> slot, while the object lives (an id is reused after)
        self.objects = []   # slot -> a weak reference to its object (or the object, when it has none)
        self.steps = []     # (fn source, argument sources, keyword sources, result plan)
        self.opaque = None  # why the record cannot be replayed, once known
        self.where = []     # with KBACKEND_REPLAY_DEBUG: each step's caller
        for x in inputs:
            self._bind(x)

    def _bind(self, obj):
        slot, key = len(self.objects), id(obj)
        try:
            ref = weakref.ref(obj, lambda _, key=key, slot=slot: self._forget(key, slot))
        except TypeError:  # numpy scalars: kept alive
            ref = _Strong(obj)
        self.index[key] = slot
        self.objects.append(ref)
        return slot

    def _forget(self, key, slot):
        if self.index.get(key) == slot:
            del self.index[key]

    def source(self, value):
        slot = self.index.get(id(value))
        if slot is not None:
            return _Slot(slot)
        kind = type(value)
        if kind is list or kind is dict or isinstance(value, tuple):
            keys = sorted(value) if kind is dict else None
            items = [value[k] for k in keys] if kind is dict else value
            parts = [self.source(v) for v in items]
            if any(type(p) in (_Slot, _Pack) for p in parts) or any(p is not v for p, v in zip(parts, items)):
                return _Pack(kind, keys, parts)
            return value
        if kind is np.ndarray:
            from .donation import is_state
            if self.opaque is None and (is_state(value) or self._derived(value)):
                self.opaque = "an array computed outside the engine's kernels (or a Variable's value) is used"
            return _frozen(value)
        return value

    def follows(self, obj):
        """Whether obj is an input or the result of a recorded call."""
        slot = self.index.get(id(obj))
        return slot is not None and self.objects[slot]() is obj

    def _derived(self, array):
        """Whether array is a view of an array the record follows (a computation it cannot see)."""
        base = array.base
        while base is not None:
            if id(base) in self.index:
                return True
            base = getattr(base, "base", None)
        return False

    def _plan(self, result):
        """Slots for the values in a call's result (arrays, functions, any other object but a
        Python scalar, which may be shared with constants): an int, or [(position, plan)]."""
        if isinstance(result, (np.ndarray, np.generic)):  # (np.float64 is a float too)
            return self._bind(result)
        if isinstance(result, (tuple, list)):
            plan = [(k, p) for k, p in ((k, self._plan(v)) for k, v in enumerate(result)) if p is not None]
            return plan or None
        if result is None or isinstance(result, (bool, int, float, complex, str, bytes)):
            return None
        return self._bind(result)

    def call(self, fn, args, kwargs):
        step = (self.source(fn), [self.source(a) for a in args], {k: self.source(v) for k, v in kwargs.items()})
        _local.recorder = None  # calls inside fn are part of it: replayed by calling fn again
        try:
            result = fn(*args, **kwargs)
        finally:
            _local.recorder = self
        self.steps.append(step + (self._plan(result),))
        if _DEBUG:
            self.where.append(_caller())
        return result


class _Program:
    """A record ready to replay: each step's arguments rebuilt from slots; every slot is
    freed after its last use, so a replay holds no more memory than the function did."""

    def __init__(self, rec, result):
        self.size = len(rec.objects)
        self.result = result  # its source
        last = {}
        for i, (fn, args, kwargs, _) in enumerate(rec.steps):
            for s in _slots_in([fn] + list(args) + list(kwargs.values())):
                last[s] = i
        kept = set(_slots_in([result]))
        frees = {}
        for s, i in last.items():
            if s not in kept:
                frees.setdefault(i, []).append(s)
        self.steps = []
        for i, (fn, args, kwargs, plan) in enumerate(rec.steps):
            if all(type(a) is not _Pack for a in args):  # the common case: a list comprehension rebuilds them
                args = (True, [(type(a) is _Slot, a.index if type(a) is _Slot else a) for a in args])
            else:
                args = (False, args)
            if all(type(v) not in (_Slot, _Pack) for v in kwargs.values()):
                kwargs = (True, kwargs)  # all constant: passed as is
            else:
                kwargs = (False, kwargs)
            self.steps.append((fn, args, kwargs, plan, tuple(frees.get(i, ()))))

    def run(self, inputs):
        env = list(inputs) + [None] * (self.size - len(inputs))
        for fn, (simple, spec), (constant, kwargs), plan, frees in self.steps:
            if type(fn) is _Slot:
                fn = env[fn.index]
            if simple:
                args = [env[v] if is_slot else v for is_slot, v in spec]
            else:
                args = [_build(a, env) for a in spec]
            if not constant:
                kwargs = {k: _build(v, env) for k, v in kwargs.items()}
            result = fn(*args, **kwargs)
            if type(plan) is int:
                env[plan] = result
            elif plan is not None:
                for k, sub in plan:
                    if type(sub) is int:
                        env[sub] = result[k]
                    else:
                        _store(sub, result[k], env)
            for s in frees:
                env[s] = None
        return _build(self.result, env, fresh=True)


def _slots_in(sources):
    for s in sources:
        if type(s) is _Slot:
            yield s.index
        elif type(s) is _Pack:
            yield from _slots_in(s.parts)


def _leaf_key(leaf, arrays):
    """An array's type, shape and dtype (appended to arrays); another value itself, as part
    of the key; None for a traced value (a call inside a gradient: the tape must see its
    ops) or an unhashable one."""
    kind = type(leaf)
    if kind is np.ndarray or isinstance(leaf, np.generic):
        arrays.append(leaf)
        return kind, leaf.shape, leaf.dtype
    if kind is _Box:
        return None
    try:
        hash(leaf)
    except TypeError:
        return None
    return ("value", kind, leaf)


class _Box:
    """Placeholder for autodiff.Box (set by autodiff, which imports this module)."""


def _arrays_in(structure):
    arrays = []
    tree.signature(structure, _leaf_key, arrays)
    return arrays


def _same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (np.ndarray, np.generic)):
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
            a, b, equal_nan=a.dtype.kind in "fc")
    return a == b


class _Entry:
    """One signature's record: state 'record', 'verify', 'replay' or 'eager' (run as is)."""
    __slots__ = ("program", "state", "record")

    def __init__(self):
        self.program, self.state, self.record = None, "record", None


class Replayed:
    """fn behind K.jit: recorded on its first call per signature, checked on the second,
    replayed after (see the module docstring). `context(thunk, args, kwargs, donate)` runs
    thunk() the way the engine runs a compiled call (denormals flushed; the arguments
    K.jit was told to donate donated, unless donate is False)."""

    def __init__(self, fn, context, donate=frozenset()):
        self.fn, self.context, self.donate = fn, context, donate
        self.entries = {}
        self.replays = 0  # calls a replay served (for tests and benchmarks)
        self.enabled = os.environ.get("KBACKEND_REPLAY", "1") != "0"  # 0: every call runs as is

    @staticmethod
    def _key(args, kwargs):
        leaves = []
        key = tree.signature((args, kwargs), _leaf_key, leaves)
        ids = [id(x) for x in leaves]
        if key is not None and len(set(ids)) != len(ids):  # one array in several places: its own record
            key = (key, tuple(ids.index(i) for i in ids))
        return key, leaves

    def __call__(self, *args, **kwargs):
        if getattr(_local, "recorder", None) is not None:
            return self.fn(*args, **kwargs)  # inside another record: part of it
        if not self.enabled:
            return self._as_is(args, kwargs)
        key, leaves = self._key(args, kwargs)
        entry = None if key is None else self.entries.get(key)
        if entry is None:
            if key is None or len(self.entries) >= _MAX_PROGRAMS:
                return self._as_is(args, kwargs)
            entry = self.entries[key] = _Entry()
        state = entry.state
        if state == "replay":
            program = entry.program
            self.replays += 1
            return self.context(lambda: program.run(leaves), args, kwargs, True)
        if state == "record":
            return self._record(entry, leaves, args, kwargs)
        if state == "verify":
            return self._verify(entry, leaves, args, kwargs)
        return self._as_is(args, kwargs)

    def _as_is(self, args, kwargs):
        return self.context(lambda: self.fn(*args, **kwargs), args, kwargs, True)

    def _record(self, entry, leaves, args, kwargs):
        from .autodiff import Box, raw
        rec = _Recorder(leaves)
        # arrays go in as Boxes without a node, so Python operators on them (and on what
        # is computed from them) are engine ops, which the record sees
        traced_args, traced_kwargs = tree.map_structure(
            lambda a: Box(a, None) if isinstance(a, (np.ndarray, np.generic)) else a, (list(args), kwargs))
        _local.recorder = rec
        try:
            result = self.context(lambda: self.fn(*traced_args, **traced_kwargs), args, kwargs, True)
        finally:
            _local.recorder = None
        result = tree.map_structure(raw, result)
        source = rec.source(result)
        entry.record = rec if _DEBUG else None
        if rec.opaque is None:
            entry.program = _Program(rec, source)
            entry.state = "verify"
        else:
            entry.state = "eager"
            _report(self.fn, rec.opaque)
        return result

    def _verify(self, entry, leaves, args, kwargs):
        # the call may update its donated arrays in place: the replay gets copies of them
        donated = {id(x) for i in self.donate if i < len(args) for x in _arrays_in(args[i])}
        copies = [np.array(x, copy=True) if id(x) in donated else x for x in leaves]
        second = _Entry()
        result = self._record(second, leaves, args, kwargs) if _DEBUG else self._as_is(args, kwargs)
        program = entry.program
        try:
            again = self.context(lambda: program.run(copies), args, kwargs, False)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the function runs as is from now on
            entry.state, entry.program = "eager", None
            _report(self.fn, f"the replay failed ({type(exc).__name__}: {exc})")
            return result
        if _same(result, again):
            entry.state = "replay"
        else:
            entry.state, entry.program = "eager", None
            why = "the replay's outputs differ from the function's"
            if _DEBUG:  # where the second call's record parts from the first
                why += "; records differ at " + _diff_records(entry.record, second.record)
            _report(self.fn, why)
        return result


def _caller():
    import traceback
    frames = [f for f in traceback.extract_stack()[:-3] if "kbackend_numpy/replay.py" not in f.filename]
    return " <- ".join(f"{f.filename.split('/')[-1]}:{f.lineno} {f.name}" for f in frames[-4:][::-1])


def _diff_records(a, b):
    """With KBACKEND_REPLAY_DEBUG: the first step where two records of one function differ."""
    for i, (x, y) in enumerate(zip(a.steps, b.steps)):
        for u, v in zip([x[0]] + list(x[1]) + list(x[2].values()), [y[0]] + list(y[1]) + list(y[2].values())):
            if not _same_source(u, v):
                return f"step {i} ({a.where[i]}): {u!r:.80} vs {v!r:.80}"
    return f"{len(a.steps)} vs {len(b.steps)} steps" if len(a.steps) != len(b.steps) else "none"


def _same_source(u, v):
    if type(u) is not type(v):
        return False
    if type(u) is _Slot:
        return u.index == v.index
    if type(u) is _Pack:
        return len(u.parts) == len(v.parts) and all(_same_source(p, q) for p, q in zip(u.parts, v.parts))
    if isinstance(u, np.ndarray):
        return u.shape == v.shape and u.dtype == v.dtype and np.array_equal(u, v)
    try:
        return bool(u == v) or u is v
    except Exception:  # noqa: BLE001
        return u is v


def _report(fn, why):
    if _DEBUG:
        print(f"kbackend_numpy K.jit: {getattr(fn, '__qualname__', fn)} runs as is: {why}")
