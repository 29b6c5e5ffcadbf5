"""model_to_dot / plot_model: draw a model's layer graph with pydot and Graphviz.

One box per layer (a layer shared by several calls is drawn once) and one edge
from each producing layer to each layer that consumes its output. A nested
model is one box, or, with expand_nested=True, a cluster holding its own layers.
"""

import os
import shutil

INSTALL_PYDOT = "pip install pydot"
INSTALL_GRAPHVIZ = "apt-get install graphviz (or brew install graphviz; see graphviz.org/download)"


def _pydot():
    try:
        import pydot
    except ImportError as e:
        raise ImportError(f"plot_model and model_to_dot need pydot: {INSTALL_PYDOT}. They also need the "
                          f"Graphviz `dot` program: {INSTALL_GRAPHVIZ}.") from e
    return pydot


def _check_graphviz():
    if shutil.which("dot") is None:
        raise OSError(f"plot_model needs the Graphviz `dot` program on PATH: {INSTALL_GRAPHVIZ}.")


def _is_model(layer):
    return hasattr(layer, "_graph_layers") or hasattr(layer, "_stack")


def _sub_layers(model):
    """The layers to draw for a model: its graph layers, a Sequential's input layer first."""
    if hasattr(model, "_stack"):
        first = [model._input_layer] if getattr(model, "_input_layer", None) is not None else []
        return first + list(model._stack)
    return list(model.layers)


def _edges(model):
    """(producer, consumer) layer pairs of the model's own graph, in call order, without repeats."""
    pairs = []
    if hasattr(model, "_stack"):
        chain = _sub_layers(model)
        pairs = list(zip(chain, chain[1:]))
    else:
        for node in model._nodes:
            for t in node.input_tensors:
                if t._keras_history is not None:
                    pairs.append((t._keras_history[0], node.layer))
    seen, out = set(), []
    for a, b in pairs:
        if (id(a), id(b)) not in seen:
            seen.add((id(a), id(b)))
            out.append((a, b))
    return out


def _escape(text):
    for ch in "{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text


def _shapes(layer, tensors_of):
    found = set()
    for node in layer._inbound_nodes:
        tensors = tensors_of(node)
        if not tensors:
            continue
        shapes = [tuple(t.shape) for t in tensors]
        found.add(str(shapes[0]) if len(shapes) == 1 else str(shapes))
    if not found:
        return "?"
    return found.pop() if len(found) == 1 else "multiple"


def _dtypes(layer):
    dtypes = {str(t.dtype) for node in layer._inbound_nodes for t in node.output_tensors}
    return dtypes.pop() if len(dtypes) == 1 else ("multiple" if dtypes else "?")


def _label(layer, opts):
    cls = type(layer).__name__
    title = f"{layer.name}: {cls}" if opts["show_layer_names"] else cls
    fields = [_escape(title)]
    if opts["show_layer_activations"] and hasattr(layer, "activation"):
        act = getattr(layer.activation, "__name__", str(layer.activation))
        fields.append(_escape(f"activation: {act}"))
    if opts["show_dtype"]:
        fields.append(_escape(f"dtype: {_dtypes(layer)}"))
    if opts["show_trainable"]:
        fields.append(f"trainable: {'T' if layer.trainable else 'F'}")
    if opts["show_shapes"]:
        inputs = _shapes(layer, lambda n: n.input_tensors or n.output_tensors)
        outputs = _shapes(layer, lambda n: n.output_tensors)
        fields.append(f"{{input:|output:}}|{{{{{_escape(inputs)}}}|{{{_escape(outputs)}}}}}")
    return "{" + "|".join(fields) + "}" if opts["rankdir"] in ("LR", "RL") else "|".join(fields)


def _entry_exit(layer, opts):
    """For an expanded nested model, the inner layers its incoming and outgoing edges attach to."""
    if not (opts["expand_nested"] and _is_model(layer)):
        return [layer], [layer]
    inner = _sub_layers(layer)
    if hasattr(layer, "_stack"):
        entries, exits = inner[:1], inner[-1:]
    else:
        entries = [t._keras_history[0] for t in layer.inputs]
        exits = [t._keras_history[0] for t in layer.outputs]
    ins = [e for x in entries for e in _entry_exit(x, opts)[0]]
    outs = [e for x in exits for e in _entry_exit(x, opts)[1]]
    return ins, outs


def _add_model(pydot, graph, model, opts, drawn):
    for layer in _sub_layers(model):
        if id(layer) in drawn:
            continue
        drawn.add(id(layer))
        if opts["expand_nested"] and _is_model(layer):
            cluster = pydot.Cluster(str(id(layer)), label=layer.name, style="dashed")
            _add_model(pydot, cluster, layer, opts, drawn)
            graph.add_subgraph(cluster)
        else:
            graph.add_node(pydot.Node(str(id(layer)), label=_label(layer, opts)))
    for source, target in _edges(model):
        for a in _entry_exit(source, opts)[1]:
            for b in _entry_exit(target, opts)[0]:
                graph.add_edge(pydot.Edge(str(id(a)), str(id(b))))


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False,
                 **kwargs):
    """Return a pydot.Dot graph of `model` (nodes are named by id(layer), as in Keras).

    rankdir: "TB" (top to bottom) or "LR" (left to right) Graphviz layout direction.
    expand_nested: draw nested models as clusters of their layers.
    subgraph: return a pydot.Cluster instead of a Dot (for embedding).
    """
    unknown = set(kwargs) - {"layer_range"}
    if unknown:
        raise TypeError(f"model_to_dot got unexpected arguments {sorted(unknown)}.")
    if kwargs.get("layer_range") is not None:
        raise NotImplementedError("model_to_dot: layer_range is not supported; draw the whole model.")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f'rankdir must be "TB", "LR", "BT" or "RL"; got {rankdir!r}.')
    if not _is_model(model):
        raise TypeError(f"model_to_dot needs a Sequential or functional model; got {type(model).__name__}.")
    if hasattr(model, "_stack") and not model.built:
        raise ValueError(f"Sequential model '{model.name}' is not built yet, so its shapes are unknown: give it "
                         "an Input or input_shape, or call it on data before plotting.")
    pydot = _pydot()
    if subgraph:
        graph = pydot.Cluster(str(id(model)), label=model.name, style="dashed")
    else:
        graph = pydot.Dot(graph_type="digraph")
        graph.set("rankdir", rankdir)
        graph.set("concentrate", "true")
        graph.set("dpi", str(dpi))
        graph.set_node_defaults(shape="record")
    opts = dict(show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names, rankdir=rankdir,
                expand_nested=expand_nested, show_layer_activations=show_layer_activations,
                show_trainable=show_trainable)
    _add_model(pydot, graph, model, opts, set())
    return graph


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               **kwargs):
    """Draw `model` into `to_file`; the extension (png, svg, pdf, ...) picks the format.
    Returns an IPython Image of a PNG when IPython is available, else None."""
    _pydot()
    _check_graphviz()
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable, **kwargs)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    dot.write(to_file, format=extension)
    if extension == "png":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
