"""The op conformance suite: every protocol op checked against an independent
float64 numpy reference on the active engine.

- cases.py: the cases (seeded inputs, options, reference) for every op;
- references.py: the float64 numpy references;
- runner.py: runs cases on the active engine (forward float32/float16,
  float64 gradients against finite differences) and reports worst errors;
- __main__.py: `python -m kbackend.conformance` prints the op x engine matrix.
"""
