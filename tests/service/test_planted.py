"""The demo's planted engagement and service effects are found, and none is found in a copy
of the data where they are shuffled away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_lab import synth
from crm_lab.service import interactions, support

AS_OF = "2025-12-31"


@pytest.fixture(scope="module")
def planted():
    return synth.make_demo(n_customers=3000, seed=0)


def _personas(demo) -> pd.Series:
    return pd.Series(demo.truth["personas"])


def _shuffled(frame: pd.DataFrame, column: str, seed: int = 1) -> pd.DataFrame:
    out = frame.copy()
    out[column] = np.random.default_rng(seed).permutation(out[column].to_numpy())
    return out


def test_the_converting_channel_is_found_for_its_persona(planted):
    truth = planted.truth["service_effects"]["converting"]
    tables = planted.tables
    outcomes = interactions.interaction_outcomes(tables["interactions"],
                                                 tables["transactions"], as_of=AS_OF)  # fmt: skip
    rates = interactions.contact_rates(outcomes, groups=_personas(planted))
    best = interactions.best_channels(rates).set_index("group")
    assert best.loc[truth["persona"], "best"] == truth["channel"]
    assert best.loc[truth["persona"], "clearly"]
    assert not best.drop(index=truth["persona"])["clearly"].any()
    # the channel shuffled across contacts: no channel is clearly best anywhere
    mixed = _shuffled(tables["interactions"], "channel")
    outcomes = interactions.interaction_outcomes(mixed, tables["transactions"], as_of=AS_OF)
    best = interactions.best_channels(
        interactions.contact_rates(outcomes, groups=_personas(planted))
    )
    assert not best["clearly"].any(), best


def test_the_low_rated_problem_type_is_found(planted):
    kind = planted.truth["service_effects"]["low_csat_problem"]
    tickets = planted.tables["tickets"]
    rated = support.csat_by(tickets, as_of=AS_OF).set_index("group")
    assert rated.index[0] == kind  # lowest mean first
    assert rated.loc[kind, "csat_high"] < rated.drop(index=kind)["csat_low"].min()
    rated = support.csat_by(_shuffled(tickets, "problem_type"), as_of=AS_OF)
    lowest = rated.iloc[0]
    assert not lowest["csat_high"] < rated.iloc[1:]["csat_low"].min(), rated


def test_slow_tickets_are_followed_by_customers_who_stop_buying(planted):
    effects = planted.truth["service_effects"]
    tables = planted.tables
    found = support.service_and_churn(tables["tickets"], tables["transactions"], as_of=AS_OF,
                                      slow_hours=effects["slow_hours"])  # fmt: skip
    table = found["table"].set_index("group")
    assert table.loc["slow", "stopped_share"] > table.loc["on_time", "stopped_share"]
    assert found["difference_low"] > 0, found
    # the durations shuffled across tickets: the difference is within chance
    tickets = tables["tickets"].copy()
    took = tickets["resolved_at"] - tickets["opened_at"]
    order = np.random.default_rng(2).permutation(len(tickets))
    tickets["resolved_at"] = tickets["opened_at"] + took.to_numpy()[order]
    found = support.service_and_churn(tickets, tables["transactions"], as_of=AS_OF,
                                      slow_hours=effects["slow_hours"])  # fmt: skip
    assert found["difference_low"] <= 0 <= found["difference_high"], found
