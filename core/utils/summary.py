"""model.summary(): the familiar table of layers, output shapes and parameter
counts, with comma-grouped totals."""

import numpy as np


def _count(weights):
    return int(sum(np.prod(v.shape, dtype=np.int64) for v in weights))


def _size(weights):
    nbytes = int(sum(np.prod(v.shape, dtype=np.int64) * np.dtype(v.dtype).itemsize
                     for v in weights if v.dtype != "bfloat16"))
    nbytes += int(sum(np.prod(v.shape, dtype=np.int64) * 2 for v in weights if v.dtype == "bfloat16"))
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.2f} {unit}" if unit != "B" else f"{nbytes} B"
        nbytes /= 1024
    return ""


def _output_shape(layer):
    nodes = layer._inbound_nodes
    if not nodes:
        return "?"
    shapes = {str(tuple(t.shape)) if len(n.output_tensors) == 1 else str([tuple(t.shape) for t in n.output_tensors])
              for n in nodes for t in n.output_tensors[:1]}
    return shapes.pop() if len(shapes) == 1 else "multiple"


def _connections(layer, model_nodes):
    out = []
    for node in layer._inbound_nodes:
        if id(node) not in model_nodes:
            continue
        for t in node.input_tensors:
            source, index, tensor_index = t._keras_history
            out.append(f"{source.name}[{index}][{tensor_index}]")
    return out


def _fit(text, width):
    text = str(text)
    return text if len(text) <= width - 1 else text[:width - 2] + "…"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False):
    print_fn = print_fn or print
    nodes = getattr(model, "_nodes", None)
    functional = nodes is not None and hasattr(model, "_graph_layers")
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional else [])
    line_length = line_length or (98 if functional else 65)
    positions = positions or ([.3, .6, .70, 1.] if functional else [.45, .85, 1.])
    if all(p <= 1 for p in positions):
        positions = [int(line_length * p) for p in positions]
    if show_trainable:
        headers.append("Trainable")
        positions.append(line_length + 11)
        line_length += 11
    model_nodes = {id(n) for n in nodes} if functional else set()

    def row(fields):
        line, start = "", 0
        for field, end in zip(fields, positions):
            line += _fit(field, end - start).ljust(end - start)
            start = end
        print_fn(" " + line.rstrip())

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    row(headers)
    print_fn("=" * line_length)

    def describe(layer, indent):
        params = _count(layer.weights) if layer.built else 0
        built = "" if layer.built or layer.weights else " (unbuilt)"
        cells = [f"{indent}{layer.name} ({type(layer).__name__})", _output_shape(layer), f"{params:,}{built}"]
        links = _connections(layer, model_nodes) if functional else []
        if functional:
            cells.append(links[0] if links else "-")
        if show_trainable:
            cells.append("Y" if layer.trainable else "N")
        row(cells)
        for extra in links[1:]:
            row([""] * 3 + [extra] + ([""] if show_trainable else []))
        if expand_nested and hasattr(layer, "layers"):
            for sub in layer.layers:
                describe(sub, indent + "  ")

    layers = model.layers
    for i, layer in enumerate(layers):
        describe(layer, "")
        print_fn("=" * line_length if i == len(layers) - 1 else "")
    if not layers:
        print_fn("=" * line_length)

    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    total = trainable + non_trainable
    print_fn(f"Total params: {_count(total):,} ({_size(total)})")
    print_fn(f"Trainable params: {_count(trainable):,} ({_size(trainable)})")
    print_fn(f"Non-trainable params: {_count(non_trainable):,} ({_size(non_trainable)})")
    print_fn("_" * line_length)
