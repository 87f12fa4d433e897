"""Period names into dates: ``last-month``, ``2025-12``, ``2025-Q4`` -> (name, start, as_of).

A recurring run names its period; the as-of day (inclusive cut-off) and the first day of the
period follow from it, relative to ``today`` for the relative names, so a cron line never has to
compute dates. Every template gets ``period_start`` and ``as_of``: figures "in the period" use
both, figures "to date" use ``as_of`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from crm_lab.core.lines import as_of_day

__all__ = ["Period", "resolve_period"]

RELATIVE = ("last-month", "this-month", "last-quarter", "last-week", "last-year")


@dataclass(frozen=True)
class Period:
    """A reporting period: its folder name, first day and inclusive last day (the as-of day)."""

    name: str
    start: pd.Timestamp
    as_of: pd.Timestamp

    @property
    def days(self) -> int:
        return int((self.as_of - self.start).days) + 1


def _month(ts: pd.Timestamp) -> Period:
    start = ts.to_period("M").start_time
    return Period(ts.strftime("%Y-%m"), start, ts.to_period("M").end_time.normalize())


def resolve_period(spec: str | None = None, *, as_of=None, today=None) -> Period:
    """Turn a period name (or an as-of day) into a ``Period``.

    Parameters
    ----------
    spec : str, optional
        ``last-month``, ``this-month`` (month to date, up to yesterday), ``last-quarter``,
        ``last-week`` (Monday to Sunday), ``last-year``, or an explicit ``YYYY-MM``,
        ``YYYY-Qn``, ``YYYY``. Any other text is taken as a folder name for the as-of month.
    as_of : date-like, optional
        Inclusive cut-off day (see ``core.lines.as_of_day``: an ISO day, a date, a
        ``pd.Timestamp``, or a ``pd.Period`` for its last day). When given it wins over the
        period's own last day (a month reported on its 15th, say) and must lie inside the
        period (else ``ValueError``); required when ``spec`` is empty or free text, where it
        names the month.
    today : date-like, optional
        The day relative names count from; the current date when omitted.

    Examples
    --------
    >>> p = resolve_period("last-month", today="2026-01-15")
    >>> p.name, p.start.date().isoformat(), p.as_of.date().isoformat()
    ('2025-12', '2025-12-01', '2025-12-31')
    >>> resolve_period("2025-Q4").as_of.date().isoformat()
    '2025-12-31'
    """
    today = pd.Timestamp(today if today is not None else pd.Timestamp.now()).normalize()
    period: Period | None = None
    if spec in (None, "") or spec not in RELATIVE and not _explicit(spec):
        if as_of is None and spec in (None, ""):
            raise ValueError(
                f"no period and no as_of: give a period ({', '.join(RELATIVE)}, YYYY-MM, "
                "YYYY-Qn or YYYY) or an as-of day YYYY-MM-DD"
            )
        if as_of is None:
            raise ValueError(
                f"period {spec!r} is not one of {', '.join(RELATIVE)}, YYYY-MM, YYYY-Qn or "
                "YYYY; a free folder name needs an as-of day: give --as-of YYYY-MM-DD as well"
            )
        day = as_of_day(as_of)
        base = _month(day)
        return Period(spec or base.name, base.start, day)
    if spec == "last-month":
        period = _month(today.to_period("M").start_time - pd.Timedelta(days=1))
    elif spec == "this-month":
        yesterday = today - pd.Timedelta(days=1)
        period = Period(yesterday.strftime("%Y-%m"), yesterday.to_period("M").start_time, yesterday)
    elif spec == "last-quarter":
        q = today.to_period("Q") - 1
        period = Period(str(q).replace("Q", "-Q"), q.start_time, q.end_time.normalize())
    elif spec == "last-week":
        w = today.to_period("W-SUN") - 1
        period = Period(w.start_time.strftime("%G-W%V"), w.start_time, w.end_time.normalize())
    elif spec == "last-year":
        y = today.to_period("Y") - 1
        period = Period(str(y), y.start_time, y.end_time.normalize())
    else:
        period = _explicit(spec)
    if as_of is not None:
        day = as_of_day(as_of)
        if not period.start <= day <= period.as_of:
            raise ValueError(
                f"as_of {day.date()} is outside period {period.name} "
                f"({period.start.date()} to {period.as_of.date()}): give a day inside the "
                "period, or none for its last day"
            )
        period = Period(period.name, period.start, day)
    return period


def _explicit(spec: str) -> Period | None:
    if re.fullmatch(r"\d{4}-\d{2}", spec):
        if not 1 <= int(spec[5:]) <= 12:
            raise ValueError(f"period {spec!r}: the month must be 01 to 12")
        return _month(pd.Timestamp(f"{spec}-01"))
    m = re.fullmatch(r"(\d{4})-?Q([1-4])", spec)
    if m:
        q = pd.Period(f"{m.group(1)}Q{m.group(2)}", freq="Q")
        return Period(f"{m.group(1)}-Q{m.group(2)}", q.start_time, q.end_time.normalize())
    if re.fullmatch(r"\d{4}", spec):
        y = pd.Period(spec, freq="Y")
        return Period(spec, y.start_time, y.end_time.normalize())
    return None
