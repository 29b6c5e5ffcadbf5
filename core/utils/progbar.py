"""Progbar: the console progress line Keras 3 prints during fit, evaluate and predict.

verbose=1 redraws one line in place:
    ` 12/100 ━━━━━━━━━━━━━━━━━━━━ 1s 10ms/step - loss: 0.3000`
(ETA while running, elapsed seconds once finished; step count and time in bold, the
done part of the bar green, as Keras colours them). verbose=2 prints only the final
line, `100/100 - 1s - 10ms/step - loss: 0.3000`. verbose=0 prints nothing.
"""

import math
import os
import sys
import time

import numpy as np

import kbackend as K

_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_BAR_CHAR = "━"

# Indirection so tests can drive the clock.
_clock = time.time


def _number(value):
    """A metric value as one float (arrays are averaged, as Keras shows them)."""
    if isinstance(value, (int, float)):
        return float(value)
    return float(np.mean(K.convert_to_numpy(value)))


def _format_value(value):
    # Four decimals, or scientific notation where four decimals would hide the value.
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_rate(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _can_redraw():
    # Keras redraws in place on any POSIX console, terminal or notebook; elsewhere
    # (a Windows pipe) each update goes on a new line.
    isatty = getattr(sys.stdout, "isatty", None)
    return (os.name == "posix" or (isatty is not None and isatty())
            or "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ)


class Progbar:
    """A progress bar over `target` steps (None when the length is unknown).

    `update(current, values)` takes the step reached and `(name, value)` pairs.
    Values are averaged over the steps they cover, except names in
    `stateful_metrics`, shown as given; `stateless_metrics` turns this around
    (only the names listed are averaged). The final update (`finalize`, by default
    `current >= target`) shows the values it is given as they are.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar takes stateful_metrics (names shown as given, the rest averaged) or "
                             "stateless_metrics (names averaged, the rest shown as given), not both.")
        if target is not None and (isinstance(target, bool) or not isinstance(target, (int, float, np.number))
                                   or target < 0):
            raise ValueError(f"Progbar target must be a non-negative step count or None (unknown length); "
                             f"got {target!r}.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._totals = {}  # name -> [weighted sum, weight]
        self._seen_so_far = 0
        self._start = _clock()
        self._first_step_end = None
        self._last_update = -math.inf
        self._prev_width = 0
        self._redraw = _can_redraw()

    def _averaged(self, name):
        if self.stateless_metrics is not None:
            return name in self.stateless_metrics
        return name not in self.stateful_metrics

    def update(self, current, values=None, finalize=None):
        """Move the bar to step `current`, folding in `values` (a list of `(name, value)`)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            value = _number(value)
            if self._averaged(name) and not finalize:
                steps = max(current - self._seen_so_far, 1)
                total = self._totals.setdefault(name, [0.0, 0])
                total[0] += value * steps
                total[1] += steps
            else:
                self._totals[name] = [value, 1]
        self._seen_so_far = current
        now = _clock()
        per_step = self._step_duration(current, now)

        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            self._draw(current, now, per_step, finalize)
        elif self.verbose == 2 and finalize and self.target:
            line = f"{self._count(current)} - {now - self._start:.0f}s - "
            line += _format_rate(per_step, self.unit_name) + self._metrics_text() + "\n"
            self._write(line)
        self._last_update = now

    def add(self, n, values=None):
        """Advance the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _step_duration(self, current, now):
        # The first step often includes compilation, so once later steps exist the
        # estimate leaves it out.
        if not current:
            return 0.0
        if self._first_step_end is not None and current > 1:
            duration = (now - self._first_step_end) / (current - 1)
        else:
            duration = (now - self._start) / current
        if current == 1:
            self._first_step_end = now
        return duration

    def _count(self, current):
        # `current` right-aligned to the width of the target: ` 12/100`.
        target = int(self.target)
        return f"{int(current):{len(str(target))}d}/{target}"

    def _metrics_text(self):
        return "".join(f" - {name}: {_format_value(total / max(count, 1))}"
                       for name, (total, count) in self._totals.items())

    def _draw(self, current, now, per_step, finalize):
        # Pieces of (text, style); the visible width ignores the colour codes.
        pieces = []
        if self.target:
            done = min(int(self.width * current / self.target), self.width)
            pieces.append((self._count(current), _BOLD))
            pieces.append((" ", ""))
            if done:
                pieces.append((_BAR_CHAR * done, _GREEN))
            pieces.append((_BAR_CHAR * (self.width - done), _WHITE))
        else:
            pieces.append((f"{int(current):7d}/Unknown", ""))
        pieces.append((" ", ""))
        if self.target and not finalize:
            pieces.append((_format_eta(per_step * (self.target - current)), _BOLD))
        else:
            pieces.append((f"{now - self._start:.0f}s", _BOLD))
        pieces.append((" " + _format_rate(per_step, self.unit_name) + self._metrics_text(), ""))

        width = sum(len(text) for text, _ in pieces)
        line = "".join(f"{style}{text}{_RESET}" if style else text for text, style in pieces)
        start = "\b" * self._prev_width + "\r" if self._redraw else "\n"
        # Blank out the tail of a longer previous line.
        line = start + line + " " * max(self._prev_width - width, 0)
        self._write(line + ("\n" if finalize else ""))
        self._prev_width = width

    @staticmethod
    def _write(text):
        sys.stdout.write(text)
        sys.stdout.flush()
