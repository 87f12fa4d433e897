"""Counts and values into 95 % confidence intervals: the Wilson interval of a share and the
normal interval of a mean, which every page that compares groups shows beside its figures.

>>> low, high = wilson(8, 10)
>>> round(float(low), 4), round(float(high), 4)
(0.4902, 0.9433)
>>> [round(float(v), 3) for v in mean_interval(pd.Series([1.0, 2.0, 3.0]))]
[2.0, 0.868, 3.132]
>>> [round(float(v), 4) for v in difference_interval(56, 70, 48, 80)]  # Newcombe 1998, ex. (a)
[0.2, 0.0524, 0.3339]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Z95", "difference_interval", "mean_interval", "wilson"]

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


def difference_interval(k1, n1, k2, n2, *, z: float = Z95) -> tuple[float, float, float]:
    """Two shares (``k1`` of ``n1``, ``k2`` of ``n2``) into their difference ``p1 - p2`` and
    its 95 % interval by Newcombe's hybrid score method (his method 10, from the two Wilson
    intervals): ``(difference, low, high)``; NaN when a group is empty.

    Newcombe (1998), "Interval estimation for the difference between independent
    proportions", Statistics in Medicine 17: 873-890; his example (a), 56/70 against 48/80,
    gives 0.0524 to 0.3339.
    """
    if not n1 or not n2:
        return np.nan, np.nan, np.nan
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = (float(v) for v in wilson(k1, n1, z=z))
    l2, u2 = (float(v) for v in wilson(k2, n2, z=z))
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return float(d), float(low), float(high)
