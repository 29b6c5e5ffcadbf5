"""Nested structures (lists, tuples, dicts; anything else is a leaf), for the
engines whose framework has no pytree of its own that we can rely on."""


def flatten(structure):
    """(leaves, treedef): leaves in a fixed order (dicts by sorted key)."""
    if not isinstance(structure, (list, tuple, dict)):
        return [structure], None
    leaves = []

    def walk(s):
        if isinstance(s, (list, tuple)):
            return (type(s), [walk(c) for c in s])
        if isinstance(s, dict):
            keys = sorted(s)
            return (dict, keys, [walk(s[k]) for k in keys])
        leaves.append(s)
        return None

    return leaves, walk(structure)


def unflatten(treedef, leaves):
    """Rebuild the structure described by treedef from leaves."""
    it = iter(leaves)

    def build(d):
        if d is None:
            return next(it)
        if d[0] is dict:
            return {k: build(c) for k, c in zip(d[1], d[2])}
        kind, children = d
        items = [build(c) for c in children]
        return kind(*items) if hasattr(kind, "_fields") else kind(items)

    return build(treedef)


def map_structure(fn, *structures):
    """Apply fn leaf-wise over structures of the same shape."""
    if len(structures) == 1 and not isinstance(structures[0], (list, tuple, dict)):
        return fn(structures[0])
    flat = [flatten(s) for s in structures]
    treedef = flat[0][1]
    return unflatten(treedef, [fn(*leaves) for leaves in zip(*(f[0] for f in flat))])


def signature(structure, leaf_key, flat):
    """A hashable key of structure's nesting (plain lists, tuples and dicts), each leaf
    keyed by leaf_key(leaf, flat), which appends the leaf to flat when it is a tensor and
    returns None for a leaf that cannot be keyed; the key is then None. Compiled calls
    look their traced program up by it (the TensorFlow and numpy engines' K.jit)."""
    kind = type(structure)
    if kind is list or kind is tuple:
        parts = tuple(signature(s, leaf_key, flat) for s in structure)
        return None if None in parts else (kind, parts)
    if kind is dict:
        keys = sorted(structure)
        parts = tuple(signature(structure[k], leaf_key, flat) for k in keys)
        return None if None in parts else (dict, tuple(keys), parts)
    return leaf_key(structure, flat)
