"""The TensorFlow engine for kbackend.

Every protocol op (kbackend.protocol) is defined in the module its group
names: core, math, nn, random, autodiff, control.
"""

from kbackend import protocol as _protocol

from . import autodiff, control, core, math, nn, random

for _name, _group in _protocol.GROUPS.items():
    _fn = getattr(globals()[_group], _name, None)
    if _fn is not None:
        globals()[_name] = _fn
del _name, _group, _fn
