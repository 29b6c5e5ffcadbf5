"""SpatialDropout1D/2D/3D: Dropout that drops whole feature maps (channels)
rather than single entries: the mask has size 1 along every spatial axis, so
a channel is zeroed everywhere in an example or kept (and scaled by
1 / (1 - rate)) everywhere. Neighbouring entries of a feature map are
strongly correlated, so dropping them one by one regularizes little."""

import kbackend as K

from ..core.dropout import Dropout
from ..core.legacy_kwargs import renamed_kwargs
from ..input_spec import InputSpec
from ..pooling.legacy_dim_ordering import accepts_dim_ordering
from .arguments import check_rate


class _SpatialDropout(Dropout):
    _rank = None  # spatial axes

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        check_rate(type(self).__name__, rate)  # before Dropout's check, so the error names this class
        super().__init__(rate, seed=seed, **kwargs)
        try:
            self.data_format = K.config.normalize_data_format(data_format)
        except ValueError as err:
            raise ValueError(f"{type(self).__name__}: {err}") from None
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _noise_shape(self, inputs):
        shape = K.shape(inputs)
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + (1,) * self._rank
        return (shape[0],) + (1,) * self._rank + (shape[-1],)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Input (batch, steps, channels); Keras has no data_format here."""
    _rank = 1

    @renamed_kwargs(p="rate")
    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class SpatialDropout2D(_SpatialDropout):
    _rank = 2

    @accepts_dim_ordering
    @renamed_kwargs(p="rate")
    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, data_format=data_format, seed=seed, **kwargs)


class SpatialDropout3D(_SpatialDropout):
    _rank = 3

    @accepts_dim_ordering
    @renamed_kwargs(p="rate")
    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, data_format=data_format, seed=seed, **kwargs)
