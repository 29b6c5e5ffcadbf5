"""python -m kbackend.conformance: the op x engine matrix of worst errors.

Each installed engine runs in its own subprocess (KERAS_BACKEND set, an empty
KERAS_HOME) that prints its results as JSON; this process prints one row per
op with the worst normwise relative error per engine for forward float32,
forward float16 and the float64 gradient, and exits 1 if any cell fails.

    python -m kbackend.conformance [--engines numpy,jax] [-k NAME_PART] [--details]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

MARKER = "KBACKEND-CONFORMANCE-JSON:"
MODES = ("f32", "f16", "grad")


def _worker(selected):
    """Run in the engine's own process: results as one JSON line on stdout."""
    from . import runner
    results = runner.run_all(selected)
    print(MARKER + json.dumps(results, default=float))


def _run_engine(name, selected):
    env = dict(os.environ, KERAS_BACKEND=name, TF_CPP_MIN_LOG_LEVEL="2",
               KERAS_HOME=tempfile.mkdtemp(prefix="kbackend-conformance-"))
    cmd = [sys.executable, "-m", "kbackend.conformance", "--worker"] + (["-k", selected] if selected else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):]), None
    return None, (proc.stderr or proc.stdout).strip().splitlines()[-20:]


def _cell(entry):
    if entry is None:
        return "-"
    err, failed = entry
    text = "ERR" if err == float("inf") else f"{err:.1e}"
    return text + ("!" if failed else "")


def main(argv=None):
    from kbackend import registry
    from . import runner

    parser = argparse.ArgumentParser(prog="python -m kbackend.conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--engines", help="comma-separated engines (default: all installed)")
    parser.add_argument("-k", dest="selected", help="only cases whose name contains this")
    parser.add_argument("--details", action="store_true", help="print every failure's message")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.selected)
        return 0

    engines = args.engines.split(",") if args.engines else registry.installed()
    tables, failures, broken = {}, [], {}
    for name in engines:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results, error = _run_engine(name, args.selected)
        if results is None:
            broken[name] = error
            continue
        tables[name] = runner.worst_by_op(results)
        failures += [(name, r["name"], mode, msg) for r in results for mode, msg in r["failures"].items()]

    ops = sorted({op for t in tables.values() for op in t})
    header = ["op"] + [f"{e}:{m}" for e in tables for m in MODES]
    rows = [[op] + [_cell(tables[e].get(op, {}).get(m)) for e in tables for m in MODES] for op in ops]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    print(f"\nthresholds: f32 {runner.THRESHOLDS['f32']:g} (unless a case says otherwise), "
          f"f16 {runner.THRESHOLDS['f16']:g}, grad {runner.THRESHOLDS['grad']:g}; '!' marks a failure, "
          "ERR an exception or a wrong shape/dtype, '-' not run")
    for name, lines in broken.items():
        print(f"\nengine {name} did not run:\n  " + "\n  ".join(lines))
    if failures:
        print(f"\n{len(failures)} failing case/mode pairs:")
        for engine, case, mode, msg in failures:
            first = msg if args.details else msg.splitlines()[0]
            print(f"  {engine:10s} {case} [{mode}]: {first}")
    return 1 if failures or broken else 0


if __name__ == "__main__":
    sys.exit(main())
