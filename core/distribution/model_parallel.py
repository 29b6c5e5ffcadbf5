"""`LayoutMap` (variable path regex -> layout) and `ModelParallel` (weights
sharded per the map, batch split along one mesh axis). JAX only: the other
engines have no sharded-weight runtime here."""

import collections.abc
import re

import kbackend as K

from .distribution_lib import Distribution
from .mesh import DeviceMesh, TensorLayout


class LayoutMap(collections.abc.MutableMapping):
    """Keys are regexes matched (re.search) against variable paths such as
    "dense/kernel"; values are TensorLayouts or tuples of mesh axis names / None.
    An exact key wins; otherwise exactly one regex may match."""

    def __init__(self, device_mesh):
        if not isinstance(device_mesh, DeviceMesh):
            raise TypeError(f"LayoutMap needs a DeviceMesh; got {type(device_mesh).__name__}.")
        self.device_mesh = device_mesh
        self._layouts = {}

    def __setitem__(self, key, layout):
        if key in self._layouts:
            raise ValueError(f"LayoutMap already has a layout for {key!r}; delete it first.")
        if not isinstance(layout, TensorLayout):
            if not isinstance(layout, (tuple, list)):
                raise TypeError(f"LayoutMap[{key!r}] must be a TensorLayout or a tuple of axis names/None; "
                                f"got {layout!r}.")
            layout = TensorLayout(layout)
        bad = [a for a in layout.axes if a is not None and a not in self.device_mesh.axis_names]
        if bad:
            raise ValueError(f"LayoutMap[{key!r}] names axes {bad} that the mesh lacks "
                             f"(axes: {self.device_mesh.axis_names}).")
        layout.device_mesh = self.device_mesh
        self._layouts[key] = layout

    def __getitem__(self, path):
        if path in self._layouts:
            return self._layouts[path]
        found = [k for k in self._layouts if re.search(k, path)]
        if len(found) > 1:
            raise ValueError(f"Variable path {path!r} matches several LayoutMap keys {found}; make them specific.")
        return self._layouts[found[0]] if found else None

    def __delitem__(self, key):
        del self._layouts[key]

    def __iter__(self):
        return iter(self._layouts)

    def __len__(self):
        return len(self._layouts)


class ModelParallel(Distribution):
    def __init__(self, *, layout_map=None, batch_dim_name=None, device_mesh=None):
        if K.backend() != "jax":
            raise ValueError(f"ModelParallel (sharded weights) needs the jax engine; the '{K.backend()}' engine "
                             "supports DataParallel only (numpy: one device). Set KERAS_BACKEND=jax.")
        if not isinstance(layout_map, LayoutMap):
            raise TypeError(f"ModelParallel needs layout_map=LayoutMap(...); got {type(layout_map).__name__}.")
        self._layout_map = layout_map
        super().__init__(device_mesh or layout_map.device_mesh, batch_dim_name)

    layout_map = property(lambda self: self._layout_map)

    def get_variable_layout(self, variable):
        path = getattr(variable, "path", None) or variable.name
        layout = self._layout_map[path]
        if layout is None:
            return super().get_variable_layout(variable)
        if len(layout.axes) != len(variable.shape):
            raise ValueError(f"LayoutMap layout {layout.axes} for {path!r} has {len(layout.axes)} entries but the "
                             f"variable has shape {variable.shape}.")
        return layout

    def __repr__(self):
        return f"<ModelParallel mesh={self.device_mesh} batch_dim_name={self.batch_dim_name!r}>"
