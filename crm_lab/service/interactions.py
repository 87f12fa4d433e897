"""The contact history into what works: channel mix, active and silent customers, the channel
and the time that convert, and how contact builds up before a purchase or a silence.

An interaction *converts* when its customer buys (a sale line, ``engine.purchase_days``)
within ``days`` days after it; one whose ``days`` run past the as-of day is not counted yet
(its outcome is not known). Rates come with their Wilson 95 % interval
(``core.intervals.wilson``), and a cell of fewer than ``min_contacts`` interactions says
"not enough data" (``enough`` False) rather than a rate: a channel is *clearly best* for a
group only when its lead over every other channel with enough data is beyond chance.

Every function takes ``as_of`` (inclusive) and reads nothing after it. Groups are any
customer -> label mapping: the RFM segment, a cluster, a persona.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import engine, privacy
from crm_lab.core.intervals import difference_interval, wilson
from crm_lab.core.lines import as_of_day, day_end

__all__ = [
    "MIN_CONTACTS",
    "activity_status",
    "best_channels",
    "channel_mix",
    "contact_before",
    "contact_rates",
    "customer_contact",
    "intensity_before",
    "interaction_outcomes",
]

MIN_CONTACTS = 30  # fewer interactions in a cell: "not enough data", no rate
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _upto(interactions: pd.DataFrame, as_of) -> pd.DataFrame:
    return interactions[interactions["interacted_at"] < day_end(as_of)]


def interaction_outcomes(
    interactions: pd.DataFrame, transactions, *, as_of, days: int = 7
) -> pd.DataFrame:
    """Interactions and order lines into one row per interaction whose outcome is known on
    the as-of day: ``customer_id``, ``interacted_at``, ``channel``, ``direction`` (when
    given), ``weekday`` (0 Monday .. 6 Sunday), ``hour`` and ``converted`` (a purchase day
    among the ``days`` days after the contact's day: the next day to the ``days``-th; the
    contact's own day is left out, as its purchase may have come first).

    >>> ix = pd.DataFrame({"customer_id": ["a", "b"], "channel": ["email", "sms"],
    ...     "interacted_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00"])})
    >>> tx = pd.DataFrame({"invoice_id": ["1"], "customer_id": ["a"], "quantity": [1.0],
    ...     "ordered_at": pd.to_datetime(["2024-01-03"]), "amount": [5.0], "line_type": ["sale"]})
    >>> interaction_outcomes(ix, tx, as_of="2024-01-31")[["customer_id", "converted"]]
      customer_id  converted
    0           a       True
    1           b      False
    """
    end = day_end(as_of)
    known = _upto(interactions, as_of)
    known = known[known["interacted_at"].dt.normalize() + pd.Timedelta(days=days) < end]
    keep = [c for c in ("customer_id", "interacted_at", "channel", "direction") if c in known]
    out = known[keep].copy()
    out["weekday"] = out["interacted_at"].dt.day_of_week.astype("int64")
    out["hour"] = out["interacted_at"].dt.hour.astype("int64")
    bought = engine.purchase_days(transactions, end=end)[["customer_id", "day"]]
    out["converted"] = _bought_within(out, bought, days=days)
    return out.reset_index(drop=True)


def _bought_within(contacts: pd.DataFrame, bought: pd.DataFrame, *, days: int) -> np.ndarray:
    """Whether each contact's customer has a purchase day in the ``days`` days after the
    contact's day.

    Each (customer, day) becomes one sortable integer (the customer's code times 2**24 plus
    the day's number), so the next purchase of the same customer from the next day on is one
    ``searchsorted`` away: a forward as-of join without ``merge_asof``'s factorising of text
    keys, which took most of the time at ten million contacts (bench/bench_service.py).
    tests/service/test_interactions.py checks it against ``merge_asof``.
    """
    if contacts.empty:
        return np.zeros(0, dtype=bool)
    n = len(contacts)
    codes, _ = pd.factorize(pd.concat([contacts["customer_id"].astype("string"),
                                       bought["customer_id"].astype("string")],
                                      ignore_index=True))  # fmt: skip
    first = contacts["interacted_at"].dt.normalize() + pd.Timedelta(days=1)
    start = first.to_numpy("datetime64[D]").astype("int64")
    day = pd.Series(bought["day"]).to_numpy("datetime64[D]").astype("int64")
    base = min(start.min(), day.min()) if len(day) else start.min()
    shift = np.int64(2**24)  # days since the earliest: fits 45,000 years
    wanted = codes[:n].astype("int64") * shift + (start - base)
    have = np.sort(codes[n:].astype("int64") * shift + (day - base))
    if not len(have):
        return np.zeros(n, dtype=bool)
    order = np.argsort(wanted, kind="stable")  # searched in order: the sorted array is read
    at = np.empty(n, dtype=np.int64)  # once, not at random (7.6 s -> 1.5 s at ten million)
    at[order] = np.searchsorted(have, wanted[order], side="left")
    nxt = have[np.minimum(at, len(have) - 1)]
    same = (nxt // shift) == codes[:n]
    return same & (nxt >= wanted) & (nxt - wanted < days)


def contact_rates(
    outcomes: pd.DataFrame,
    *,
    by: str = "channel",
    groups: pd.Series | None = None,
    min_contacts: int = MIN_CONTACTS,
) -> pd.DataFrame:
    """Interaction outcomes into conversion rates per value of ``by`` (``channel``,
    ``weekday``, ``hour``), for everyone (``group`` ``all``) or per group of ``groups`` (a
    Series from customer id to a label, such as the RFM segment).

    Returns ``group``, the ``by`` column, ``contacts``, ``customers`` (distinct),
    ``conversions``, ``rate`` with its Wilson interval ``rate_low`` and ``rate_high``, and
    ``enough``: at least ``min_contacts`` contacts of at least ``privacy.MIN_GROUP``
    customers, with that many followed by a purchase and that many not (the rate and
    interval are NaN where it is False: "not enough data").

    >>> out = pd.DataFrame({"customer_id": [f"c{i}" for i in range(40)],
    ...     "channel": ["email"] * 30 + ["sms"] * 10, "converted": [True, False] * 20})
    >>> contact_rates(out)[["channel", "contacts", "rate", "enough"]]
      channel  contacts  rate  enough
    0   email        30   0.5    True
    1     sms        10   NaN   False
    """
    d = outcomes.copy()
    if groups is None:
        d["group"] = "all"
    else:
        labels = pd.Series(groups)
        labels.index = labels.index.astype("string")
        d["group"] = d["customer_id"].astype("string").map(labels).astype("object")
        d = d[d["group"].notna()]
    g = d.groupby(["group", by], observed=True)
    counts = g["converted"].agg(["size", "sum"]).join(g["customer_id"].nunique().rename("people"))
    out = counts.rename(columns={"size": "contacts", "sum": "conversions",
                                 "people": "customers"}).reset_index()  # fmt: skip
    for column in ("contacts", "conversions", "customers"):
        out[column] = out[column].astype("int64")
    # enough: min_contacts contacts of at least five customers, and at least five contacts
    # followed by a purchase and five not (a rate of 2 in 40 names two purchases)
    k = privacy.MIN_GROUP
    out["enough"] = (
        (out["contacts"] >= min_contacts) & (out["customers"] >= k)
        & (out["conversions"] >= k) & (out["contacts"] - out["conversions"] >= k)
    )  # fmt: skip
    low, high = wilson(out["conversions"].to_numpy(), out["contacts"].to_numpy())
    rate = out["conversions"] / out["contacts"]
    out["rate"] = rate.where(out["enough"])
    out["rate_low"] = pd.Series(low, index=out.index).where(out["enough"])
    out["rate_high"] = pd.Series(high, index=out.index).where(out["enough"])
    columns = ["group", by, "contacts", "customers", "conversions", "rate", "rate_low",
               "rate_high", "enough"]  # fmt: skip
    return out[columns].sort_values(["group", by], ignore_index=True)


def best_channels(rates: pd.DataFrame, *, by: str = "channel") -> pd.DataFrame:
    """Contact rates (``contact_rates``) into each group's best value of ``by``: ``group``,
    ``best`` (the highest rate with enough data; None without two such values), ``rate``,
    ``runner_up`` and ``clearly``: True when the best's rate is above every other value's
    with enough data beyond chance (the 95 % interval of each difference, Newcombe's
    ``core.intervals.difference_interval``, lies above zero), not a ranking of noise."""
    rows = []
    for group, part in rates[rates["enough"]].groupby("group", sort=True):
        part = part.sort_values(["rate", by], ascending=[False, True])
        if len(part) < 2:
            rows.append({"group": group, "best": None, "rate": np.nan, "runner_up": None,
                         "clearly": False})  # fmt: skip
            continue
        top, rest = part.iloc[0], part.iloc[1:]
        lows = [difference_interval(top["conversions"], top["contacts"], k, n)[1]
                for k, n in zip(rest["conversions"], rest["contacts"], strict=True)]  # fmt: skip
        rows.append({"group": group, "best": top[by], "rate": float(top["rate"]),
                     "runner_up": rest.iloc[0][by], "clearly": bool(min(lows) > 0)})  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "best", "rate", "runner_up", "clearly"])


def channel_mix(interactions: pd.DataFrame, *, as_of, groups: pd.Series | None = None,
                freq: str = "M") -> pd.DataFrame:  # fmt: skip
    """Interactions into their channel mix per month (``freq`` a pandas period code) or, with
    ``groups``, per group: ``period`` (or ``group``), ``channel``, ``interactions`` and
    ``share`` (of the period's or group's interactions)."""
    d = _upto(interactions, as_of)
    channel = d["channel"]  # grouped as it is (a category's codes): text only in the result
    if groups is None:
        key = d["interacted_at"].dt.to_period(freq).rename("period")
    else:
        labels = pd.Series(groups)
        labels.index = labels.index.astype("string")
        key = d["customer_id"].astype("string").map(labels).rename("group")
    counts = channel.groupby([key, channel.rename("channel")], observed=True).size()
    out = counts.rename("interactions").reset_index()
    out["channel"] = out["channel"].astype("string")
    out["share"] = out["interactions"] / out.groupby(key.name)["interactions"].transform("sum")
    return out


def activity_status(
    interactions: pd.DataFrame, customers, *, as_of, active_days: int = 90
) -> pd.DataFrame:
    """Customers (ids) and their interactions into each one's contact status on the as-of
    day: ``last_interaction_at``, ``days_since_interaction`` and ``status`` ``active`` (a
    contact within ``active_days`` days), ``silent`` (contacted before, not since) or
    ``never``.

    >>> ix = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "interacted_at": pd.to_datetime(["2024-03-01", "2023-06-01"])})
    >>> activity_status(ix, ["a", "b", "c"], as_of="2024-03-31")["status"].tolist()
    ['active', 'silent', 'never']
    """
    day = as_of_day(as_of)
    d = _upto(interactions, as_of)
    last = d.groupby(d["customer_id"].astype("string"))["interacted_at"].max()
    ids = pd.Index(pd.Series(list(customers), dtype="string").drop_duplicates())
    out = pd.DataFrame({"customer_id": ids})
    out["last_interaction_at"] = last.reindex(ids).to_numpy()
    since = (day - out["last_interaction_at"].dt.normalize()).dt.days
    out["days_since_interaction"] = since.astype("Int64")
    out["status"] = np.select([since.isna(), since <= active_days], ["never", "active"],
                              default="silent")  # fmt: skip
    return out


def intensity_before(
    interactions: pd.DataFrame, events: pd.DataFrame, *, weeks: int = 8
) -> pd.DataFrame:
    """Interactions and events (``customer_id``, ``at``: purchases, the day a customer went
    silent, reference days) into the mean number of the customer's interactions in each of
    the ``weeks`` weeks before an event: ``week`` (1 the week just before), ``events`` and
    ``interactions_per_event``.

    >>> ix = pd.DataFrame({"customer_id": ["a", "a", "a"],
    ...     "interacted_at": pd.to_datetime(["2024-03-28", "2024-03-20", "2024-01-01"])})
    >>> ev = pd.DataFrame({"customer_id": ["a", "b"], "at": pd.to_datetime(["2024-03-31"] * 2)})
    >>> intensity_before(ix, ev, weeks=2)["interactions_per_event"].tolist()
    [0.5, 0.5]
    """
    ev = events[["customer_id", "at"]].reset_index(drop=True).copy()
    ev["event"] = np.arange(len(ev))
    ev["customer_id"] = ev["customer_id"].astype("string")
    contacts = interactions[["customer_id", "interacted_at"]].copy()
    contacts["customer_id"] = contacts["customer_id"].astype("string")
    joined = ev.merge(contacts, on="customer_id", how="inner")
    lag = (joined["at"] - joined["interacted_at"]) / pd.Timedelta(days=7)
    week = np.floor(lag).astype("int64") + 1
    joined = joined[(lag > 0) & (week <= weeks)]
    counts = week[joined.index].value_counts().reindex(range(1, weeks + 1), fill_value=0)
    n = len(ev)
    per = counts.to_numpy() / n if n else np.nan
    return pd.DataFrame({"week": range(1, weeks + 1), "events": n, "interactions_per_event": per})


def contact_before(
    interactions: pd.DataFrame,
    transactions,
    *,
    as_of,
    weeks: int = 8,
    window_days: int = 365,
    quiet_days: int = 180,
    random_state: int = 0,
) -> pd.DataFrame:
    """Interactions and order lines into how contact builds up before a purchase and before a
    customer goes silent, against days without either (``intensity_before`` for each kind).

    Kinds of events, in the ``window_days`` before the as-of day:

    - ``purchase``: each purchase day (first or repeat);
    - ``no_purchase``: one day per buying customer drawn at random (``random_state``) with no
      purchase in the 14 days after it: the reference;
    - ``went_silent``: the last purchase of each customer who has not bought in the
      ``quiet_days`` since (and bought again none of those days);
    - ``bought_again``: the other purchases, each followed by another.

    Returns ``kind``, ``week``, ``events`` and ``interactions_per_event``.
    """
    day, end = as_of_day(as_of), day_end(as_of)
    start = day - pd.Timedelta(days=window_days)
    contacts = _upto(interactions, as_of)
    bought = engine.purchase_days(transactions, end=end)[["customer_id", "day"]].copy()
    bought["customer_id"] = bought["customer_id"].astype("string")
    recent = bought[bought["day"] > start]
    nxt = bought.groupby("customer_id")["day"].shift(-1)
    last = nxt.isna()
    silent = bought[last & (bought["day"] <= day - pd.Timedelta(days=quiet_days))
                    & (bought["day"] > start - pd.Timedelta(days=quiet_days))]  # fmt: skip
    again = bought[~last & (bought["day"] > start)]
    rng = np.random.default_rng(random_state)
    people = recent["customer_id"].drop_duplicates().sort_values().to_numpy()
    drawn = start + pd.to_timedelta(rng.integers(0, window_days - 14, len(people)), unit="D")
    reference = pd.DataFrame({"customer_id": pd.array(people, dtype="string"), "at": drawn})
    if len(reference):
        ahead = reference.merge(bought, on="customer_id", how="left")
        gap = (ahead["day"] - ahead["at"]) / pd.Timedelta(days=1)
        busy = ahead.loc[(gap >= 0) & (gap <= 14), ["customer_id", "at"]].drop_duplicates()
        busy_keys = set(zip(busy["customer_id"], busy["at"], strict=True))
        pairs = zip(reference["customer_id"], reference["at"], strict=True)
        keep = [pair not in busy_keys for pair in pairs]
        reference = reference[keep]
    parts = []
    for kind, ev in (
        ("purchase", recent.rename(columns={"day": "at"})),
        ("no_purchase", reference),
        ("went_silent", silent.rename(columns={"day": "at"})),
        ("bought_again", again.rename(columns={"day": "at"})),
    ):
        parts.append(intensity_before(contacts, ev, weeks=weeks).assign(kind=kind))
    out = pd.concat(parts, ignore_index=True)
    return out[["kind", "week", "events", "interactions_per_event"]]


def customer_contact(interactions: pd.DataFrame, *, as_of, window_days: int = 365) -> pd.DataFrame:
    """Interactions into one row per contacted customer: ``last_interaction_at`` and
    ``preferred_channel`` (the channel of most of their contacts in the ``window_days`` before
    the as-of day, the latest one's on a tie; NA without a contact in the window).

    >>> ix = pd.DataFrame({"customer_id": ["a", "a", "a"], "channel": ["sms", "email", "sms"],
    ...     "interacted_at": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])})
    >>> customer_contact(ix, as_of="2024-03-31")[["customer_id", "preferred_channel"]]
      customer_id preferred_channel
    0           a               sms
    """
    day = as_of_day(as_of)
    d = _upto(interactions, as_of)
    d = d.assign(customer_id=d["customer_id"].astype("string"),
                 channel=d["channel"].astype("string"))  # fmt: skip
    last = d.groupby("customer_id")["interacted_at"].max()
    recent = d[d["interacted_at"] > day - pd.Timedelta(days=window_days)]
    tally = (
        recent.groupby(["customer_id", "channel"])
        .agg(n=("interacted_at", "size"), latest=("interacted_at", "max"))
        .reset_index()
    )
    tally = tally.sort_values(["customer_id", "n", "latest"], ascending=[True, False, False])
    preferred = tally.drop_duplicates("customer_id").set_index("customer_id")["channel"]
    out = pd.DataFrame({"customer_id": last.index, "last_interaction_at": last.to_numpy()})
    out["preferred_channel"] = out["customer_id"].map(preferred).astype("string")
    return out.sort_values("customer_id", ignore_index=True)
