"""Layer: the unit models are made of.

A layer creates its weights in `build(input_shape)` on its first call, then
maps inputs to outputs in `call`. The same `call` serves three uses:
- eager calls on arrays or engine tensors (the result is an engine tensor),
- symbolic calls on KerasTensors (from `Input`), which infer the output shape
  and record a Node so that a functional Model can replay the graph,
- the trainer's stateless step, where Variables read the values the step was
  given (kbackend.StatelessScope) and gradients flow through the engine.
"""

import inspect
import warnings

import numpy as np

import kbackend as K
from kbackend import dtypes, tree
from kbackend.scope import StatelessScope
from kbackend.seed import SeedGenerator

from ..engine import call_context, masks, naming
from ..engine.keras_tensor import KerasTensor, any_symbolic
from ..engine.node import Node
from .input_spec import assert_input_compatibility

_BASE_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights",
                "batch_shape", "input_length", "dynamic", "autocast"}


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in x)


def _shape_of(x):
    if isinstance(x, KerasTensor):
        return x.shape
    if isinstance(x, K.Variable):
        return x.shape
    return tuple(K.int_shape(x))


def _mixed_policy(dtype):
    if isinstance(dtype, dict):  # Keras 3's serialized DTypePolicy
        dtype = dtype.get("config", {}).get("name", dtype)
    if dtype in ("mixed_float16", "mixed_bfloat16"):
        return "float32", dtype.split("_")[1]
    if dtype is None:
        return None, None
    name = dtypes.standardize_dtype(dtype)
    return name, name


class Layer:
    def __init__(self, trainable=True, name=None, dtype=None, activity_regularizer=None, **kwargs):
        unknown = set(kwargs) - _BASE_KWARGS
        if unknown:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected keyword argument(s) "
                            f"{sorted(unknown)}.")
        self._init_tracking()
        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        if not isinstance(self.name, str) or "/" in self.name:
            raise ValueError(f"Layer name must be a string without '/'; got {self.name!r}.")
        self._trainable = bool(trainable)
        self._dtype_arg = dtype
        self._variable_dtype, self._compute_dtype = _mixed_policy(dtype)
        from .. import regularizers
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.supports_masking = getattr(self, "supports_masking", False)
        self.input_spec = None
        self._batch_input_shape = self._input_shape_from_kwargs(kwargs)
        self._initial_weights = kwargs.get("weights")

    def _init_tracking(self):
        # set through object.__setattr__ so subclasses may assign attributes
        # before calling Layer.__init__ (tracking is by walking __dict__)
        d = self.__dict__
        d.setdefault("_own_weights", [])
        d.setdefault("_losses", [])
        d.setdefault("_callable_losses", [])
        d.setdefault("_added_metrics", [])
        d.setdefault("_inbound_nodes", [])
        d.setdefault("_outbound_nodes", [])

    def __setattr__(self, name, value):
        if "_own_weights" not in self.__dict__ and not name.startswith("__"):
            self._init_tracking()
        object.__setattr__(self, name, value)

    @staticmethod
    def _input_shape_from_kwargs(kwargs):
        if kwargs.get("batch_input_shape") is not None:
            return tuple(kwargs["batch_input_shape"])
        if kwargs.get("batch_shape") is not None:
            return tuple(kwargs["batch_shape"])
        shape = kwargs.get("input_shape")
        if shape is None and kwargs.get("input_dim") is not None:
            length = kwargs.get("input_length")
            shape = (kwargs["input_dim"],) if length is None else (length, kwargs["input_dim"])
        if shape is None:
            return None
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        return (kwargs.get("batch_size"),) + tuple(shape)

    # -- dtypes ----------------------------------------------------------------
    @property
    def dtype(self):
        return self._variable_dtype or K.floatx()

    @property
    def compute_dtype(self):
        return self._compute_dtype or K.floatx()

    @property
    def variable_dtype(self):
        return self.dtype

    # -- weights ---------------------------------------------------------------
    def add_weight(self, *args, **kwargs):
        """add_weight(shape=None, initializer=None, dtype=None, trainable=True,
        regularizer=None, constraint=None, name=None); Keras 2's order
        add_weight(name, shape, dtype, initializer, regularizer, trainable,
        constraint) is accepted too."""
        if args and isinstance(args[0], str):
            order = ["name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint"]
        else:
            order = ["shape", "initializer", "dtype", "trainable", "autocast", "regularizer", "constraint",
                     "aggregation", "name"]
        if len(args) > len(order):
            raise TypeError(f"add_weight() takes at most {len(order)} positional arguments.")
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"add_weight() got multiple values for argument '{key}'.")
            kwargs[key] = value
        return self._add_weight(**kwargs)

    def _add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                    regularizer=None, constraint=None, aggregation="none", name=None, **legacy):
        from .. import constraints, initializers, regularizers
        unknown = set(legacy) - {"synchronization", "use_resource", "partitioner", "experimental_autocast"}
        if unknown:
            raise TypeError(f"add_weight() got unexpected keyword argument(s) {sorted(unknown)}.")
        shape = () if shape is None else tuple(int(d) if d is not None else None for d in shape)
        if any(d is None for d in shape):
            raise ValueError(f"Layer '{self.name}': weight '{name}' needs a fully known shape; got {shape}. "
                             "Build the layer with known input dimensions (all but the batch size).")
        dtype = dtypes.standardize_dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtypes.is_float(dtype) else "zeros"
        init = initializers.get(initializer)
        value = init(shape, dtype=dtype)
        var = K.Variable(value, dtype=dtype, name=name or f"variable_{len(self._own_weights)}",
                         trainable=trainable, constraint=constraints.get(constraint))
        var.path = f"{self.name}/{var.name}"
        var.regularizer = regularizers.get(regularizer)
        var._layer_name = self.name
        self._own_weights.append(var)
        return var

    def _tracked_layers(self):
        """Sub-layers in attribute order (found in attributes, lists, tuples, dicts)."""
        found, seen = [], set()

        def visit(value):
            if isinstance(value, Layer):
                if id(value) not in seen and value is not self:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for v in value:
                    visit(v)
            elif isinstance(value, dict):
                for v in value.values():
                    visit(v)
        for key, value in self.__dict__.items():
            if key in ("_inbound_nodes", "_outbound_nodes") or key.startswith("_keras_"):
                continue
            visit(value)
        return found

    def _own_variables(self):
        """Variables created here: add_weight's, and Variables assigned as attributes."""
        own, seen = list(self._own_weights), {id(v) for v in self._own_weights}
        for value in self.__dict__.values():
            if isinstance(value, K.Variable) and id(value) not in seen:
                seen.add(id(value))
                own.append(value)
        return own

    def _flatten_layers(self, include_self=True):
        out, seen = [], set()

        def walk(layer):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            out.append(layer)
            for sub in layer._tracked_layers():
                walk(sub)
        walk(self)
        return out if include_self else out[1:]

    def _seed_generators(self):
        return [v for v in self.__dict__.values() if isinstance(v, SeedGenerator)]

    def _collect(self, pick):
        out, seen = [], set()
        for layer in self._flatten_layers():
            for v in pick(layer):
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def weights(self):
        return self._collect(lambda layer: [v for v in layer._own_variables() if v.trainable] +
                             [v for v in layer._own_variables() if not v.trainable])

    @property
    def trainable_weights(self):
        return self._collect(lambda layer: [v for v in layer._own_variables() if v.trainable]
                             if layer._effectively_trainable() else [])

    @property
    def non_trainable_weights(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    def _effectively_trainable(self):
        # a frozen outer layer freezes everything in it (set by the trainable setter)
        return self._trainable

    trainable_variables = property(lambda self: self.trainable_weights)

    @property
    def non_trainable_variables(self):
        """Non-trainable weights plus random-seed states: everything a
        stateless step must carry besides the trainable weights."""
        seeds = self._collect(lambda layer: [g.state for g in layer._seed_generators()])
        return self.non_trainable_weights + seeds

    @property
    def variables(self):
        return self.trainable_variables + self.non_trainable_variables

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        for layer in self._flatten_layers():
            layer._trainable = bool(value)

    def get_weights(self):
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(f"Layer '{self.name}' expects {len(params)} weight arrays, but received "
                             f"{len(weights)}. Its weights are: {[v.path for v in params]}.")
        for var, value in zip(params, weights):
            value = np.asarray(value)
            if tuple(value.shape) != tuple(var.shape):
                owner = getattr(var, "_layer_name", self.name)
                raise ValueError(f"Layer '{owner}' weight '{var.name}' has shape {tuple(var.shape)}, but the "
                                 f"provided weight has shape {tuple(value.shape)}.")
        for var, value in zip(params, weights):
            var.assign(np.asarray(value))

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call count_params on layer '{self.name}', but the layer isn't "
                             "built. Build it first (call it on data, or call layer.build(input_shape)).")
        return int(sum(np.prod(v.shape, dtype=np.int64) for v in self.weights))

    # -- losses ----------------------------------------------------------------
    def add_loss(self, loss):
        """A tensor (from inside call) or a zero-argument callable (evaluated
        each time `losses` is read)."""
        if callable(loss):
            self._callable_losses.append(loss)
        else:
            self._losses.append(loss)

    @property
    def losses(self):
        return [loss for layer in self._flatten_layers() for loss in layer._own_losses()]

    def _own_losses(self):
        out = list(self._losses) + [fn() for fn in self._callable_losses]
        for v in self._own_variables():
            reg = getattr(v, "regularizer", None)
            if reg is not None:
                out.append(reg(v.value))
        return out

    def _take_step_extras(self, layers=None):
        """(losses, {name: add_metric value}) of the last forward pass, cleared as
        they are taken, from `layers` (default: a walk of this layer's)."""
        losses, metrics = [], {}
        for layer in self._flatten_layers() if layers is None else layers:
            losses.extend(layer._own_losses())
            metrics.update(layer._added_metrics)
            layer._losses = []
            layer._added_metrics = []
        return losses, metrics

    def _clear_losses(self, layers=None):
        for layer in self._flatten_layers() if layers is None else layers:
            layer._losses = []
            layer._added_metrics = []

    def add_metric(self, value, name=None, aggregation="mean"):
        """Keras 2's add_metric: log the mean of a tensor computed in call
        (its mean over the batch, averaged over the epoch) under name."""
        if aggregation not in ("mean", None):
            raise ValueError(f"add_metric supports aggregation='mean' only; got {aggregation!r}.")
        self._added_metrics.append((name or f"{self.name}_metric", value))

    def _collect_added_metrics(self):
        """{name: value} for the add_metric calls of the last forward pass."""
        return {name: value for layer in self._flatten_layers() for name, value in layer._added_metrics}

    # -- building --------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def _maybe_build(self, inputs):
        if self.built:
            return
        shapes = tree.map_structure(_shape_of, inputs)
        if self.input_spec is not None:
            self._check_input_spec(inputs)
        self._build_input_shape = shapes  # saving records it, so a loaded subclassed model can rebuild
        self.build(shapes)
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def _check_input_spec(self, inputs):
        flat = tree.flatten(inputs)[0]
        assert_input_compatibility(self.input_spec, [_shape_of(t) for t in flat], self.name)

    # -- calling ---------------------------------------------------------------
    def call(self, inputs, *args, **kwargs):
        return inputs

    def _call_accepts(self, name):
        cache = type(self).__dict__.get("_keras_call_params")
        if cache is None:
            params = inspect.signature(self.call).parameters
            accepts_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
            cache = (set(params), accepts_any)
            type.__setattr__(type(self), "_keras_call_params", cache)
        return name in cache[0]

    def __call__(self, *args, **kwargs):
        if not args:
            if "inputs" not in kwargs:
                raise TypeError(f"Layer '{self.name}' was called without inputs.")
            args = (kwargs.pop("inputs"),)
        if any_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        inputs = self._convert_inputs(args[0])
        args = (inputs,) + tuple(args[1:])
        kwargs = self._resolve_call_kwargs(inputs, kwargs, lambda t: masks.get_mask(t))
        outermost = not call_context.in_call()
        if outermost:
            self._clear_losses()
        with call_context.CallContext(kwargs.get("training")):
            self._maybe_build(inputs)
            if self.input_spec is not None:
                self._check_input_spec(inputs)
            outputs = self.call(*args, **kwargs)
        if self.activity_regularizer is not None:
            for out in tree.flatten(outputs)[0]:
                self.add_loss(self.activity_regularizer(out))  # undivided, as Keras 3
        in_mask = kwargs.get("mask")
        if in_mask is None:  # calls that take no mask still pass their input's mask on
            in_mask = _input_mask(inputs, masks.get_mask)
        self._attach_output_mask(inputs, outputs, in_mask)
        return outputs

    def _convert_inputs(self, inputs):
        def convert(x):
            if x is None or isinstance(x, (str, bytes)):
                return x
            if isinstance(x, K.Variable):
                x = x.value
            elif not K.is_tensor(x):
                x = K.convert_to_tensor(x)
            if self._autocast_inputs() and dtypes.is_float(K.dtype(x)) and K.dtype(x) != self.compute_dtype:
                x = K.cast(x, self.compute_dtype)
            return x
        return tree.map_structure(convert, inputs)

    def _autocast_inputs(self):
        return True

    def _resolve_call_kwargs(self, inputs, kwargs, mask_of):
        kwargs = dict(kwargs)
        if self._call_accepts("training"):
            training = kwargs.get("training")
            if training is None:
                training = call_context.current_training()
            if training is not None:
                kwargs["training"] = bool(training) if isinstance(training, (bool, int, np.bool_)) else training
            else:
                kwargs.pop("training", None)
        else:
            kwargs.pop("training", None)
        if self._call_accepts("mask") and kwargs.get("mask") is None:
            found = _input_mask(inputs, mask_of)
            if found is not None:
                kwargs["mask"] = found
        return kwargs

    def compute_mask(self, inputs, mask=None):
        """The output mask: the input mask for layers that support masking, else None."""
        return mask if self.supports_masking else None

    def _attach_output_mask(self, inputs, outputs, mask):
        if not self.supports_masking and type(self).compute_mask is Layer.compute_mask:
            return
        out_mask = self.compute_mask(inputs, mask)
        flat_out = tree.flatten(outputs)[0]
        flat_mask = tree.flatten(out_mask)[0] if isinstance(out_mask, (list, tuple)) else [out_mask]
        if len(flat_mask) != len(flat_out):
            # one mask for several outputs belongs to the first (e.g. Attention with its scores)
            flat_mask = [out_mask] + [None] * (len(flat_out) - 1)
        inputs_ids = {id(t) for t in tree.flatten(inputs)[0]}
        for out, m in zip(flat_out, flat_mask):
            if m is None and id(out) in inputs_ids:
                continue  # the layer returned its input: leave that tensor's mask alone
            masks.set_mask(out, m)

    # -- symbolic calls ----------------------------------------------------------
    def _symbolic_call(self, args, kwargs):
        inputs = args[0]
        given = dict(kwargs)  # the Node keeps what the caller passed; replay re-derives masks from real inputs
        kwargs = self._resolve_call_kwargs(inputs, kwargs, lambda t: getattr(t, "_keras_mask", None))
        if self.input_spec is not None or not self.built:
            self._check_shapes_early(inputs)
        try:
            self._maybe_build(inputs)
        except (ValueError, TypeError) as err:
            raise type(err)(f"Error building layer '{self.name}' ({type(self).__name__}) on input shape "
                            f"{tree.map_structure(_shape_of, inputs)}: {err}") from err
        specs = self.compute_output_spec(*args, **kwargs)
        outputs = tree.map_structure(lambda s: KerasTensor(s.shape, s.dtype), specs)
        if self.supports_masking or type(self).compute_mask is not Layer.compute_mask:
            self._attach_symbolic_mask(args, kwargs, outputs)
        Node(self, args, given, outputs)
        return outputs

    def _check_shapes_early(self, inputs):
        if self.input_spec is not None:
            self._check_input_spec(inputs)

    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensors describing the outputs for symbolic inputs: from
        compute_output_shape where the layer defines it, else by running the
        layer on zeros (twice when sizes are unknown, to see which output
        sizes follow them)."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = tree.map_structure(_shape_of, args[0])
            out = self.compute_output_shape(shapes)
            if _is_shape(out):
                return KerasTensor(out, self.compute_dtype)
            return _map_shapes(out, self.compute_dtype)
        return probe_output_spec(self.call, args, kwargs)

    def _attach_symbolic_mask(self, args, kwargs, outputs):
        concrete_args, concrete_kwargs = _concretize((args, kwargs), 0)
        in_mask = concrete_kwargs.get("mask")
        if in_mask is None:
            in_mask = _input_mask(concrete_args[0], masks.get_mask)
        with StatelessScope():
            out_mask = self.compute_mask(concrete_args[0], in_mask)
        flat_out = tree.flatten(outputs)[0]
        flat_mask = tree.flatten(out_mask)[0] if isinstance(out_mask, (list, tuple)) else [out_mask]
        if len(flat_mask) != len(flat_out):
            # one mask for several outputs belongs to the first (e.g. Attention with its scores)
            flat_mask = [out_mask] + [None] * (len(flat_out) - 1)
        for out, m in zip(flat_out, flat_mask):
            if m is not None:
                shape = tuple(None if d is None else s for d, s in zip(out.shape[:len(K.int_shape(m))],
                                                                      K.int_shape(m)))
                out._keras_mask = KerasTensor(shape, "bool")

    # -- nodes: where this layer was called symbolically ---------------------------
    def _node_values(self, what, index):
        if not self._inbound_nodes:
            raise ValueError(f"Layer '{self.name}' has never been called on a symbolic input (Input), so it "
                             f"has no defined {what}.")
        if index >= len(self._inbound_nodes):
            raise ValueError(f"Layer '{self.name}' has {len(self._inbound_nodes)} inbound node(s); asked "
                             f"for node {index}.")
        node = self._inbound_nodes[index]
        tensors = node.input_tensors if what == "input" else node.output_tensors
        return tensors[0] if len(tensors) == 1 else list(tensors)

    def _single_node(self, what):
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                f"Layer '{self.name}' has multiple inbound nodes ({len(self._inbound_nodes)} calls), so its "
                f"'{what}' is ambiguous. Use get_{what}_at(node_index) instead.")
        return self._node_values(what, 0)

    @property
    def input(self):
        return self._single_node("input")

    @property
    def output(self):
        return self._single_node("output")

    def get_input_at(self, node_index):
        return self._node_values("input", node_index)

    def get_output_at(self, node_index):
        return self._node_values("output", node_index)

    def get_input_shape_at(self, node_index):
        return tree.map_structure(_shape_of, self.get_input_at(node_index))

    def get_output_shape_at(self, node_index):
        return tree.map_structure(_shape_of, self.get_output_at(node_index))

    def _shape_over_nodes(self, what):
        if not self._inbound_nodes:
            if what == "input" and self._batch_input_shape is not None:
                return self._batch_input_shape
            raise AttributeError(f"The layer '{self.name}' has never been called and thus has no defined "
                                 f"{what} shape.")
        shapes = [tree.map_structure(_shape_of, self._node_values(what, i))
                  for i in range(len(self._inbound_nodes))]
        if any(s != shapes[0] for s in shapes[1:]):
            raise AttributeError(f"The layer '{self.name}' has multiple inbound nodes with different {what} "
                                 f"shapes, so its '{what}_shape' is ambiguous. Use get_{what}_shape_at("
                                 "node_index) instead.")
        return shapes[0]

    @property
    def input_shape(self):
        return self._shape_over_nodes("input")

    @property
    def output_shape(self):
        return self._shape_over_nodes("output")

    # -- config ------------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": self._dtype_arg if isinstance(self._dtype_arg, str) or self._dtype_arg is None
                  else self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            from .. import regularizers
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "batch_shape" in config and "batch_input_shape" not in config:
            config["batch_input_shape"] = config.pop("batch_shape")
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _input_mask(inputs, mask_of):
    """The masks of inputs (same structure), or None when none has one."""
    found = tree.map_structure(mask_of, inputs)
    if any(m is not None for m in tree.flatten(found)[0]):
        return found
    return None


def _map_shapes(structure, dtype):
    if _is_shape(structure):
        return KerasTensor(structure, dtype)
    if isinstance(structure, dict):
        return {k: _map_shapes(v, dtype) for k, v in structure.items()}
    return type(structure)(_map_shapes(s, dtype) for s in structure)


_PROBE_SIZES = ((2, 5), (3, 7))  # (batch, other unknown axes) for the two probe runs


def _concretize(structure, probe):
    batch, other = _PROBE_SIZES[probe]

    def concrete(x):
        if not isinstance(x, KerasTensor):
            return x
        shape = tuple((batch if i == 0 else other) if d is None else d for i, d in enumerate(x.shape))
        value = K.zeros(shape, dtype=x.dtype)
        if x._keras_mask is not None:
            masks.set_mask(value, K.ones(shape[:x._keras_mask.ndim], dtype="bool"))
        return value
    return tree.map_structure(concrete, structure)


def probe_output_spec(fn, args, kwargs):
    """Output KerasTensors of fn(*args, **kwargs) found by running it on zeros."""
    unknown = any(d is None for t in tree.flatten((args, kwargs))[0] if isinstance(t, KerasTensor)
                  for d in t.shape)
    results = []
    for probe in range(2 if unknown else 1):
        concrete_args, concrete_kwargs = _concretize((args, kwargs), probe)
        with StatelessScope(), call_context.CallContext(concrete_kwargs.get("training")), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*concrete_args, **concrete_kwargs)
        results.append(out)

    def spec(*outs):
        shapes = [tuple(K.int_shape(o)) for o in outs]
        if any(len(s) != len(shapes[0]) for s in shapes):
            raise ValueError("Output rank depends on the input sizes; cannot infer a static shape.")
        merged = tuple(d if all(s[i] == d for s in shapes) else None for i, d in enumerate(shapes[0]))
        return KerasTensor(merged, K.dtype(outs[0]))
    flat = [tree.flatten(r)[0] for r in results]
    treedef = tree.flatten(results[0])[1]
    return tree.unflatten(treedef, [spec(*outs) for outs in zip(*flat)])
