"""A ticket event log read into the tickets table, by the activities the policies name."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab import ingest

LOG = """Case ID,Activity,Complete Timestamp,customer,priority,workgroup
T1,Insert ticket,2024/01/01 08:00:00.000,c1,high,g1
T1,Take in charge ticket,2024/01/01 09:30:00.000,c1,high,g1
T1,Resolve ticket,2024/01/02 08:00:00.000,c1,high,g1
T1,Resolve ticket,2024/01/04 08:00:00.000,c1,urgent,g1
T1,Closed,2024/02/01 08:00:00.000,c1,urgent,g1
T2,Take in charge ticket,2024/01/03 10:00:00.000,c2,low,g2
T2,Wait,2024/01/03 12:00:00.000,c2,low,g2
"""


def test_an_event_log_becomes_tickets(tmp_path):
    (tmp_path / "ticket_events.csv").write_text(LOG, "utf-8")
    data = ingest.read_clean(tmp_path)
    tickets = data["tickets"].set_index("ticket_id")
    t1, t2 = tickets.loc["T1"], tickets.loc["T2"]
    assert t1["opened_at"] == pd.Timestamp("2024-01-01 08:00")  # Insert ticket opens
    assert t1["first_response_at"] == pd.Timestamp("2024-01-01 09:30")
    assert t1["resolved_at"] == pd.Timestamp("2024-01-04 08:00")  # the last resolution
    assert t1["closed_at"] == pd.Timestamp("2024-02-01 08:00")
    assert t1["reopened"] == 1 and t1["status"] == "closed"
    assert t1["priority"] == "urgent" and t1["team"] == "g1" and t1["customer_id"] == "c1"
    # no opening activity: opened at its first event, which also answers it; still open
    assert t2["opened_at"] == pd.Timestamp("2024-01-03 10:00") and t2["status"] == "open"
    assert pd.isna(t2["resolved_at"]) and t2["reopened"] == 0
    assert any("1 of 2 tickets have no opening activity" in note for note in data.notes)
    assert len(data["ticket_events"]) == 7


def test_the_activities_are_the_users_to_name(tmp_path):
    (tmp_path / "ticket_events.csv").write_text(LOG, "utf-8")
    policies = tmp_path / "policies.yaml"
    policies.write_text("ticket_events:\n  resolved: [Wait]\n", "utf-8")
    tickets = ingest.read_clean(tmp_path, policies=policies)["tickets"].set_index("ticket_id")
    assert tickets.loc["T2", "resolved_at"] == pd.Timestamp("2024-01-03 12:00")
    assert tickets.loc["T1", "closed_at"] == pd.Timestamp("2024-02-01 08:00")  # kept list
    wrong = tmp_path / "wrong.yaml"  # (a file is read once per path)
    wrong.write_text("ticket_events:\n  solved: [Resolve ticket]\n", "utf-8")
    with pytest.raises(ingest.LoadError, match="ticket_events.solved: expected one of opened"):
        ingest.read_clean(tmp_path, policies=wrong)


def test_a_time_before_the_ticket_was_opened_is_quarantined(tmp_path):
    (tmp_path / "tickets.csv").write_text(
        "ticket_id,customer_id,opened_at,first_response_at,resolved_at\n"
        "1,a,2024-01-02 10:00,2024-01-02 09:00,2024-01-03 10:00\n"
        "2,b,2024-01-02 10:00,,2024-01-02 12:00\n",
        "utf-8",
    )
    data = ingest.read_clean(tmp_path)
    tickets = data["tickets"].set_index("ticket_id")
    assert pd.isna(tickets.loc["1", "first_response_at"])  # the value, not the ticket
    assert tickets.loc["1", "resolved_at"] == pd.Timestamp("2024-01-03 10:00")
    q = data.quarantine
    assert q[["source_line", "column", "rule"]].values.tolist() == [
        [2, "first_response_at", "time_before_opened"]]  # fmt: skip
    assert data.accounting.set_index("table").loc["tickets", "rows_clean"] == 2
