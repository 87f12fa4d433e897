"""Service tickets into what the support desk delivers: response and resolution times,
breaches of targets, the backlog, reopened tickets and repeat contacts, the problem types.

Every function takes the canonical tickets table and ``as_of`` (an inclusive day): a ticket
counts when it was opened by then, and a response, resolution or closing after it has not
happened yet (a ticket resolved the week after is open on the as-of day). A ticket's
resolution is its ``resolved_at``, else its ``closed_at`` (an export with one date, such as a
public service desk's "Closed Date"). Times are hours (``HOUR``); ages days. A customer id is
never needed, except by ``repeat_contacts``.

A ticket is due at its own ``due_at`` when the export has one, else at its opening plus the
target of its priority (``targets``: hours per priority, ``"*"`` for any other; no target, no
due). It breached when it was resolved after it was due, or is still open past it on the
as-of day. A ticket whose due time is after the as-of day is undecided, resolved or not, and
counts in no breach share (counting only the early ones would bias it low). Ratings count
only for tickets resolved by the as-of day when the export dates resolutions (a rating given
later is later data).

Medians and 90th percentiles are over the tickets resolved by the as-of day (linear
interpolation between ranks, as ``pandas.Series.quantile``); the backlog and the resolution
share say how many are not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import engine, privacy
from crm_lab.core.intervals import difference_interval, mean_interval, wilson
from crm_lab.core.lines import as_of_day, day_end

__all__ = [
    "BANDS",
    "HOUR",
    "backlog",
    "csat_by",
    "csat_by_response",
    "customer_tickets",
    "problem_pareto",
    "problem_trend",
    "repeat_contacts",
    "service_and_churn",
    "service_summary",
    "ticket_durations",
]

HOUR = pd.Timedelta(hours=1)
# first-response bands (hours) for satisfaction by response time
BANDS = (1, 4, 24, 72)
# the backlog's age bands (days)
AGE_BANDS = (1, 3, 7, 30)


def ticket_durations(tickets: pd.DataFrame, *, as_of, targets: dict | None = None) -> pd.DataFrame:
    """Tickets opened by ``as_of`` into one row each with its timings on the as-of day.

    Returns the ticket's columns and ``first_response_hours``, ``resolution_hours`` (NaN
    until it happens), ``resolved`` (by the as-of day), ``open``, ``age_days`` (of an open
    ticket, whole days since it was opened), ``due`` (its own due date, else the target of
    its priority; NaT without either) and ``breached`` (True, False, or NA while undecided).

    >>> tk = pd.DataFrame({"ticket_id": ["1", "2", "3"],
    ...     "opened_at": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 08:00",
    ...                                  "2024-01-05 00:00"]),
    ...     "resolved_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-09 00:00", None]),
    ...     "priority": ["high", "low", "high"]})
    >>> d = ticket_durations(tk, as_of="2024-01-07", targets={"high": 24, "*": 72})
    >>> d[["ticket_id", "resolution_hours", "open", "age_days", "breached"]]
      ticket_id  resolution_hours   open  age_days  breached
    0         1              12.0  False      <NA>     False
    1         2               NaN   True         6      True
    2         3               NaN   True         2      True
    """
    day, end = as_of_day(as_of), day_end(as_of)
    out = tickets[tickets["opened_at"] < end].copy()
    opened = out["opened_at"]

    def until_end(column: str) -> pd.Series:
        if column not in out:
            return pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        at = out[column]
        return at.where(at < end)

    done = until_end("resolved_at").fillna(until_end("closed_at"))
    answered = until_end("first_response_at")
    out["first_response_hours"] = (answered - opened) / HOUR
    out["resolution_hours"] = (done - opened) / HOUR
    out["resolved"] = done.notna()
    out["open"] = ~out["resolved"]
    age = (day - opened.dt.normalize()).dt.days
    out["age_days"] = age.where(out["open"]).astype("Int64")
    out["due"] = _due(out, targets)
    late_done = out["resolved"] & (done > out["due"])
    late_open = out["open"] & (end > out["due"])
    # decided once the due time has passed: counting the tickets resolved early while the
    # others are still open would bias the share low
    decided = out["due"].notna() & (out["due"] < end)
    breached = pd.Series(pd.NA, index=out.index, dtype="boolean")
    breached[decided] = (late_done | late_open)[decided]
    out["breached"] = breached
    return out


def _due(tickets: pd.DataFrame, targets: dict | None) -> pd.Series:
    """Each ticket's due time: its own ``due_at``, else its opening plus its priority's target."""
    own = tickets["due_at"] if "due_at" in tickets else pd.Series(pd.NaT, index=tickets.index)
    if not targets:
        return own.astype("datetime64[ns]")
    if "priority" in tickets:
        priority = tickets["priority"].astype("string").str.strip().str.casefold()
    else:
        priority = pd.Series(pd.NA, index=tickets.index, dtype="string")
    hours = {str(k).strip().casefold(): float(v) for k, v in targets.items()}
    target = priority.map(hours).astype("float64")
    if "*" in hours:
        target = target.fillna(hours["*"])
    by_target = tickets["opened_at"] + pd.to_timedelta(target, unit="h")
    return own.fillna(by_target).astype("datetime64[ns]")


def service_summary(
    tickets: pd.DataFrame,
    *,
    as_of,
    by=None,
    targets: dict | None = None,
    start=None,
    min_group: int = privacy.MIN_GROUP,
) -> pd.DataFrame:
    """Tickets into the service figures for all of them (``group`` ``all``) or per value of
    ``by`` (``problem_type``, ``team``, ``priority``, ``channel``); ``by`` a list (None for
    all of them) gives each one's rows in turn, with a ``by`` column, from one pass over the
    tickets' timings.

    Tickets opened from ``start`` (inclusive; default: all) to ``as_of`` count. Returns
    ``group``, ``tickets``, ``median_first_response_hours``, ``median_resolution_hours``,
    ``p90_resolution_hours``, ``breach_share`` (of the decided tickets with a due time),
    ``resolution_share`` (resolved by the as-of day), ``open_tickets``, ``reopened_share``
    (of the resolved ones, when the export says), ``csat_mean`` (NaN without ratings) and
    ``rated_tickets``; a figure of fewer than ``privacy.MIN_GROUP`` tickets behind it is NaN.
    Groups by tickets, most first, then by name.

    >>> tk = pd.DataFrame({"ticket_id": list("abc"), "team": ["x", "x", "y"],
    ...     "opened_at": pd.to_datetime(["2024-01-01"] * 3),
    ...     "resolved_at": pd.to_datetime(["2024-01-02", "2024-01-04", None])})
    >>> service_summary(tk, as_of="2024-01-31", by="team", min_group=1)[
    ...     ["group", "tickets", "median_resolution_hours", "resolution_share"]]
      group  tickets  median_resolution_hours  resolution_share
    0     x        2                     48.0               1.0
    1     y        1                      NaN               0.0
    """
    d = ticket_durations(tickets, as_of=as_of, targets=targets)
    if start is not None:
        d = d[d["opened_at"] >= as_of_day(start)]
    if isinstance(by, (list, tuple)):
        parts = [_summary(d, one, min_group=min_group).assign(by=one or "all") for one in by]
        out = pd.concat(parts, ignore_index=True)
        return out[["by", *[c for c in out.columns if c != "by"]]]
    return _summary(d, by, min_group=min_group)


def _summary(d: pd.DataFrame, by: str | None, *, min_group: int) -> pd.DataFrame:
    """Ticket timings (``ticket_durations``) into ``service_summary``'s rows for one ``by``."""
    if by is None:
        groups = [("all", d)]
    else:
        key = d[by].astype("string").fillna("(none)") if by in d else pd.Series(dtype="string")
        groups = list(d.groupby(key, sort=True)) if len(key) else []
    rows = [{"group": str(name), **_figures(part, min_group=min_group)} for name, part in groups]
    out = pd.DataFrame(rows, columns=["group", *_FIGURES])
    if by is not None and len(out):
        out = out.sort_values(["tickets", "group"], ascending=[False, True], ignore_index=True)
    return out


_FIGURES = ("tickets", "median_first_response_hours", "median_resolution_hours",
            "p90_resolution_hours", "breach_share", "resolution_share", "open_tickets",
            "reopened_share", "csat_mean", "rated_tickets")  # fmt: skip


def _ratings(d: pd.DataFrame) -> pd.Series:
    """The ratings that count on the as-of day: of tickets resolved by then, when the export
    dates resolutions (else every rating: nothing tells them apart)."""
    if "satisfaction" not in d:
        return pd.Series(dtype=float)
    dated = any(c in d and d[c].notna().any() for c in ("resolved_at", "closed_at"))
    rated = d[d["resolved"]] if dated else d
    return rated["satisfaction"].dropna()


def _figures(d: pd.DataFrame, *, min_group: int = privacy.MIN_GROUP) -> dict:
    """One group's figures; each figure of fewer than ``min_group`` tickets behind it (rated,
    resolved, answered, decided) is NaN: a median of two tickets describes two customers."""
    resolved = d[d["resolved"]]
    decided = d["breached"].dropna()
    answered = d["first_response_hours"].dropna()
    reopened = np.nan
    if "reopened" in d and resolved["reopened"].notna().any():
        reopened = float((resolved["reopened"].fillna(0) > 0).mean())
    csat = _ratings(d)

    def enough(value, base):
        return value if base >= min_group else np.nan

    hours = resolved["resolution_hours"]
    return {
        "tickets": len(d),
        "median_first_response_hours": enough(answered.median(), len(answered)),
        "median_resolution_hours": enough(hours.median(), len(hours)),
        "p90_resolution_hours": enough(hours.quantile(0.9), len(hours)),
        "breach_share": enough(float(decided.mean()) if len(decided) else np.nan, len(decided)),
        "resolution_share": float(d["resolved"].mean()) if len(d) else np.nan,
        "open_tickets": int(d["open"].sum()),
        "reopened_share": enough(reopened, len(resolved)),
        "csat_mean": enough(float(csat.mean()) if len(csat) else np.nan, len(csat)),
        "rated_tickets": len(csat),
    }


def _banded(values: pd.Series, bands) -> tuple[pd.Series, list[str]]:
    """Values into bands between the edges ``0, *bands`` (left-closed: ``0-1``, ``1-4``, ...,
    the last open, ``72+``) and the bands' names in order."""
    edges = [0, *bands, np.inf]
    names = [f"{a:g}-{b:g}" for a, b in zip(edges[:-2], edges[1:-1], strict=True)]
    names.append(f"{edges[-2]:g}+")
    return pd.cut(values, edges, right=False, labels=names), names


def _rated(tickets: pd.DataFrame, *, as_of, start) -> pd.DataFrame:
    """The timings (``ticket_durations``) of the tickets opened from ``start`` whose rating
    counts on the as-of day (``_ratings``)."""
    d = ticket_durations(tickets, as_of=as_of)
    if start is not None:
        d = d[d["opened_at"] >= as_of_day(start)]
    return d.loc[_ratings(d).index]


def _csat_row(name: str, ratings: pd.Series, *, key: str) -> dict:
    mean, low, high = mean_interval(ratings)
    return {key: name, "tickets": int(ratings.notna().sum()), "csat_mean": mean,
            "csat_low": low, "csat_high": high}  # fmt: skip


def backlog(tickets: pd.DataFrame, *, as_of, bands=AGE_BANDS) -> pd.DataFrame:
    """Tickets into the backlog on the as-of day: open tickets per age band (whole days since
    they were opened: ``0-1``, ``1-3``, ... ``30+`` for the default ``bands``), with
    ``tickets`` and ``share`` (of the open tickets).

    >>> tk = pd.DataFrame({"ticket_id": list("abc"),
    ...     "opened_at": pd.to_datetime(["2024-01-30", "2024-01-20", "2023-12-01"]),
    ...     "resolved_at": pd.NaT})
    >>> backlog(tk, as_of="2024-01-31")["tickets"].tolist()
    [0, 1, 0, 1, 1]
    """
    d = ticket_durations(tickets, as_of=as_of)
    band, names = _banded(d.loc[d["open"], "age_days"].astype("float64"), bands)
    counts = band.value_counts().reindex(names, fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame({"age_days": names, "tickets": counts.to_numpy().astype("int64"),
                         "share": counts.to_numpy() / total if total else np.nan})  # fmt: skip


def repeat_contacts(tickets: pd.DataFrame, *, as_of, days: int = 7) -> pd.DataFrame:
    """Tickets into those that repeat an earlier one: the same customer with the same problem
    type, opened within ``days`` days after the earlier one was opened.

    Returns the tickets opened by the as-of day with a customer id and a problem type, each
    with ``repeat`` (True when it repeats one) and ``previous_ticket``; empty without those
    columns.

    >>> tk = pd.DataFrame({"ticket_id": list("abc"), "customer_id": ["x", "x", "x"],
    ...     "problem_type": ["billing", "billing", "billing"],
    ...     "opened_at": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-02-01"])})
    >>> repeat_contacts(tk, as_of="2024-03-01")[["ticket_id", "repeat", "previous_ticket"]]
      ticket_id  repeat previous_ticket
    0         a   False            <NA>
    1         b    True               a
    2         c   False               b
    """
    columns = ["ticket_id", "customer_id", "problem_type", "opened_at", "repeat",
               "previous_ticket"]  # fmt: skip
    if not {"customer_id", "problem_type"} <= set(tickets.columns):
        return pd.DataFrame(columns=columns)
    d = tickets[(tickets["opened_at"] < day_end(as_of)) & tickets["customer_id"].notna()
                & tickets["problem_type"].notna()]  # fmt: skip
    d = d.sort_values(["customer_id", "problem_type", "opened_at", "ticket_id"], kind="stable")
    same = [d["customer_id"].astype("string"), d["problem_type"].astype("string")]
    before = d.groupby(same, sort=False)["opened_at"].shift()
    previous = d.groupby(same, sort=False)["ticket_id"].shift().astype("string")
    gap = (d["opened_at"] - before) / pd.Timedelta(days=1)
    out = d[["ticket_id", "customer_id", "problem_type", "opened_at"]].copy()
    out["repeat"] = (gap <= days).fillna(False).astype(bool)
    out["previous_ticket"] = previous
    return out.reset_index(drop=True)[columns]


def problem_pareto(tickets: pd.DataFrame, *, as_of, start=None) -> pd.DataFrame:
    """Tickets into their problem types, most frequent first: ``problem_type``, ``tickets``,
    ``share`` and ``cumulative_share`` (the Pareto chart's line); a ticket without a type is
    ``(none)``.

    >>> tk = pd.DataFrame({"ticket_id": list("abcd"), "problem_type": ["x", "y", "x", "x"],
    ...     "opened_at": pd.to_datetime(["2024-01-01"] * 4)})
    >>> problem_pareto(tk, as_of="2024-01-31")[["problem_type", "share", "cumulative_share"]]
      problem_type  share  cumulative_share
    0            x   0.75              0.75
    1            y   0.25              1.00
    """
    d = tickets[tickets["opened_at"] < day_end(as_of)]
    if start is not None:
        d = d[d["opened_at"] >= as_of_day(start)]
    kind = d["problem_type"].astype("string").fillna("(none)") if "problem_type" in d else (
        pd.Series("(none)", index=d.index))  # fmt: skip
    counts = kind.value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    total = int(counts.sum())
    out = pd.DataFrame({"problem_type": counts.index.astype(str), "tickets": counts.to_numpy()})
    out["share"] = out["tickets"] / total if total else np.nan
    out["cumulative_share"] = out["share"].cumsum()
    return out


def csat_by(tickets: pd.DataFrame, *, as_of, by: str = "problem_type", start=None):
    """Rated tickets into their mean satisfaction per value of ``by`` (a ticket without one:
    ``(none)``): ``group``, ``tickets`` (rated), ``csat_mean`` and its 95 % interval
    (``csat_low``, ``csat_high``: ``core.intervals.mean_interval``), lowest mean first; empty
    without ratings.

    >>> tk = pd.DataFrame({"ticket_id": list("abcd"), "problem_type": ["x", "x", "y", "y"],
    ...     "opened_at": pd.to_datetime(["2024-01-01"] * 4), "satisfaction": [1.0, 2, 5, 4]})
    >>> csat_by(tk, as_of="2024-01-31")[["group", "tickets", "csat_mean"]]
      group  tickets  csat_mean
    0     x        2        1.5
    1     y        2        4.5
    """
    columns = ["group", "tickets", "csat_mean", "csat_low", "csat_high"]
    if "satisfaction" not in tickets or by not in tickets:
        return pd.DataFrame(columns=columns)
    d = _rated(tickets, as_of=as_of, start=start)
    groups = d.groupby(d[by].astype("string").fillna("(none)"), sort=True)
    rows = [_csat_row(str(name), part["satisfaction"], key="group") for name, part in groups]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["csat_mean", "group"], ignore_index=True)


def csat_by_response(tickets: pd.DataFrame, *, as_of, bands=BANDS, start=None) -> pd.DataFrame:
    """Rated tickets into their mean satisfaction per first-response band (hours: ``0-1``,
    ``1-4``, ... ``72+`` for the default ``bands``, ``no response`` when none is recorded):
    ``band``, ``tickets`` (rated), ``csat_mean`` and its 95 % interval (``csat_low``,
    ``csat_high``: ``core.intervals.mean_interval``; NaN with fewer than two ratings)."""
    if "satisfaction" not in tickets:
        return pd.DataFrame(columns=["band", "tickets", "csat_mean", "csat_low", "csat_high"])
    d = _rated(tickets, as_of=as_of, start=start)
    band, names = _banded(d["first_response_hours"], bands)
    band = band.astype("object").where(band.notna(), "no response")
    return pd.DataFrame([_csat_row(name, d.loc[band == name, "satisfaction"], key="band")
                         for name in [*names, "no response"]])  # fmt: skip


def service_and_churn(
    tickets: pd.DataFrame,
    transactions,
    *,
    as_of,
    slow_hours: float | None = None,
    follow_days: int = 90,
    window_days: int = 365,
) -> dict:
    """Tickets and order lines into whether customers whose ticket was slow (or is still
    unresolved) stop buying more often than those served on time: a comparison with its
    interval, not a claim of cause.

    Each buying customer's first ticket opened in the ``window_days`` that end
    ``follow_days`` before the as-of day counts, when the customer had bought before it.
    It was *slow* when it was not resolved within ``slow_hours`` of its opening (default:
    the 75th percentile of those tickets' resolution hours). The customer *stopped* when
    they bought on none of the ``follow_days`` days after the ticket's day.

    Returns ``{"table": ...}`` with one row per group (``slow``, ``on_time``): ``customers``,
    ``stopped``, ``stopped_share`` and its Wilson interval (``stopped_low``,
    ``stopped_high``); ``difference`` (slow minus on time) with ``difference_low`` and
    ``difference_high`` (Newcombe's interval, ``core.intervals.difference_interval``), and
    ``slow_hours`` (the line used); the figures are NaN without tickets of a customer.
    """
    day, end = as_of_day(as_of), day_end(as_of)
    last_open = day - pd.Timedelta(days=follow_days)  # a full follow-up by the as-of day
    empty = {"table": pd.DataFrame(columns=["group", "customers", "stopped", "stopped_share",
                                            "stopped_low", "stopped_high"]),
             "difference": np.nan, "difference_low": np.nan, "difference_high": np.nan,
             "slow_hours": np.nan}  # fmt: skip
    if "customer_id" not in tickets or tickets["customer_id"].isna().all():
        return empty
    d = ticket_durations(tickets, as_of=as_of)
    d = d[d["customer_id"].notna() & (d["opened_at"] < last_open + pd.Timedelta(days=1))
          & (d["opened_at"] >= last_open - pd.Timedelta(days=window_days))]  # fmt: skip
    d = d.sort_values(["opened_at", "ticket_id"]).drop_duplicates("customer_id")
    bought = engine.purchase_days(transactions, end=end)[["customer_id", "day"]]
    bought = bought.assign(customer_id=bought["customer_id"].astype("string"))
    d = d.assign(
        customer_id=d["customer_id"].astype("string"), ticket_day=d["opened_at"].dt.normalize()
    )
    joined = d[["customer_id", "ticket_day"]].merge(bought, on="customer_id", how="inner")
    before = set(joined.loc[joined["day"] < joined["ticket_day"], "customer_id"])
    gap = (joined["day"] - joined["ticket_day"]) / pd.Timedelta(days=1)
    again = set(joined.loc[(gap > 0) & (gap <= follow_days), "customer_id"])
    d = d[d["customer_id"].isin(before)]
    if d.empty:
        return empty
    hours = d["resolution_hours"]
    line = float(hours.dropna().quantile(0.75)) if slow_hours is None else float(slow_hours)
    slow = ~(hours <= line).fillna(False).to_numpy(dtype=bool)  # unresolved: slow
    stopped = ~d["customer_id"].isin(again).to_numpy()
    rows = []
    for name, mask in (("slow", slow), ("on_time", ~slow)):
        n, k = int(mask.sum()), int((stopped & mask).sum())
        low, high = wilson(k, n)
        rows.append({"group": name, "customers": n, "stopped": k,
                     "stopped_share": k / n if n else np.nan,
                     "stopped_low": float(low), "stopped_high": float(high)})  # fmt: skip
    table = pd.DataFrame(rows)
    a, b = rows
    diff, low, high = difference_interval(a["stopped"], a["customers"], b["stopped"],
                                          b["customers"])  # fmt: skip
    return {"table": table, "difference": diff, "difference_low": low,
            "difference_high": high, "slow_hours": line}  # fmt: skip


def customer_tickets(tickets: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Tickets into one row per customer with a ticket by the as-of day: ``open_tickets``
    (not resolved by then) and ``last_csat`` (the rating of their latest rated ticket).

    >>> tk = pd.DataFrame({"ticket_id": list("abc"), "customer_id": ["x", "x", "y"],
    ...     "opened_at": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-05"]),
    ...     "resolved_at": pd.to_datetime(["2024-01-02", None, "2024-01-06"]),
    ...     "satisfaction": [2.0, None, 5.0]})
    >>> customer_tickets(tk, as_of="2024-03-01")
      customer_id  open_tickets  last_csat
    0           x             1        2.0
    1           y             0        5.0
    """
    columns = ["customer_id", "open_tickets", "last_csat"]
    if "customer_id" not in tickets:
        return pd.DataFrame(columns=columns)
    d = ticket_durations(tickets, as_of=as_of)
    d = d[d["customer_id"].notna()].assign(customer_id=lambda f: f["customer_id"].astype("string"))
    open_now = d.groupby("customer_id")["open"].sum().astype("int64")
    out = pd.DataFrame({"customer_id": open_now.index, "open_tickets": open_now.to_numpy()})
    if "satisfaction" in d:
        rated = d[d["satisfaction"].notna()].sort_values(["opened_at", "ticket_id"])
        last = rated.groupby("customer_id")["satisfaction"].last()
        out["last_csat"] = out["customer_id"].map(last).astype("float64")
    else:
        out["last_csat"] = np.nan
    return out[columns].sort_values("customer_id", ignore_index=True)


def problem_trend(tickets: pd.DataFrame, *, as_of, months: int = 12, top: int = 5):
    """Tickets into the monthly count of the ``top`` problem types of the last ``months``
    months (the as-of month included, partial): ``month`` (a period), ``problem_type`` (the
    rest together as ``(other)``) and ``tickets``; every month and type, zeros included.

    >>> tk = pd.DataFrame({"ticket_id": list("abc"), "problem_type": ["x", "x", "y"],
    ...     "opened_at": pd.to_datetime(["2024-01-05", "2024-02-05", "2024-02-06"])})
    >>> problem_trend(tk, as_of="2024-02-29", months=2, top=1)["tickets"].tolist()
    [1, 0, 1, 1]
    """
    day = as_of_day(as_of)
    first = (day.to_period("M") - (months - 1)).to_timestamp()
    d = tickets[(tickets["opened_at"] < day_end(as_of)) & (tickets["opened_at"] >= first)]
    kind = d["problem_type"].astype("string").fillna("(none)") if "problem_type" in d else (
        pd.Series("(none)", index=d.index, dtype="string"))  # fmt: skip
    counts = kind.value_counts()
    keep = list(counts.sort_index().sort_values(ascending=False, kind="stable").index[:top])
    kind = kind.where(kind.isin(keep), "(other)")
    names = keep + (["(other)"] if (kind == "(other)").any() else [])
    month = d["opened_at"].dt.to_period("M")
    table = kind.groupby([month.rename("month"), kind.rename("problem_type")]).size()
    periods = pd.period_range(first, day, freq="M")
    full = pd.MultiIndex.from_product([periods, names], names=["month", "problem_type"])
    return table.reindex(full, fill_value=0).rename("tickets").reset_index()
