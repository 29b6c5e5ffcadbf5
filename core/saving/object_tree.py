"""Where each object's variables live in a Keras 3 weights file.

An object (a layer, the model, its optimizer) is addressed by the attribute
path that reaches it from the model: `layers/dense_1`, `layers/lstm/cell`,
`optimizer`. Sub-objects held in lists or dicts are named by their snake_case
class name with `_1`, `_2`... for repeats (layer names are not used: they
differ between two instances of the same model). A functional or Sequential
model's `layers` come first; then public attributes in name order, then private
ones. Every object is visited once, at the first path that reaches it.
"""

from ..engine.naming import to_snake_case

# attributes that only repeat the model's own structure, or hold no state
_SKIP = {"_input_layer", "_stack", "_graph_layers", "_nodes", "_traced", "_inbound_nodes", "_outbound_nodes"}
_base_names = None


def _classes():
    # imported on use: core.layers imports core.saving, so this module loads before them
    from ..layers.input_layer import InputLayer
    from ..layers.layer import Layer
    from ..optimizers.optimizer import Optimizer
    return Layer, InputLayer, Optimizer


def is_saveable(obj):
    Layer, _, Optimizer = _classes()
    return isinstance(obj, (Layer, Optimizer))


def is_optimizer(obj):
    return isinstance(obj, _classes()[2])


def _skipset():
    # names every layer has: never sub-objects of a particular layer
    global _base_names
    if _base_names is None:
        Layer = _classes()[0]
        _base_names = set(dir(Layer)) | set(vars(Layer(name="saving_probe"))) | _SKIP
    return _base_names


def _attribute_names(obj):
    names = set(vars(obj))
    for cls in type(obj).__mro__:
        names.update(k for k, v in vars(cls).items() if isinstance(v, property))
    names -= _skipset()
    names = [n for n in names if not n.startswith("__")]
    return sorted(names, key=lambda n: (n.startswith("_"), n))


def _children(obj):
    from ..models.functional import Functional
    from ..models.sequential import Sequential
    if isinstance(obj, (Functional, Sequential)):
        yield "layers", obj.layers
    if is_optimizer(obj):
        return
    for name in _attribute_names(obj):
        try:
            value = getattr(obj, name)
        except Exception:  # a property that cannot be computed now (e.g. a layer's .input) holds nothing
            continue
        yield name, value


def walk(root):
    """[(path, object)] for root ("") and every saveable reachable from it."""
    out, visited = [], set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for name, child in _children(obj):
            if is_saveable(child):
                visit(child, _join(path, name))
            elif isinstance(child, (list, tuple, dict)):
                visit_container(child, _join(path, name))

    def visit_container(container, path):
        used = {}
        for item in (container.values() if isinstance(container, dict) else container):
            if not is_saveable(item):
                continue
            name = to_snake_case(type(item).__name__)
            used[name] = used.get(name, -1) + 1
            visit(item, _join(path, name if used[name] == 0 else f"{name}_{used[name]}"))

    visit(root, "")
    return out


def _join(path, name):
    return f"{path}/{name}" if path else name


def own_variables(obj):
    """The variables an object itself holds, in file order (trainable first)."""
    if is_optimizer(obj):
        return list(obj.variables)
    if isinstance(obj, _classes()[1]):
        return []
    own = obj._own_variables()
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]
