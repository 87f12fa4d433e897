"""The service and interaction tables on a million tickets and ten million interactions, next
to a plain pandas floor and a plain DuckDB floor in the same run.

Usage: .venv/bin/python bench/bench_service.py [--tickets 1000000] [--interactions 10000000]

Seeded synthetic tables are made in memory (tickets with opening, first response, resolution,
problem type, team, priority and a rating; interactions of 2 M customers over six channels;
their purchase days); then, timed:

- ours: ``service.support.service_summary`` for all tickets, per problem type and per team,
  ``backlog`` and ``problem_pareto``; ``service.interactions.interaction_outcomes`` (a
  purchase within 7 days after each contact), ``contact_rates`` per channel and
  ``channel_mix`` per month;
- the pandas floor: the same figures as a plain script computes them (``groupby`` medians and
  quantiles, ``merge_asof`` for the purchase after a contact);
- the DuckDB floor: the same figures in SQL (``median``, ``quantile_cont``, an ``ASOF JOIN``),
  on the same frames, threads as the machine has.

Prints each time, the ratio of ours to the faster floor (target <= 1.5x), and checks that the
three agree on the medians and the conversion rates.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm_lab.service import interactions, support  # noqa: E402

AS_OF = pd.Timestamp("2025-12-31")
CHANNELS = ["phone", "email", "chat", "meeting", "social", "sms"]


def make_tables(n_tickets: int, n_contacts: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    start = AS_OF - pd.Timedelta(days=729)
    opened = start + pd.to_timedelta(rng.integers(0, 730 * 1440, n_tickets), unit="min")
    first = opened + pd.to_timedelta(rng.lognormal(1.0, 1.0, n_tickets) * 60, unit="min")
    resolved = opened + pd.to_timedelta(rng.lognormal(3.0, 1.0, n_tickets) * 60, unit="min")
    resolved = pd.Series(resolved).where(rng.random(n_tickets) > 0.05)
    tickets = pd.DataFrame({
        "ticket_id": pd.array(np.char.add("T", np.arange(n_tickets).astype(str)), "string"),
        "customer_id": pd.array(np.char.add("C", rng.integers(0, 2_000_000, n_tickets)
                                            .astype(str)), "string"),
        "opened_at": opened, "first_response_at": first, "resolved_at": resolved.to_numpy(),
        "problem_type": pd.Categorical.from_codes(rng.integers(0, 20, n_tickets),
                                                  [f"problem {i}" for i in range(20)]),
        "team": pd.Categorical.from_codes(rng.integers(0, 10, n_tickets),
                                          [f"team {i}" for i in range(10)]),
        "priority": pd.Categorical.from_codes(rng.integers(0, 4, n_tickets),
                                              ["low", "normal", "high", "urgent"]),
        "satisfaction": np.where(rng.random(n_tickets) < 0.4,
                                 rng.integers(1, 6, n_tickets).astype(float), np.nan),
    })  # fmt: skip
    who = rng.integers(0, 2_000_000, n_contacts)
    at = start + pd.to_timedelta(rng.integers(0, 730 * 1440, n_contacts), unit="min")
    contacts = pd.DataFrame({
        "customer_id": pd.array(np.char.add("C", who.astype(str)), "string"),
        "interacted_at": at,
        "channel": pd.Categorical.from_codes(rng.integers(0, 6, n_contacts), CHANNELS),
    })  # fmt: skip
    buyers = rng.integers(0, 2_000_000, n_contacts // 2)
    days = (start + pd.to_timedelta(rng.integers(0, 730, len(buyers)), unit="D")).normalize()
    lines = pd.DataFrame({
        "invoice_id": pd.array(np.arange(len(buyers)).astype(str), "string"),
        "customer_id": pd.array(np.char.add("C", buyers.astype(str)), "string"),
        "ordered_at": days + pd.Timedelta(hours=14), "quantity": 1.0, "amount": 10.0,
        "line_type": "sale",
    })  # fmt: skip
    return tickets, contacts, lines


def ours(tickets, contacts, lines):
    table = support.service_summary(tickets, as_of=AS_OF, by=[None, "problem_type", "team"])
    summaries = [table[table["by"] == by] for by in ("all", "problem_type", "team")]
    support.backlog(tickets, as_of=AS_OF)
    support.problem_pareto(tickets, as_of=AS_OF)
    outcomes = interactions.interaction_outcomes(contacts, lines, as_of=AS_OF)
    rates = interactions.contact_rates(outcomes)
    interactions.channel_mix(contacts, as_of=AS_OF)
    return summaries, rates


def pandas_floor(tickets, contacts, lines):
    end = AS_OF + pd.Timedelta(days=1)
    t = tickets[tickets["opened_at"] < end]
    done = t["resolved_at"].where(t["resolved_at"] < end)
    hours = (done - t["opened_at"]) / pd.Timedelta(hours=1)
    first = (t["first_response_at"].where(t["first_response_at"] < end) - t["opened_at"]) / (
        pd.Timedelta(hours=1))  # fmt: skip
    frame = pd.DataFrame({"problem_type": t["problem_type"], "team": t["team"], "hours": hours,
                          "first": first, "csat": t["satisfaction"]})  # fmt: skip
    medians = {"all": hours.median()}
    for by in ("problem_type", "team"):
        g = frame.groupby(by, observed=True)
        medians[by] = g["hours"].median()
        g["hours"].quantile(0.9), g["first"].median(), g["csat"].mean()
    open_age = (AS_OF - t.loc[done.isna(), "opened_at"].dt.normalize()).dt.days
    pd.cut(open_age, [0, 1, 3, 7, 30, np.inf], right=False).value_counts()
    t["problem_type"].value_counts()
    # a purchase within 7 days after each contact whose week is over
    c = contacts[contacts["interacted_at"].dt.normalize() + pd.Timedelta(days=7) < end]
    left = pd.DataFrame({"start": (c["interacted_at"].dt.normalize() + pd.Timedelta(days=1))
                         .astype("datetime64[ns]"), "customer_id": c["customer_id"],
                         "channel": c["channel"]}).sort_values("start")  # fmt: skip
    bought = lines[["customer_id"]].assign(day=lines["ordered_at"].dt.normalize()
                                           .astype("datetime64[ns]")).drop_duplicates()  # fmt: skip
    joined = pd.merge_asof(left, bought.sort_values("day"), left_on="start", right_on="day",
                           by="customer_id", direction="forward")  # fmt: skip
    converted = ((joined["day"] - joined["start"]) / pd.Timedelta(days=1)) < 7
    rates = converted.groupby(joined["channel"], observed=True).mean()
    contacts.groupby([contacts["interacted_at"].dt.to_period("M"), "channel"],
                     observed=True).size()  # fmt: skip
    return medians, rates


def duckdb_floor(tickets, contacts, lines):
    con = duckdb.connect()
    con.register("tickets", tickets)
    con.register("contacts", contacts)
    con.register("lines", lines)
    end = (AS_OF + pd.Timedelta(days=1)).isoformat()
    d = f"""
        select problem_type, team, satisfaction as csat, opened_at,
            case when resolved_at < timestamp '{end}'
                 then epoch(resolved_at - opened_at) / 3600 end as hours,
            case when first_response_at < timestamp '{end}'
                 then epoch(first_response_at - opened_at) / 3600 end as first
        from tickets where opened_at < timestamp '{end}'"""
    medians = {"all": con.sql(f"select median(hours) from ({d})").fetchall()[0][0]}
    for by in ("problem_type", "team"):
        medians[by] = (
            con.sql(
                f"select {by}, median(hours) m, quantile_cont(hours, 0.9) p90, median(first) f, "
                f"avg(csat) c from ({d}) group by {by}"
            )
            .df()
            .set_index(by)["m"]
        )
    con.sql(f"""select floor(date_diff('day', opened_at::date, date '{AS_OF.date()}')) age,
                count(*) from ({d}) where hours is null group by age""").fetchall()
    con.sql("select problem_type, count(*) from tickets group by 1 order by 2 desc").fetchall()
    rates = con.sql(f"""
        with c as (select customer_id, channel,
                          date_trunc('day', interacted_at) + interval 1 day as start
                   from contacts
                   where date_trunc('day', interacted_at) + interval 7 day < timestamp '{end}'),
             b as (select distinct customer_id, date_trunc('day', ordered_at) as day from lines)
        select c.channel, avg(case when date_diff('day', c.start, b.day) < 7 then 1 else 0 end)
        from c asof left join b on c.customer_id = b.customer_id and b.day >= c.start
        group by c.channel""").df()
    con.sql("""select date_trunc('month', interacted_at), channel, count(*) from contacts
               group by 1, 2""").fetchall()
    return medians, rates


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    args = parser.parse_args()
    tickets, contacts, lines = make_tables(args.tickets, args.interactions)
    print(f"{len(tickets):,} tickets, {len(contacts):,} interactions, {len(lines):,} purchase "
          "lines", flush=True)  # fmt: skip
    t_ours, (summaries, rates) = timed(ours, tickets, contacts, lines)
    print(f"crm_lab        {t_ours:7.1f} s", flush=True)
    t_pandas, (p_medians, p_rates) = timed(pandas_floor, tickets, contacts, lines)
    print(f"pandas floor   {t_pandas:7.1f} s", flush=True)
    t_duck, (d_medians, d_rates) = timed(duckdb_floor, tickets, contacts, lines)
    print(f"DuckDB floor   {t_duck:7.1f} s", flush=True)
    floor = min(t_pandas, t_duck)
    print()
    print(f"crm_lab: {t_ours / floor:.2f}x the faster floor (target <= 1.5x); "
          f"{t_ours / t_pandas:.2f}x pandas, {t_ours / t_duck:.2f}x DuckDB")  # fmt: skip
    mine = summaries[0]["median_resolution_hours"].iloc[0]
    teams = summaries[2].set_index("group")["median_resolution_hours"]
    agree = np.allclose([mine, *teams.sort_index()],
                        [p_medians["all"], *p_medians["team"].sort_index()])  # fmt: skip
    duck = np.allclose(teams.sort_index().to_numpy(),
                       d_medians["team"].sort_index().to_numpy())  # fmt: skip
    ours_rates = rates.set_index("channel")["conversions"] / rates.set_index("channel")["contacts"]
    ours_rates.index = ours_rates.index.astype(str)
    p_rates.index = p_rates.index.astype(str)
    rates_agree = np.allclose(ours_rates.sort_index(), p_rates.sort_index())
    d_rates = d_rates.set_index(d_rates.columns[0]).iloc[:, 0]
    d_rates.index = d_rates.index.astype(str)
    rates_duck = np.allclose(ours_rates.sort_index(), d_rates.sort_index())
    print(f"medians agree with pandas: {agree}, with DuckDB: {duck}; conversion rates agree "
          f"with pandas: {rates_agree}, with DuckDB: {rates_duck}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
