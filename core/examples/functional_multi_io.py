"""The functional API with several inputs and outputs, as in Keras's guide: a
support ticket's title, body and tags give its priority (a score) and the
department it goes to (one of four).

    python -m core.examples.functional_multi_io [--epochs 8]

The tickets are generated here: the department is written into the title as a
keyword, the priority is the share of "urgent" tags, so both can be learned.
"""

import argparse

import numpy as np

import core
from core import layers
from core.utils import set_random_seed

NUM_WORDS, NUM_TAGS, NUM_DEPARTMENTS = 1000, 12, 4


def make_tickets(n, seed):
    rng = np.random.default_rng(seed)
    title = rng.integers(10, NUM_WORDS, size=(n, 10))
    body = rng.integers(10, NUM_WORDS, size=(n, 100))
    tags = (rng.random((n, NUM_TAGS)) < 0.3).astype("float32")
    department = rng.integers(0, NUM_DEPARTMENTS, size=n)
    title[np.arange(n), rng.integers(0, 10, size=n)] = 1 + department  # words 1..4 name the department
    priority = tags[:, :4].mean(axis=1, keepdims=True)  # tags 0..3 mean "urgent"
    inputs = {"title": title, "body": body, "tags": tags}
    return inputs, {"priority": priority, "department": department}


def build_model():
    title = core.Input(shape=(None,), name="title")
    body = core.Input(shape=(None,), name="body")
    tags = core.Input(shape=(NUM_TAGS,), name="tags")
    title_features = layers.GlobalMaxPooling1D()(layers.Embedding(NUM_WORDS, 32)(title))
    body_features = layers.GlobalAveragePooling1D()(layers.Embedding(NUM_WORDS, 16)(body))
    x = layers.concatenate([title_features, body_features, tags])
    x = layers.Dense(32, activation="relu")(x)
    priority = layers.Dense(1, name="priority")(x)
    department = layers.Dense(NUM_DEPARTMENTS, activation="softmax", name="department")(x)
    model = core.Model(inputs=[title, body, tags], outputs=[priority, department])
    model.compile(optimizer=core.optimizers.Adam(3e-3),
                  loss={"priority": "mse", "department": "sparse_categorical_crossentropy"},
                  loss_weights={"priority": 1.0, "department": 0.2},
                  metrics={"department": ["accuracy"]})
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    set_random_seed(3)
    x, y = make_tickets(args.samples, seed=0)
    x_test, y_test = make_tickets(500, seed=1)
    model = build_model()
    model.summary()
    model.fit(x, y, batch_size=32, epochs=args.epochs, verbose=args.verbose)
    results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print(f"priority mse: {results['priority_loss']:.4f}, department accuracy: {results['department_accuracy']:.4f}")
    return results


if __name__ == "__main__":
    main()
