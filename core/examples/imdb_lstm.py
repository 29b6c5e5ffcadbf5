"""Keras's IMDB sentiment example: Embedding + LSTM over the first words of
each review, trained on the IMDB set from core.datasets.imdb.

    python -m core.examples.imdb_lstm [--epochs 2] [--num-words 20000] [--maxlen 80]

load_data() reads imdb.npz from the cache ($KERAS_HOME/datasets) or downloads it once.
"""

import argparse

import kbackend as K
from core import layers
from core.datasets import imdb
from core.models import Sequential
from core.preprocessing import sequence
from core.utils import set_random_seed


def build_model(num_words, units=128):
    model = Sequential([
        layers.Embedding(num_words, 128),
        layers.LSTM(units, dropout=0.2, recurrent_dropout=0.2),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--num-words", type=int, default=20000)
    parser.add_argument("--maxlen", type=int, default=80)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=args.num_words)
    x_train = sequence.pad_sequences(x_train, maxlen=args.maxlen)
    x_test = sequence.pad_sequences(x_test, maxlen=args.maxlen)
    print(f"engine {K.backend()}: {len(x_train)} training and {len(x_test)} test reviews, {args.maxlen} words each")
    set_random_seed(7)
    model = build_model(args.num_words, args.units)
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_data=(x_test, y_test),
              verbose=args.verbose)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
