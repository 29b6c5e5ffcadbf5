"""What an outer call tells the layers it calls: the training flag, and where
losses added during the call go (so a compiled step can collect them)."""

import threading

_local = threading.local()


def _stack():
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


class CallContext:
    def __init__(self, training=None):
        self.training = training

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()


def current_training():
    for ctx in reversed(_stack()):
        if ctx.training is not None:
            return ctx.training
    return None


def in_call():
    return bool(_stack())
