"""A ticket event log (one row per ticket and activity) into the tickets table.

Many help-desk tools, and the process-mining tools that read them, export a ticket's history
as events ("Case ID, Activity, Complete Timestamp": Assign seriousness, Take in charge ticket,
Resolve ticket, Closed, ...) rather than one row per ticket. The canonical ``ticket_events``
table holds such a log; ``tickets_from_events`` turns it into ``tickets`` by a mapping of
activities to the moments a ticket's timings are read from (``MARKS``; the shipped mapping is
``ticket_events`` in ``policies.yaml``, which a user's policies file replaces list by list):

- ``opened_at``: the first "opened" activity (a ticket without one: its first event);
- ``first_response_at``: the first "first_response" activity not before it was opened;
- ``resolved_at`` and ``closed_at``: the last "resolved" and "closed" activities;
- ``reopened``: the resolutions after the first one, and the "reopened" activities;
- ``status``: closed, resolved or open, by the last of those;
- the ticket's other columns (customer, priority, team, problem type, channel): each one's
  last value in the ticket's events.

Activities are matched ignoring case and the spaces at their ends.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CARRIED", "MARKS", "ticket_times", "tickets_from_events"]

MARKS = ("opened", "first_response", "resolved", "closed", "reopened")
# columns of the event log that describe the ticket, carried onto it (each one's last value)
CARRIED = ("customer_id", "problem_type", "priority", "team", "channel", "description")


def _norm(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.casefold()


def _last(events: pd.DataFrame, activities: dict, mark: str) -> pd.Series:
    """Each ticket's last event of one mark's activities (by ticket id)."""
    names = {str(n).strip().casefold() for n in activities.get(mark) or ()}
    hit = _norm(events["activity"]).isin(names).fillna(False).to_numpy(dtype=bool)
    return events["event_at"][hit].groupby(events["ticket_id"].astype("string")[hit]).max()


def ticket_times(events: pd.DataFrame, *, activities: dict) -> pd.DataFrame:
    """Ticket events into one row per ticket: the time of each mark as the log has it.

    Returns ``ticket_id``, ``opened_at`` (first "opened" event), ``first_response_at`` (first
    "first_response" event), ``resolved_at`` and ``closed_at`` (last of each), ``resolutions``
    and ``reopen_events`` (how many), ``first_event_at``, ``last_event_at`` and ``events``;
    NaT where the ticket has no such activity: nothing is filled in here.

    >>> ev = pd.DataFrame({"ticket_id": ["1", "1", "1", "2"],
    ...     "activity": ["Open", "Resolve", "resolve ", "Resolve"],
    ...     "event_at": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-02"])})
    >>> times = ticket_times(ev, activities={"opened": ["open"], "resolved": ["Resolve"]})
    >>> times[["ticket_id", "opened_at", "resolved_at", "resolutions"]]
      ticket_id  opened_at resolved_at  resolutions
    0         1 2024-01-01  2024-01-05            2
    1         2        NaT  2024-01-02            1
    """
    activity = _norm(events["activity"])
    ticket = events["ticket_id"].astype("string")
    at = events["event_at"]
    by = ticket.rename("ticket_id")
    out = pd.DataFrame({
        "first_event_at": at.groupby(by).min(),
        "last_event_at": at.groupby(by).max(),
        "events": at.groupby(by).size(),
    })  # fmt: skip
    for mark, column, how in (
        ("opened", "opened_at", "min"),
        ("first_response", "first_response_at", "min"),
        ("resolved", "resolved_at", "max"),
        ("closed", "closed_at", "max"),
    ):
        names = {str(n).strip().casefold() for n in activities.get(mark) or ()}
        hit = activity.isin(names).fillna(False).to_numpy(dtype=bool)
        out[column] = at[hit].groupby(by[hit]).agg(how).reindex(out.index)
        if mark == "resolved":
            out["resolutions"] = by[hit].value_counts().reindex(out.index).fillna(0).astype(int)
    names = {str(n).strip().casefold() for n in activities.get("reopened") or ()}
    hit = activity.isin(names).fillna(False).to_numpy(dtype=bool)
    out["reopen_events"] = by[hit].value_counts().reindex(out.index).fillna(0).astype(int)
    columns = ["ticket_id", "opened_at", "first_response_at", "resolved_at", "closed_at",
               "resolutions", "reopen_events", "first_event_at", "last_event_at",
               "events"]  # fmt: skip
    return out.rename_axis("ticket_id").reset_index()[columns]


def tickets_from_events(events: pd.DataFrame, *, activities: dict) -> tuple[pd.DataFrame, list]:
    """Ticket events into canonical tickets (one row per ticket id) and the notes that say
    how they were read (tickets opened at their first event, for want of an "opened" one).

    >>> ev = pd.DataFrame({"ticket_id": ["1", "1", "1"], "customer_id": ["a", None, None],
    ...     "activity": ["Open", "Take", "Resolve"],
    ...     "event_at": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 10:30",
    ...                                 "2024-01-03 08:00"])})
    >>> marks = {"opened": ["Open"], "first_response": ["Take"], "resolved": ["Resolve"]}
    >>> tickets, notes = tickets_from_events(ev, activities=marks)
    >>> tickets[["ticket_id", "customer_id", "first_response_at", "status", "reopened"]]
      ticket_id customer_id   first_response_at    status  reopened
    0         1           a 2024-01-01 10:30:00  resolved         0
    """
    times = ticket_times(events, activities=activities)
    fallback = times["opened_at"].isna()
    times["opened_at"] = times["opened_at"].fillna(times["first_event_at"])
    # a response before the ticket was opened answers nothing: the first one after it
    activity = _norm(events["activity"])
    names = {str(n).strip().casefold() for n in activities.get("first_response") or ()}
    hit = activity.isin(names).fillna(False).to_numpy(dtype=bool)
    opened = times.set_index("ticket_id")["opened_at"]
    ticket = events["ticket_id"].astype("string")
    answers = pd.DataFrame({"ticket_id": ticket[hit], "at": events["event_at"][hit]})
    answers = answers[answers["at"] >= answers["ticket_id"].map(opened).to_numpy()]
    first = answers.groupby("ticket_id")["at"].min()
    times["first_response_at"] = first.reindex(times["ticket_id"]).to_numpy()
    out = times[["ticket_id", "opened_at", "first_response_at", "resolved_at", "closed_at"]].copy()
    for column in CARRIED:
        if column in events:
            last = events[column].groupby(ticket).last()  # the last value that is not missing
            out[column] = out["ticket_id"].map(last)
    # reopened after its last resolution (a reopening later than it): open again
    last_reopen = _last(events, activities, "reopened").reindex(times["ticket_id"]).to_numpy()
    again = pd.Series(last_reopen > times["resolved_at"].to_numpy()).fillna(False).to_numpy()
    out.loc[again, "resolved_at"] = pd.NaT
    out["status"] = np.select(
        [times["closed_at"].notna() & ~again, out["resolved_at"].notna()], ["closed", "resolved"],
        default="open",
    )  # fmt: skip
    # a reopening is a resolution after the first, or a reopen event: the larger of the two
    # counts (Resolve, Reopen, Resolve is one reopening, not two)
    out["reopened"] = np.maximum(times["resolutions"].clip(lower=1) - 1,
                                 times["reopen_events"]).astype("Int64")  # fmt: skip
    notes = []
    if fallback.any():
        notes.append(
            f"tickets: read from {len(events):,} ticket events; {int(fallback.sum()):,} of "
            f"{len(out):,} tickets have no opening activity and are opened at their first event"
        )
    else:
        notes.append(f"tickets: read from {len(events):,} ticket events ({len(out):,} tickets)")
    return out, notes
