"""core.utils.Progbar: the Keras 3 progress line, driven by a scripted clock."""

import re

import numpy as np
import pytest

import kbackend as K
from core.utils import Progbar
from core.utils import progbar as progbar_module

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Clock:
    def __init__(self, start=100.0):
        self.t = start

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progbar_module, "_clock", c)
    return c


def frames(out):
    """The successive redrawn lines of a verbose=1 bar, colour codes and redraw characters removed."""
    plain = ANSI.sub("", out).replace("\b", "")
    return [f.rstrip(" ") for f in plain.split("\r") if f]


def test_verbose1_bar_counts_eta_and_averaged_values(clock, capsys):
    bar = Progbar(4, interval=0.0)
    losses = [1.0, 0.5, 0.25]
    clock.t += 0.5  # the first step (compilation) is slow and left out of later estimates
    bar.update(1, [("loss", losses[0])])
    clock.t += 0.2
    bar.update(2, [("loss", losses[1])])
    clock.t += 0.2
    bar.update(3, [("loss", losses[2])])
    clock.t += 0.2
    bar.update(4, [("loss", 0.125)])
    out = capsys.readouterr().out
    lines = frames(out)
    assert len(lines) == 4 and out.endswith("\n")
    # Step 1: 500ms/step, ETA 3 * 0.5s = 1.5s -> "1s"; 20 * 1/4 = 5 filled bar cells.
    assert lines[0] == "1/4 " + "━" * 20 + " 1s 500ms/step - loss: 1.0000"
    # Steps 2-3: (now - end of step 1) / (current - 1) = 200ms/step; ETA 0.2s -> "0s".
    assert lines[1] == f"2/4 {'━' * 20} 0s 200ms/step - loss: {np.mean(losses[:2]):.4f}"
    assert lines[2] == f"3/4 {'━' * 20} 0s 200ms/step - loss: {np.mean(losses):.4f}"
    # Final line: elapsed 1.1s -> "1s", and the final value shown as given.
    assert lines[3] == f"4/4 {'━' * 20} 1s 200ms/step - loss: 0.1250\n"
    # The done part of the bar is green, the rest white; the count is bold.
    assert "\x1b[1m1/4\x1b[0m \x1b[32m" + "━" * 5 + "\x1b[0m\x1b[37m" + "━" * 15 + "\x1b[0m" in out


def test_count_is_right_aligned_to_the_target_width(clock, capsys):
    bar = Progbar(100, interval=0.0)
    clock.t += 0.01
    bar.update(12)
    line = frames(capsys.readouterr().out)[0]
    # 0.01s / 12 steps = 833us/step; ETA 88 * 833us = 0.07s -> "0s".
    assert line == " 12/100 " + "━" * 20 + " 0s 833us/step"


def test_stateful_metrics_are_shown_as_given(clock, capsys):
    bar = Progbar(3, interval=0.0, stateful_metrics=["acc"])
    for step, (loss, acc) in enumerate([(3.0, 0.2), (1.0, 0.9)], start=1):
        clock.t += 0.01
        bar.update(step, [("loss", loss), ("acc", acc)])
    last = frames(capsys.readouterr().out)[-1]
    assert last.endswith(" - loss: 2.0000 - acc: 0.9000")


def test_stateless_metrics_average_only_the_listed_names(clock, capsys):
    bar = Progbar(3, interval=0.0, stateless_metrics=["a"])
    for step, value in enumerate([2.0, 4.0], start=1):
        bar.update(step, [("a", value), ("b", value)])
    assert frames(capsys.readouterr().out)[-1].endswith(" - a: 3.0000 - b: 4.0000")


def test_steps_skipped_between_updates_weigh_the_average(clock, capsys):
    bar = Progbar(10, interval=0.0)
    bar.update(1, [("loss", 1.0)])
    bar.update(4, [("loss", 4.0)])  # covers steps 2-4: weight 3
    expected = (1.0 * 1 + 4.0 * 3) / 4
    assert frames(capsys.readouterr().out)[-1].endswith(f"loss: {expected:.4f}")


@pytest.mark.parametrize("value, text", [(0.123456, "0.1235"), (12.5, "12.5000"), (-0.5, "-0.5000"),
                                         (0.00123, "0.0012"), (1e-5, "1.0000e-05"), (-2e-4, "-2.0000e-04"),
                                         (0.0, "0.0000e+00")])
def test_value_formatting(clock, capsys, value, text):
    bar = Progbar(1, verbose=2)
    bar.update(1, [("v", value)])
    assert capsys.readouterr().out.endswith(f" - v: {text}\n")


def test_tensor_and_array_values_are_averaged_to_one_number(clock, capsys):
    bar = Progbar(2, interval=0.0)
    bar.update(1, [("t", K.convert_to_tensor(np.array([1.0, 3.0], "float32")))])
    bar.update(2, [("a", np.array([[0.5, 1.5]]))], finalize=False)
    assert frames(capsys.readouterr().out)[-1].endswith(" - t: 2.0000 - a: 1.0000")


@pytest.mark.parametrize("seconds, text", [(3.0, "3s/step"), (0.25, "250ms/step"), (0.0005, "500us/step")])
def test_time_per_step_units(clock, capsys, seconds, text):
    bar = Progbar(2, verbose=2)
    clock.t += seconds
    bar.update(1)
    clock.t += seconds
    bar.update(2)
    assert capsys.readouterr().out == f"2/2 - {2 * seconds:.0f}s - {text}\n"


@pytest.mark.parametrize("per_step, eta", [(0.65, "1:05"), (36.615, "1:01:01"), (0.595, "59s"), (0.6005, "1:00"),
                                           (0.205, "20s")])
def test_eta_formats(clock, capsys, per_step, eta):
    bar = Progbar(101, interval=0.0)
    clock.t += per_step
    bar.update(1)  # ETA = per_step * 100 remaining steps
    assert f" {eta} " in frames(capsys.readouterr().out)[0]


def test_unknown_target(clock, capsys):
    bar = Progbar(None, interval=0.0)
    for step in (1, 2, 3):
        clock.t += 0.004
        bar.update(step, [("loss", 1.0 / step)])
    bar.update(3, finalize=True)
    out = capsys.readouterr().out
    lines = frames(out)
    assert lines[0] == "      1/Unknown 0s 4ms/step - loss: 1.0000"
    assert lines[2] == f"      3/Unknown 0s 4ms/step - loss: {np.mean([1, 1 / 2, 1 / 3]):.4f}"
    assert out.endswith("\n") and out.count("\n") == 1


def test_verbose2_prints_one_line_at_the_end(clock, capsys):
    bar = Progbar(3, verbose=2)
    for step in (1, 2):
        clock.t += 1.0
        bar.update(step, [("loss", float(step))])
    assert capsys.readouterr().out == ""
    clock.t += 1.0
    bar.update(3, [("loss", 0.75)])
    assert capsys.readouterr().out == "3/3 - 3s - 1s/step - loss: 0.7500\n"


def test_verbose0_is_silent(clock, capsys):
    bar = Progbar(3, verbose=0)
    for step in (1, 2, 3):
        bar.update(step, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_interval_throttles_redraws_but_not_the_final_one(clock, capsys):
    bar = Progbar(5, interval=1.0)
    for step in range(1, 6):
        clock.t += 0.4
        bar.update(step)
    counts = [line.split(" ")[0] for line in frames(capsys.readouterr().out)]
    # Drawn at t=0.4 (first), 1.6 (1.2s after the last draw), and the final step.
    assert counts == ["1/5", "4/5", "5/5"]


def test_redraw_returns_to_line_start_and_blanks_a_longer_previous_line(clock, capsys):
    bar = Progbar(101, interval=0.0)
    clock.t += 0.65
    bar.update(1)  # "1:05 650ms/step"
    first = ANSI.sub("", capsys.readouterr().out)
    clock.t += 0.001
    bar.update(2)  # "0s 1ms/step": 4 characters shorter
    second = ANSI.sub("", capsys.readouterr().out)
    width = len(first.lstrip("\r"))
    assert second.startswith("\b" * width + "\r")
    assert second.endswith("1ms/step    ") and len(second.lstrip("\b\r")) == width


def test_add_advances_by_n(clock, capsys):
    bar = Progbar(10, verbose=2)
    bar.add(4, [("loss", 1.0)])
    bar.add(6, [("loss", 0.5)])
    assert capsys.readouterr().out.startswith("10/10 - ")


def test_bad_arguments():
    with pytest.raises(ValueError, match="not both"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
    with pytest.raises(ValueError, match="target"):
        Progbar("10")
