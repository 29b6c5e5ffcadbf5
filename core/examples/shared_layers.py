"""Shared layers: one encoder (Embedding + LSTM) reads two messages, and a
classifier on both encodings says whether they come from the same sender.
The encoder's weights exist once, whichever input they read.

    python -m core.examples.shared_layers [--epochs 6]

Each generated sender has a favourite word that shows up in their messages.
"""

import argparse

import numpy as np

import core
from core import layers
from core.utils import set_random_seed

NUM_WORDS, LENGTH, SENDERS = 200, 12, 6


def make_pairs(n, seed):
    rng = np.random.default_rng(seed)

    def messages(senders):
        text = rng.integers(SENDERS + 1, NUM_WORDS, size=(len(senders), LENGTH))
        for _ in range(4):  # the sender's word at up to four random places
            text[np.arange(len(senders)), rng.integers(0, LENGTH, size=len(senders))] = 1 + senders
        return text

    a = rng.integers(0, SENDERS, size=n)
    same = rng.random(n) < 0.5
    b = np.where(same, a, (a + rng.integers(1, SENDERS, size=n)) % SENDERS)
    return [messages(a), messages(b)], same.astype("float32")


def build_model():
    first, second = core.Input(shape=(LENGTH,), name="first"), core.Input(shape=(LENGTH,), name="second")
    embed = layers.Embedding(NUM_WORDS, 16)
    encode = layers.LSTM(32)
    encoded = [encode(embed(first)), encode(embed(second))]  # the same layers twice: one set of weights
    merged = layers.concatenate(encoded)
    hidden = layers.Dense(32, activation="relu")(merged)
    same = layers.Dense(1, activation="sigmoid")(hidden)
    model = core.Model(inputs=[first, second], outputs=same)
    model.compile(optimizer=core.optimizers.Adam(5e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model, encode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    set_random_seed(5)
    x, y = make_pairs(args.samples, seed=0)
    x_test, y_test = make_pairs(600, seed=1)
    model, encoder = build_model()
    print(f"the shared LSTM has {encoder.count_params()} weights, used for both messages; "
          f"the model has {model.count_params()} in all")
    model.fit(x, y, batch_size=64, epochs=args.epochs, verbose=args.verbose)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
