"""Counts and values into 95 % confidence intervals: the Wilson interval of a share and the
normal interval of a mean, which every page that compares groups shows beside its figures.

>>> low, high = wilson(8, 10)
>>> round(float(low), 4), round(float(high), 4)
(0.4902, 0.9433)
>>> [round(float(v), 3) for v in mean_interval(pd.Series([1.0, 2.0, 3.0]))]
[2.0, 0.868, 3.132]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Z95", "mean_interval", "wilson"]

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95 % interval


def wilson(successes, trials, *, z: float = Z95):
    """Successes out of trials (numbers or arrays) into the Wilson score interval (low, high)
    of the share; NaN for no trials."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def mean_interval(values) -> tuple[float, float, float]:
    """Values into their mean and its 95 % interval ``(mean, low, high)``, by the normal
    approximation with the standard error from the values' own spread; NaN bounds with fewer
    than two values, all NaN with none."""
    values = pd.Series(values, dtype="float64").dropna()
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if len(values) < 2:
        return mean, np.nan, np.nan
    half = Z95 * float(values.std(ddof=1)) / np.sqrt(len(values))
    return mean, mean - half, mean + half
