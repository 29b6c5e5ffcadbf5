"""`Distribution`: the base of DataParallel and ModelParallel."""

import contextlib

from .mesh import TensorLayout


class Distribution:
    """How training spreads over `device_mesh`: the batch is split along the
    mesh axis `batch_dim_name`; variables follow `get_variable_layout`.

    The engine-specific work (placing arrays, wrapping the step, reducing
    gradients and metrics) is done by a binding from the engine's runtime
    module, made on first use.
    """

    def __init__(self, device_mesh, batch_dim_name=None):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name or device_mesh.axis_names[0]
        if self._batch_dim_name not in device_mesh.axis_names:
            raise ValueError(f"batch_dim_name {self._batch_dim_name!r} is not an axis of the device mesh "
                             f"(axes: {device_mesh.axis_names}).")
        self._bound = None

    device_mesh = property(lambda self: self._device_mesh)
    batch_dim_name = property(lambda self: self._batch_dim_name)

    def get_data_layout(self, data_shape):
        """Split the first (batch) dimension over the batch axis."""
        return TensorLayout([self._batch_dim_name] + [None] * (len(data_shape) - 1), self._device_mesh)

    def get_variable_layout(self, variable):
        """Replicated: every device holds the whole variable."""
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    @contextlib.contextmanager
    def scope(self):
        """Make this the active distribution inside the `with` block."""
        from .context import distribution, set_distribution
        previous = distribution()
        set_distribution(self)
        try:
            yield self
        finally:
            set_distribution(previous)

    def _binding(self):
        if self._bound is None:
            from kbackend.distribution import Binding
            from .devices import runtime
            rt = runtime()
            self._bound = Binding(self) if rt is None else rt.bind(self)  # numpy: the single-device hooks
        return self._bound
