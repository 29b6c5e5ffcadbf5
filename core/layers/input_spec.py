"""InputSpec: what a layer accepts (rank, known axis sizes), checked before
build and call so a wrong input fails with the layer's name, not deep inside
an engine."""


class InputSpec:
    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.name = name

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in self.get_config().items() if v]
        return f"InputSpec({', '.join(parts)})"


def assert_input_compatibility(specs, shapes, layer_name):
    """shapes: the input shapes (tuples with None), one per spec."""
    if specs is None:
        return
    if isinstance(specs, InputSpec):
        specs = [specs]
    if len(shapes) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                         f"{len(shapes)} input tensors.")
    for i, (spec, shape) in enumerate(zip(specs, shapes)):
        if spec is None or shape is None:
            continue
        ndim = len(shape)

        def fail(what, i=i, shape=shape):
            raise ValueError(f'Input {i} of layer "{layer_name}" is incompatible with the layer: {what}. '
                             f"Full shape received: {tuple(shape)}")
        if spec.ndim is not None and ndim != spec.ndim:
            fail(f"expected ndim={spec.ndim}, found ndim={ndim}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            fail(f"expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            fail(f"expected min_ndim={spec.min_ndim}, found ndim={ndim}")
        for axis, size in spec.axes.items():
            if size is None:
                continue
            if -ndim <= axis < ndim and shape[axis] is not None and shape[axis] != size:
                fail(f"expected axis {axis} of input shape to have value {size}, but received input "
                     f"with shape {tuple(shape)}")
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    fail(f"expected shape={spec.shape}, found shape={tuple(shape)}")
