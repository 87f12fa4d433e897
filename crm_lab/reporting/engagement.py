"""Tickets and interactions into the engagement-and-service page's figures and tables.

``service.support`` and ``service.interactions`` return codes and numbers; this module picks
the period and the window each table covers, lays the results out for ``display.show_table``
(code columns, small groups left to its suppression) and says which sections the data
cannot give (``notes``: warnings the page shows at the top, one line each).

The headline covers the tickets opened in the period (``period_start`` to ``as_of``) and the
customers' contact status on the as-of day; the tables cover the ``window_days`` (a year)
to the as-of day, enough tickets and contacts to compare groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import engine, privacy
from crm_lab.core.lines import as_of_day, day_end
from crm_lab.service import interactions as contact
from crm_lab.service import support
from crm_lab.value import rfm

__all__ = ["engagement_views", "parse_targets"]


def parse_targets(text: str | None) -> dict:
    """``"high=24; *=72"`` (a page parameter) into ``{"high": 24.0, "*": 72.0}``.

    >>> parse_targets("high=24; *=72"), parse_targets("")
    ({'high': 24.0, '*': 72.0}, {})
    """
    out = {}
    for part in str(text or "").replace(",", ";").split(";"):
        if not part.strip():
            continue
        priority, sep, hours = part.partition("=")
        try:
            value = float(hours)
        except ValueError:
            value = -1.0
        if not sep or not priority.strip() or not value > 0:
            raise ValueError(f"ticket target {part.strip()!r}: expected PRIORITY=HOURS (high=24)")
        out[priority.strip()] = value
    return out


def engagement_views(
    tables: dict,
    *,
    as_of,
    period_start,
    targets: dict | None = None,
    window_days: int = 365,
) -> dict:
    """Canonical tables into the page's ``headline``, ``notes`` and tables (None where the
    data cannot give one)."""
    day = as_of_day(as_of)
    start = day - pd.Timedelta(days=window_days - 1)
    end = day_end(as_of)
    tickets, contacts = tables.get("tickets"), tables.get("interactions")
    # only what was there by the as-of day decides which sections and groups the page has
    if tickets is not None:
        tickets = tickets[tickets["opened_at"] < end]
    if contacts is not None:
        contacts = contacts[contacts["interacted_at"] < end]
    lines = tables.get("transactions")
    out: dict = {"headline": {}, "notes": []}
    if tickets is None or not len(tickets):
        out["notes"].append({"code": "section_without_table", "table": "tickets"})
    else:
        views = _service(tickets, lines, as_of=day, period_start=period_start, start=start,
                         targets=targets, notes=out["notes"], headline=out["headline"])  # fmt: skip
        out.update(views)
    if contacts is None or not len(contacts):
        out["notes"].append({"code": "section_without_table", "table": "interactions"})
    else:
        out.update(_contacts(contacts, lines, tables.get("customers"), as_of=day, start=start,
                             notes=out["notes"], headline=out["headline"]))  # fmt: skip
    return out


def _service(tickets, lines, *, as_of, period_start, start, targets, notes, headline) -> dict:
    period = support.service_summary(tickets, as_of=as_of, start=period_start, targets=targets)
    row = period.iloc[0]  # its figures are NaN (withheld) with fewer than 5 tickets behind
    opened = privacy.withhold_small({"tickets_opened": int(row["tickets"])}, count=row["tickets"])
    headline.update({
        **opened,
        "median_first_response_hours": _number(row["median_first_response_hours"]),
        "median_resolution_hours": _number(row["median_resolution_hours"]),
        "breach_share": _number(row["breach_share"]),
        "csat_mean": _number(row["csat_mean"]),
    })  # fmt: skip
    if ("due_at" not in tickets or tickets["due_at"].isna().all()) and not targets:
        notes.append({"code": "no_ticket_targets"})
    if "satisfaction" not in tickets or tickets["satisfaction"].isna().all():
        notes.append({"code": "section_without_column", "table": "tickets",
                      "column": "satisfaction"})  # fmt: skip
    views = {}
    kinds = [c for c in ("problem_type", "team", "priority", "channel")
             if c in tickets and tickets[c].notna().any()]  # fmt: skip
    if kinds:
        tables = support.service_summary(tickets, as_of=as_of, by=kinds, targets=targets,
                                         start=start)  # fmt: skip
        for by, table in tables.groupby("by", sort=False):
            name = "ticket_channel" if by == "channel" else by
            views[f"by_{by}"] = table.drop(columns="by").rename(columns={"group": name})
    trend = support.problem_trend(tickets, as_of=as_of)
    views["trend"] = trend if trend["tickets"].sum() else None
    pareto = support.problem_pareto(tickets, as_of=as_of, start=start)
    views["pareto"] = pareto if len(pareto) else None
    views["backlog"] = support.backlog(tickets, as_of=as_of)
    rated = support.csat_by(tickets, as_of=as_of, start=start)
    views["csat_by_problem"] = (
        rated.rename(columns={"group": "problem_type"}) if len(rated) else None
    )
    bands = support.csat_by_response(tickets, as_of=as_of, start=start)
    views["csat_by_response"] = bands if len(bands) and bands["tickets"].sum() else None
    repeats = support.repeat_contacts(tickets, as_of=as_of)
    recent = repeats[repeats["opened_at"] >= start]
    share = {"repeat_contact_share": float(recent["repeat"].mean()) if len(recent) else None}
    headline.update(privacy.withhold_small(share, count=int(recent["repeat"].sum())))  # 1-4: none
    if lines is not None and "customer_id" in tickets and tickets["customer_id"].notna().any():
        found = support.service_and_churn(tickets, lines, as_of=as_of)
        churn = _safe_shares(found["table"].rename(columns={"group": "ticket_group"}),
                             count="stopped", base="customers",
                             shares=["stopped_share", "stopped_low", "stopped_high"])  # fmt: skip
        views["churn"] = churn if len(churn) else None
        small = churn["stopped"].isna().any() or (churn["customers"] < privacy.MIN_GROUP).any()
        views["churn_difference"] = (
            None
            if small or not len(churn)
            else pd.DataFrame(
                [
                    {
                        "difference": found["difference"],
                        "difference_low": found["difference_low"],
                        "difference_high": found["difference_high"],
                        "slow_hours": found["slow_hours"],
                    }
                ]
            )
        )
    else:
        views["churn"] = None
        notes.append({"code": "section_without_column", "table": "tickets",
                      "column": "customer_id"})  # fmt: skip
    return views


def _contacts(contacts, lines, customers, *, as_of, start, notes, headline) -> dict:
    views = {}
    status = contact.activity_status(contacts, _known(customers, contacts, lines, as_of=as_of),
                                     as_of=as_of)  # fmt: skip
    counts = status["status"].value_counts().reindex(["active", "silent", "never"], fill_value=0)
    share = counts.values / max(len(status), 1)
    views["status"] = pd.DataFrame({"contact_status": counts.index, "customers": counts.values,
                                    "customer_share": share})  # fmt: skip
    contacted = counts["active"] + counts["silent"]
    few = (counts > 0) & (counts < privacy.MIN_GROUP)
    share = float(counts["silent"] / contacted) if contacted else None
    headline["silent_customer_share"] = None if few.any() else share
    recent = contacts[contacts["interacted_at"] >= start]
    mix = contact.channel_mix(recent, as_of=as_of)
    if len(mix):
        table = _shares(mix, "period")
        table.index = table.index.astype(str)
        views["mix_months"] = table.rename_axis(index="month").reset_index()
    if lines is None:
        notes.append({"code": "section_without_table", "table": "transactions"})
        return views
    segments = rfm.rfm_segments(rfm.rfm_scores(rfm.rfm_table(lines, as_of=as_of)))
    groups = segments.set_index(segments["customer_id"].astype("string"))["segment"]
    by_segment = contact.channel_mix(recent, as_of=as_of, groups=groups)
    if len(by_segment):
        table = _shares(by_segment, "group")
        order = [s for s in rfm.SEGMENT_CODES if s in table.index]
        views["mix_segments"] = table.reindex(order).rename_axis(index="segment").reset_index()
    outcomes = contact.interaction_outcomes(recent, lines, as_of=as_of)
    if len(outcomes):
        shown = ["contacts", "customers", "rate", "rate_low", "rate_high"]
        everyone = contact.contact_rates(outcomes)
        views["rates_channel"] = everyone.rename(columns={"channel": "contact_channel"})[
            ["contact_channel", *shown]
        ]
        views["best_by_segment"] = _best_by_segment(outcomes, groups)
        for by in ("weekday", "hour"):
            views[f"rates_{by}"] = contact.contact_rates(outcomes, by=by)[[by, *shown]]
    before = contact.contact_before(contacts, lines, as_of=as_of)
    events = before.groupby("kind")["events"].first()
    before = before[before["kind"].map(events) >= privacy.MIN_GROUP]  # a kind of few: out
    table = before.pivot_table(index="week", columns="kind", values="interactions_per_event")
    table = table.add_prefix("per_").rename_axis(columns=None)
    kinds = ["per_purchase", "per_no_purchase", "per_went_silent", "per_bought_again"]
    views["before"] = table[[k for k in kinds if k in table]].reset_index() if len(table) else None
    return views


def _known(customers, contacts, lines, *, as_of) -> pd.Series:
    """The customers known on the as-of day: signed up by then (or without a signup date),
    contacted by then, or buying by then; nobody the file holds only from later days."""
    end = day_end(as_of)
    ids = [contacts.loc[contacts["interacted_at"] < end, "customer_id"]]
    if customers is not None and len(customers):
        signed = customers["signup_date"] if "signup_date" in customers else None
        keep = ~(signed >= end) if signed is not None else slice(None)
        ids.append(customers.loc[keep, "customer_id"])
    if lines is not None:
        ids.append(engine.customer_totals(lines, end=end)["customer_id"])
    known = pd.concat([pd.Series(i, dtype="string") for i in ids], ignore_index=True)
    return known.dropna().drop_duplicates().sort_values(ignore_index=True)


def _best_by_segment(outcomes: pd.DataFrame, groups: pd.Series) -> pd.DataFrame | None:
    """Per RFM segment, the channel, the weekday and the hour after whose contacts most
    purchases follow, each marked ✓ when it leads beyond chance (``best_channels``)."""
    parts = []
    for by in ("channel", "weekday", "hour"):
        rates = contact.contact_rates(outcomes, by=by, groups=groups)
        best = contact.best_channels(rates, by=by).set_index("group")
        name = "best_channel" if by == "channel" else f"best_{by}"
        mark = pd.Series(np.where(best["clearly"], "✓", ""), index=best.index)
        parts.append(pd.DataFrame({name: best["best"], f"{by}_clearly": mark}))
    people = outcomes["customer_id"].astype("string").map(groups).rename("group")
    reached = outcomes["customer_id"].groupby(people).nunique().rename("customers")
    table = pd.concat([reached, *parts], axis=1)  # the segment's contacted customers: the count
    table = table[table[["best_channel", "best_weekday", "best_hour"]].notna().any(axis=1)]
    if table.empty:
        return None
    order = [s for s in rfm.SEGMENT_CODES if s in table.index]
    table = table.reindex(order).rename_axis("segment").reset_index()
    for column in ("best_weekday", "best_hour"):
        table[column] = table[column].astype("Int64")
    for column in ("channel_clearly", "weekday_clearly", "hour_clearly"):
        table[column] = table[column].fillna("")
    return table


def _shares(mix: pd.DataFrame, index: str) -> pd.DataFrame:
    """A long channel mix into one row per ``index`` value: its ``contacts`` (the count that
    small-group suppression reads) and one ``share_<channel>`` column per channel."""
    shares = mix.pivot_table(index=index, columns="channel", values="share", fill_value=0.0,
                             observed=True)  # fmt: skip
    counts = mix.pivot_table(index=index, columns="channel", values="interactions",
                             fill_value=0, observed=True).reindex_like(shares)  # fmt: skip
    # a share of 1 to 4 contacts is blank; its row's shares add up to one, so one more (the
    # next smallest) is blanked with it, and the contacts column is the row's total
    small, extra = privacy.small_cells(counts, k=privacy.MIN_GROUP,
                                       regions=[[(i, j) for j in range(counts.shape[1])]
                                                for i in range(counts.shape[0])])  # fmt: skip
    shares = shares.mask(small | extra).add_prefix("share_")
    contacts = mix.groupby(index, observed=True)["interactions"].sum().rename("contacts")
    return pd.concat([contacts, shares], axis=1).rename_axis(columns=None)


def _safe_shares(table: pd.DataFrame, *, count: str, base: str, shares) -> pd.DataFrame:
    """A table of counts out of a base into the same with the count and its shares blank
    where the count, or the base minus it, is 1 to ``privacy.MIN_GROUP - 1``: 3 of 120 who
    stopped buying are three customers."""
    out = table.copy()
    k = privacy.MIN_GROUP
    rest = out[base] - out[count]
    small = ((out[count] > 0) & (out[count] < k)) | ((rest > 0) & (rest < k))
    out[count] = out[count].astype("float64").mask(small)
    for column in shares:
        out[column] = out[column].astype("float64").mask(small)
    return out


def _number(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)
