"""The dense projections inside MultiHeadAttention (Keras's EinsumDense with the
equations MultiHeadAttention uses): the last `contracted` axes of the input are
contracted with a kernel of shape (*those axes, *output_dims) and a bias of shape
output_dims is added, so (batch, T, dim) -> (batch, T, heads, key_dim) with a
(dim, heads, key_dim) kernel, and back with a (heads, value_dim, dim) one."""

import string

import kbackend as K

from ... import constraints, initializers, regularizers
from ..layer import Layer


class EinsumProjection(Layer):
    def __init__(self, contracted, output_dims, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.contracted = int(contracted)
        self.output_dims = tuple(int(d) for d in output_dims)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=tuple(input_shape[-self.contracted:]) + self.output_dims,
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=self.output_dims, initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")
        self.built = True

    def call(self, inputs):
        rank = K.ndim(inputs)
        letters = string.ascii_lowercase
        free = letters[:rank - self.contracted]
        bound = letters[rank - self.contracted:rank]
        out = letters[rank:rank + len(self.output_dims)]
        outputs = K.einsum(f"{free}{bound},{bound}{out}->{free}{out}", inputs, self.kernel)
        return outputs if self.bias is None else K.add(outputs, self.bias)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-self.contracted]) + self.output_dims
