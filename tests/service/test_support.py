"""The support desk's figures: known answers on hand-made tickets, NYC 311 against an
independent pandas computation, the Italian help desk's event log against its PROVENANCE."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from crm_lab import ingest
from crm_lab.service import support
from tests.conftest import SHARED_DATA

NYC = SHARED_DATA / "nyc311_sample" / "nyc311_2011_sample.csv"
HELPDESK = SHARED_DATA / "helpdesk_italy" / "finale.csv"


def _tickets(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("opened_at", "first_response_at", "resolved_at", "closed_at", "due_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


TICKETS = _tickets([
    # a: answered in 2 h, resolved in 10 h, due in 24 h by its high priority: on time
    {"ticket_id": "a", "customer_id": "x", "problem_type": "billing", "priority": "high",
     "team": "t1", "opened_at": "2024-03-01 08:00", "first_response_at": "2024-03-01 10:00",
     "resolved_at": "2024-03-01 18:00", "satisfaction": 5.0},
    # b: its own due date (the next day 08:00) beats the target; resolved 2 days on: late
    {"ticket_id": "b", "customer_id": "x", "problem_type": "billing", "priority": "low",
     "team": "t1", "opened_at": "2024-03-03 08:00", "first_response_at": "2024-03-03 14:00",
     "resolved_at": "2024-03-05 08:00", "due_at": "2024-03-04 08:00", "satisfaction": 2.0,
     "reopened": 1},
    # c: still open on the as-of day (resolved after it), opened 10 days before: past 72 h
    {"ticket_id": "c", "customer_id": "y", "problem_type": "login", "priority": "low",
     "team": "t2", "opened_at": "2024-03-05 12:00", "resolved_at": "2024-03-20 12:00"},
    # d: open, opened on the as-of day: not yet due, undecided
    {"ticket_id": "d", "customer_id": "z", "problem_type": "login", "priority": "high",
     "team": "t2", "opened_at": "2024-03-15 09:00"},
    # e: closed (one date, as a public desk writes it) in 30 h, no priority: the "*" target
    {"ticket_id": "e", "problem_type": "billing", "team": "t1",
     "opened_at": "2024-03-10 00:00", "closed_at": "2024-03-11 06:00"},
    # f: opened after the as-of day: not counted
    {"ticket_id": "f", "customer_id": "x", "problem_type": "billing", "priority": "high",
     "team": "t1", "opened_at": "2024-03-16 09:00"},
])  # fmt: skip
AS_OF = "2024-03-15"
TARGETS = {"high": 24, "low": 72, "*": 48}


def test_durations_known_answers():
    d = support.ticket_durations(TICKETS, as_of=AS_OF, targets=TARGETS).set_index("ticket_id")
    assert list(d.index) == ["a", "b", "c", "d", "e"]
    assert d.loc["a", "first_response_hours"] == 2.0 and d.loc["a", "resolution_hours"] == 10.0
    assert d.loc["b", "resolution_hours"] == 48.0 and d.loc["e", "resolution_hours"] == 30.0
    assert pd.isna(d.loc["c", "resolution_hours"])  # resolved after the as-of day: open then
    assert d["open"].to_dict() == {"a": False, "b": False, "c": True, "d": True, "e": False}
    assert d.loc["c", "age_days"] == 10 and d.loc["d", "age_days"] == 0
    assert d.loc["b", "due"] == pd.Timestamp("2024-03-04 08:00")  # its own due date
    assert d.loc["c", "due"] == pd.Timestamp("2024-03-08 12:00")  # low: 72 h
    assert d.loc["e", "due"] == pd.Timestamp("2024-03-12 00:00")  # no priority: "*" 48 h
    assert pd.isna(d.loc["d", "breached"])  # open and not yet due: undecided
    assert d["breached"].drop("d").to_dict() == {"a": False, "b": True, "c": True, "e": False}
    # without targets only b has a due time
    plain = support.ticket_durations(TICKETS, as_of=AS_OF).set_index("ticket_id")
    assert plain["breached"].notna().sum() == 1 and bool(plain.loc["b", "breached"])


def test_summary_known_answers():
    everything = support.service_summary(TICKETS, as_of=AS_OF, targets=TARGETS,
                                         min_group=1).iloc[0]  # fmt: skip
    assert everything["group"] == "all" and everything["tickets"] == 5
    assert everything["median_first_response_hours"] == 4.0  # 2 h and 6 h
    assert everything["median_resolution_hours"] == 30.0  # 10, 30, 48
    assert everything["p90_resolution_hours"] == pytest.approx(30 + 0.8 * 18)  # linear
    assert everything["breach_share"] == pytest.approx(2 / 4)  # b, c of a, b, c, e
    assert everything["resolution_share"] == pytest.approx(3 / 5)
    assert everything["open_tickets"] == 2
    assert everything["reopened_share"] == pytest.approx(1 / 3)  # b of a, b, e
    assert everything["csat_mean"] == 3.5 and everything["rated_tickets"] == 2
    # by default a figure of fewer than five tickets behind it is not given
    small = support.service_summary(TICKETS, as_of=AS_OF, targets=TARGETS).iloc[0]
    assert small["tickets"] == 5 and small[["median_resolution_hours", "csat_mean",
                                            "breach_share"]].isna().all()  # fmt: skip
    teams = support.service_summary(TICKETS, as_of=AS_OF, by="team", targets=TARGETS,
                                    min_group=1)  # fmt: skip
    assert teams["group"].tolist() == ["t1", "t2"] and teams["tickets"].tolist() == [3, 2]
    t2 = teams.set_index("group").loc["t2"]
    assert pd.isna(t2["median_resolution_hours"]) and t2["breach_share"] == 1.0
    assert pd.isna(t2["csat_mean"])
    later = support.service_summary(TICKETS, as_of=AS_OF, start="2024-03-05", min_group=1)
    assert later["tickets"].iloc[0] == 3  # c, d, e


def test_backlog_repeat_pareto_and_csat_bands():
    aged = support.backlog(TICKETS, as_of=AS_OF).set_index("age_days")["tickets"]
    assert aged.to_dict() == {"0-1": 1, "1-3": 0, "3-7": 0, "7-30": 1, "30+": 0}
    repeats = support.repeat_contacts(TICKETS, as_of=AS_OF).set_index("ticket_id")
    assert repeats["repeat"].to_dict() == {"a": False, "b": True, "c": False, "d": False}
    assert repeats.loc["b", "previous_ticket"] == "a"
    assert not support.repeat_contacts(TICKETS, as_of=AS_OF, days=1)["repeat"].any()
    pareto = support.problem_pareto(TICKETS, as_of=AS_OF)
    assert pareto["problem_type"].tolist() == ["billing", "login"]
    assert pareto["share"].tolist() == [0.6, 0.4] and pareto["cumulative_share"].iloc[-1] == 1.0
    bands = support.csat_by_response(TICKETS, as_of=AS_OF).set_index("band")
    assert bands.loc["1-4", "csat_mean"] == 5.0 and bands.loc["4-24", "csat_mean"] == 2.0
    assert bands["tickets"].sum() == 2 and pd.isna(bands.loc["1-4", "csat_low"])


def test_nothing_after_the_as_of_day_changes_the_figures():
    later = pd.concat([TICKETS, _tickets([
        {"ticket_id": "g", "team": "t1", "opened_at": "2024-04-01", "resolved_at": "2024-04-02"},
    ])], ignore_index=True)  # fmt: skip
    for by in (None, "team"):
        pd.testing.assert_frame_equal(
            support.service_summary(later, as_of=AS_OF, by=by, targets=TARGETS),
            support.service_summary(TICKETS, as_of=AS_OF, by=by, targets=TARGETS),
        )


@pytest.fixture(scope="module")
def nyc(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nyc311")
    shutil.copy(NYC, folder / "tickets.csv")  # the export as it stands, named after its table
    return ingest.read_clean(folder)


def test_nyc311_reads_as_tickets_without_customers(nyc):
    tickets = nyc["tickets"]
    assert len(tickets) == 2000 and tickets["customer_id"].isna().all()
    assert tickets["team"].value_counts().head(2).to_dict() == {"NYPD": 619, "DOT": 502}
    assert tickets["channel"].value_counts()["PHONE"] == 1733
    assert tickets["due_at"].notna().sum() == 1983
    # the request closed before it was opened (on 1900-01-01) is a quarantined value
    bad = nyc.quarantine[nyc.quarantine["column"] == "resolved_at"]
    assert len(bad) == 1 and bad["value"].iloc[0].startswith("01/01/1900")
    row = tickets[tickets["ticket_id"] == "19944912"].iloc[0]
    assert pd.isna(row["resolved_at"])


def _independent(as_of: str) -> pd.DataFrame:
    raw = pd.read_csv(NYC, dtype=str)
    fmt = "%m/%d/%Y %I:%M:%S %p"
    created = pd.to_datetime(raw["Created Date"], format=fmt)
    closed = pd.to_datetime(raw["Closed Date"], format=fmt)
    due = pd.to_datetime(raw["Due Date"], format=fmt)
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    closed = closed.where((closed >= created) & (closed < end))
    hours = (closed - created) / pd.Timedelta(hours=1)
    late = np.where(closed.notna(), closed > due, end > due)
    decided = due.notna() & (due < end)  # a due time passed by the as-of day
    return pd.DataFrame({"agency": raw["Agency"], "hours": hours, "late": late,
                         "decided": decided, "created": created})  # fmt: skip


@pytest.mark.parametrize("as_of", ["2011-03-02", "2030-12-31"])
def test_nyc311_hours_to_close_and_breaches_equal_pandas(nyc, as_of):
    mine = support.service_summary(nyc["tickets"], as_of=as_of, by="team").set_index("group")
    ref = _independent(as_of)
    ref = ref[ref["created"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    medians = ref.groupby("agency")["hours"].median()
    counts = ref.groupby("agency")["hours"].count()
    medians = medians.where(counts >= 5)  # a median of fewer than five tickets is not given
    assert set(mine.index) == set(medians.index)
    np.testing.assert_allclose(mine.loc[medians.index, "median_resolution_hours"], medians,
                               rtol=0, atol=1e-9)  # fmt: skip
    decided = ref[ref["decided"]]
    breach = decided.groupby("agency")["late"].mean()
    breach = breach.where(decided.groupby("agency")["late"].count() >= 5)
    np.testing.assert_allclose(mine.loc[breach.index, "breach_share"], breach, atol=1e-12)
    whole = support.service_summary(nyc["tickets"], as_of=as_of).iloc[0]
    assert whole["median_resolution_hours"] == pytest.approx(ref["hours"].median(), abs=1e-9)
    assert whole["breach_share"] == pytest.approx(decided["late"].mean(), abs=1e-12)
    if as_of == "2030-12-31":  # the PROVENANCE's figures: every close by then
        assert round(whole["median_resolution_hours"], 2) == 23.52
        assert round(mine.loc["NYPD", "median_resolution_hours"], 2) == 2.02
        assert round(mine.loc["TLC", "median_resolution_hours"], 2) == 487.82


def test_helpdesk_event_log_reads_into_tickets_with_the_reference_times(tmp_path):
    from crm_lab.ingest import eventlog

    data = ingest.read_clean(HELPDESK)  # one file, its table found from its headers
    events, tickets = data["ticket_events"], data["tickets"]
    assert len(events) == 21348 and len(tickets) == 4580 == events["ticket_id"].nunique()
    # the PROVENANCE's reference: first "Assign seriousness" to last "Resolve ticket"
    times = eventlog.ticket_times(events, activities={"opened": ["Assign seriousness"],
                                                      "resolved": ["Resolve ticket"]})  # fmt: skip
    both = times.dropna(subset=["opened_at", "resolved_at"])
    days = (both["resolved_at"] - both["opened_at"]) / pd.Timedelta(days=1)
    assert len(both) == 4488
    assert round(days.median(), 3) == 6.269 and round(days.mean(), 3) == 11.491
    # the tickets table: every ticket opened (78 at their first event, said in a note),
    # answered not before it was opened, closed about 30 days after it was resolved
    assert tickets["opened_at"].notna().all()
    assert any("78 of 4,580 tickets have no opening activity" in n for n in data.notes)
    answered = tickets.dropna(subset=["first_response_at"])
    assert (answered["first_response_at"] >= answered["opened_at"]).all()
    assert tickets["status"].value_counts()["closed"] == 4559  # a Closed event: 4,544 + 15
    shipped = ingest.load_policies()["ticket_events"]  # the mapping the tickets were read by
    resolved = eventlog.ticket_times(events, activities=shipped)
    assert (tickets["reopened"] > 0).sum() == (resolved["resolutions"] > 1).sum() > 300
    summary = support.service_summary(tickets, as_of="2014-01-03").iloc[0]
    assert summary["tickets"] == 4580 and summary["resolution_share"] > 0.97
    accounting = data.accounting.set_index("table")
    assert accounting.loc["tickets", "rows_in"] == 4580
    assert accounting.loc["ticket_events", "rows_clean"] == 21348


def test_the_service_command_on_the_311_folder_as_it_stands(tmp_path, capsys):
    from crm_lab import cli

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(NYC, folder / "tickets.csv")
    out = tmp_path / "service.csv"
    assert cli.main(["service", "--data", str(folder), "--as-of", "2011-12-31",
                     "--target", "*=72", "--out", str(out)]) == 0  # fmt: skip
    table = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert table.columns[:3].tolist() == ["by", "group", "tickets"]
    figures = ["median_first_response_hours", "median_resolution_hours", "p90_resolution_hours",
               "breach_share", "resolution_share", "csat_mean"]  # fmt: skip
    assert set(figures) <= set(table.columns)
    first = table.iloc[0]
    assert (first["by"], first["group"], first["tickets"]) == ("all", "all", 2000)
    assert table["median_first_response_hours"].isna().all()  # the export has none
    assert table["csat_mean"].isna().all()
    teams = table[table["by"] == "team"].set_index("group")
    mine = support.service_summary(_read_nyc(tmp_path), as_of="2011-12-31", by="team",
                                   targets={"*": 72}).set_index("group")  # fmt: skip
    np.testing.assert_allclose(teams.loc[mine.index, "breach_share"], mine["breach_share"])
    assert set(table["by"]) == {"all", "problem_type", "team"}
    assert (table["by"] == "problem_type").sum() == 90  # 90 complaint types
    assert "2,000 tickets as of 2011-12-31" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:  # argparse's usage error
        cli.main(["service", "--data", str(folder), "--target", "high", "--out", str(out)])
    assert stop.value.code == 2 and "expected PRIORITY=HOURS" in capsys.readouterr().err


def _read_nyc(tmp_path):
    return ingest.read_clean(tmp_path / "in")["tickets"]


def test_scores_carry_each_customers_contact_and_tickets():
    from crm_lab.reporting import states as stored

    tx = pd.DataFrame({"invoice_id": ["1", "2", "3"], "customer_id": ["x", "y", "z"],
                       "ordered_at": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"]),
                       "quantity": 1.0, "amount": [5.0, 6.0, 7.0],
                       "line_type": "sale"})  # fmt: skip
    ix = pd.DataFrame({"customer_id": ["x", "x", "x", "y"],
                       "channel": ["sms", "email", "sms", "phone"],
                       "interacted_at": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01",
                                                        "2024-04-02"])})  # fmt: skip
    scores = stored.scores_table({"transactions": tx, "interactions": ix, "tickets": TICKETS},
                                 as_of=AS_OF).set_index("customer_id")  # fmt: skip
    assert scores.loc["x", "preferred_channel"] == "sms"
    assert scores.loc["x", "last_interaction_at"] == pd.Timestamp("2024-03-01")
    assert pd.isna(scores.loc["y", "preferred_channel"])  # its contact is after the as-of day
    # x: a (resolved, 5) and b (resolved, 2, the later); y: c open; z: d open
    assert scores["open_tickets"].to_dict() == {"x": 0, "y": 1, "z": 1}
    assert scores.loc["x", "last_csat"] == 2.0 and pd.isna(scores.loc["y", "last_csat"])
