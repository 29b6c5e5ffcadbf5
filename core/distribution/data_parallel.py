"""`DataParallel`: every device holds all the weights and computes on its
share of each global batch; gradients are averaged over the devices."""

from .devices import list_devices, runtime, single_device_error
from .distribution_lib import Distribution
from .mesh import DeviceMesh


class DataParallel(Distribution):
    def __init__(self, device_mesh=None, devices=None):
        if device_mesh is not None and devices is not None:
            raise ValueError("DataParallel takes device_mesh or devices, not both.")
        if device_mesh is None:
            devices = list(devices) if devices is not None else list_devices()
            if not devices:
                raise ValueError("DataParallel got an empty list of devices.")
            device_mesh = DeviceMesh((len(devices),), ["batch"], devices)
        elif not isinstance(device_mesh, DeviceMesh):
            raise TypeError(f"device_mesh must be a core.distribution.DeviceMesh; got {type(device_mesh).__name__}.")
        if runtime() is None and device_mesh.devices.size > 1:
            raise single_device_error(f"DataParallel over {device_mesh.devices.size} devices")
        super().__init__(device_mesh, device_mesh.axis_names[0])

    def __repr__(self):
        return f"<DataParallel devices={list(self.device_mesh.devices.reshape(-1))}>"
