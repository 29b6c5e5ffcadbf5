"""Weights in Keras 3's `.weights.h5` layout: one group per object, at its
attribute path (see object_tree), holding `vars/0..n` (the object's own
variables, trainable first) with the object's name as the `vars` group's
attribute; the model's own variables in the root `vars`; the optimizer's state
under `optimizer/vars` (iterations first)."""

import warnings

import numpy as np

from .object_tree import is_optimizer, own_variables, walk


def write_weights(model, h5):
    """Write every object's variables into the open h5py File (or group) h5."""
    for path, obj in walk(model):
        group = h5.require_group(path) if path else h5
        holder = group.create_group("vars")
        holder.attrs["name"] = str(obj.name)
        for i, var in enumerate(own_variables(obj)):
            holder.create_dataset(str(i), data=np.asarray(var.numpy()))


def read_weights(model, h5, skip_mismatch=False, source="the file"):
    """Assign the variables stored in h5 (an open h5py File or group) to model.
    A missing group or a count/shape mismatch raises (naming the object and both
    shapes) unless skip_mismatch, which warns and leaves that object as it was."""
    for path, obj in walk(model):
        if is_optimizer(obj):
            _read_optimizer(model, obj, h5, _key(path), source)
            continue
        variables = own_variables(obj)
        if not variables:
            continue
        key = _key(path)
        where = f"{type(obj).__name__} '{obj.name}' (at '{key}' in {source})"
        if key not in h5:
            _mismatch(f"{where}: the file has no weights for it, but the model's object has {len(variables)} "
                      f"variable(s) {[v.name for v in variables]}. Was the file saved from a model with the same "
                      "architecture?", skip_mismatch)
            continue
        values = [h5[key][str(i)][()] for i in range(len(h5[key])) if str(i) in h5[key]]
        problem = _check(variables, values)
        if problem:
            _mismatch(f"{where}: {problem}", skip_mismatch)
            continue
        for var, value in zip(variables, values):
            var.assign(value)


def _key(path):
    return f"{path}/vars" if path else "vars"


def _check(variables, values):
    if len(values) != len(variables):
        return (f"expected {len(variables)} variables {[v.name for v in variables]}, but the file holds "
                f"{len(values)}.")
    for i, (var, value) in enumerate(zip(variables, values)):
        if tuple(value.shape) != tuple(var.shape):
            return (f"variable {i} '{var.name}' has shape {tuple(var.shape)} in the model but "
                    f"{tuple(value.shape)} in the file.")
    return None


def _mismatch(message, skip):
    if not skip:
        raise ValueError(message + " Pass skip_mismatch=True to skip such weights.")
    warnings.warn("Skipping weights: " + message, stacklevel=4)


def _read_optimizer(model, optimizer, h5, key, source):
    """Optimizer state is loaded when it fits (Keras warns, never fails, on this)."""
    if key not in h5:
        return
    saved = len(h5[key])
    if not optimizer.built and saved > len(optimizer.variables) and model.built:
        optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    values = [h5[key][str(i)][()] for i in range(saved) if str(i) in h5[key]]
    problem = _check(variables, values)
    if problem:
        warnings.warn(f"Not loading the state of optimizer '{optimizer.name}' from {source}: {problem} The model's "
                      "weights are loaded; training starts with a fresh optimizer state.", stacklevel=3)
        return
    for var, value in zip(variables, values):
        var.assign(value)
