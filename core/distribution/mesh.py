"""`DeviceMesh` (devices laid out on named axes) and `TensorLayout` (which mesh
axis each dimension of a tensor is split over)."""

import numpy as np

from .devices import list_devices


class DeviceMesh:
    """`shape` devices arranged as an array with one name per axis, e.g.
    DeviceMesh((2, 4), ["batch", "model"])."""

    def __init__(self, shape, axis_names, devices=None):
        shape = tuple(int(s) for s in shape)
        axis_names = [str(a) for a in axis_names]
        if not shape or any(s < 1 for s in shape):
            raise ValueError(f"DeviceMesh shape must be positive ints; got {shape}.")
        if len(axis_names) != len(shape):
            raise ValueError(f"DeviceMesh got {len(shape)} dimensions in shape {shape} but {len(axis_names)} "
                             f"axis_names {axis_names}; give one name per dimension.")
        if len(set(axis_names)) != len(axis_names):
            raise ValueError(f"DeviceMesh axis_names must be distinct; got {axis_names}.")
        if devices is None:
            devices = list_devices()
        devices = np.asarray(devices, dtype=object).reshape(-1)
        if devices.size != int(np.prod(shape)):
            raise ValueError(f"DeviceMesh shape {shape} needs {int(np.prod(shape))} devices; got {devices.size}: "
                             f"{list(devices)}.")
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(shape)

    shape = property(lambda self: self._shape)
    axis_names = property(lambda self: list(self._axis_names))
    devices = property(lambda self: self._devices)

    def __repr__(self):
        return f"<DeviceMesh shape={self._shape} axis_names={self._axis_names}>"


class TensorLayout:
    """One entry per tensor dimension: a mesh axis name to split it over, or
    None to keep it whole. `device_mesh` may be set later (by LayoutMap)."""

    def __init__(self, axes, device_mesh=None):
        self.axes = tuple(axes)
        self.device_mesh = device_mesh

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}>"
