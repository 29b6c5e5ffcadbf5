"""The JAX engine for kbackend.

Every protocol op (kbackend.protocol) is defined in the module its group
names: core, math, nn, random, autodiff, control, optim.
"""

from kbackend import protocol as _protocol

from . import autodiff, control, core, math, nn, optim, random

_protocol.export(globals())
