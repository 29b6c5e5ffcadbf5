"""kbackend.gc_freeze: the engine's import-time objects leave the collector's full scans."""

import os
import subprocess
import sys
import textwrap

# loads the configured engine twice, then reports what the collector sees
PROBE = textwrap.dedent("""
    import gc, json
    before = len(gc.get_objects())
    from kbackend import active, registry
    engine = active.engine()
    frozen = gc.get_freeze_count()
    keep = [[i] for i in range(1000)]  # objects made after the load
    registry.load(active.backend())
    refrozen = gc.get_freeze_count()
    a, b = [], []
    a.append(b); b.append(a)  # a reference cycle made after the load
    del a, b
    print(json.dumps({"before": before, "frozen": frozen, "refrozen": refrozen, "collected": gc.collect()}))
""")


def _probe(**env_extra):
    env = dict(os.environ, **env_extra)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    import json
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_engine_import_is_frozen_once_and_later_garbage_is_still_collected():
    seen = _probe(KBACKEND_GC_FREEZE="")
    assert seen["frozen"] >= seen["before"] > 0  # everything alive at the load, the engine's modules included
    # loading the same engine again freezes nothing more: not the 1,001 lists kept since (the count
    # may drop by a few as frozen objects are freed)
    assert seen["refrozen"] - seen["frozen"] < 100
    assert seen["collected"] >= 2  # the two lists of the cycle


def test_opt_out_leaves_the_collector_alone():
    seen = _probe(KBACKEND_GC_FREEZE="0")
    assert seen["frozen"] == 0 and seen["refrozen"] == 0
    assert seen["collected"] >= 2
