"""The migration and segments pages give no group of fewer than five back: not from a cell, a
margin, a bar, a band, a point or a class share (the reviewer's cases, by hand)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from crm_lab import privacy
from crm_lab.reporting import moves, plots
from crm_lab.segments import clusters, migration

K = privacy.MIN_GROUP


def _states(pairs: list[tuple[str, str, int]]):
    """(segment before, segment after, customers) into two days' states."""
    before, after, i = [], [], 0
    for a, b, n in pairs:
        for _ in range(n):
            cid = f"c{i:04d}"
            i += 1
            if a != "(new)":
                before.append({"customer_id": cid, "segment": a, "revenue": 777.0})
            after.append({"customer_id": cid, "segment": b, "revenue": 777.0})
    frame = pd.DataFrame
    cols = {"lifecycle_stage": "active", "value_tier": None, "cluster": None,
            "predicted_value": np.nan, "r_score": 3, "f_score": 3}  # fmt: skip
    return frame(before).assign(**cols), frame(after).assign(**cols)


def _solvable(counts: pd.DataFrame, hidden: pd.DataFrame) -> set:
    """The hidden cells a reader solves from each row's and column's total (the states' sizes,
    public) and the cells shown, zeros included."""
    n_rows, n_cols = counts.shape
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    unknown = {(i, j) for i in range(n_rows) for j in range(n_cols) if hidden.iloc[i, j]}
    solved, changed = set(), True
    while changed:
        changed = False
        for line in lines:
            left = [c for c in line if c in unknown]
            if len(left) == 1:
                unknown.discard(left[0])
                solved.add(left[0])
                changed = True
    return solved


def _no_small_cell_comes_back(counts: pd.DataFrame, hidden: pd.DataFrame) -> None:
    values = counts.to_numpy(float)
    for i, j in _solvable(counts, hidden):
        assert not 0 < values[i, j] < K, (counts.index[i], counts.columns[j])
    shown = values[~hidden.to_numpy()]
    assert not ((shown > 0) & (shown < K)).any()


def test_a_small_move_out_of_a_large_state_cannot_be_subtracted_back():
    # champions: 10 stay, 3 go to loyal, 50 to promising, 60 to lost (the reviewer's case)
    pairs = [("champions", "champions", 10), ("champions", "loyal", 3),
             ("champions", "promising", 50), ("champions", "lost", 60),
             ("loyal", "loyal", 40), ("promising", "promising", 30), ("lost", "lost", 80),
             ("(new)", "champions", 20)]  # fmt: skip
    before, after = _states(pairs)
    view = moves.migration_views(before, after)["segment"]
    hidden = view["hidden"]
    assert hidden.loc["champions", "loyal"]
    counts = pd.DataFrame(0, index=hidden.index, columns=hidden.columns)
    for a, b, n in [(a, b, n) for a, b, n in [
            ("(new)", "champions", 20), ("champions", "champions", 10),
            ("champions", "loyal", 3), ("champions", "promising", 50),
            ("champions", "lost", 60), ("loyal", "loyal", 40),
            ("promising", "promising", 30), ("lost", "lost", 80)]]:  # fmt: skip
        counts.loc[a, b] = n
    _no_small_cell_comes_back(counts, hidden)
    # here the states' sizes would give the 3 back through the cells around it: no table
    assert view["withheld"] and view["customers"] is None and view["flow"] is None
    size = view["size"].set_index("segment")
    # who moved out of champions (63 = 3 + 50 + 60) would give the 3 back: blank, and its value
    assert pd.isna(size.loc["champions", "moved_out"])
    assert pd.isna(size.loc["champions", "value_moved_out"])


def test_a_state_of_a_few_customers_shows_no_figure_and_no_bar():
    pairs = [("at_risk", "lost", 3), ("lost", "lost", 80), ("loyal", "loyal", 40),
             ("loyal", "at_risk", 30), ("(new)", "loyal", 12)]  # fmt: skip
    before, after = _states(pairs)
    view = moves.migration_views(before, after)["segment"]
    size = view["size"].set_index("segment")
    assert pd.isna(size.loc["at_risk", "before"]) and pd.isna(size.loc["at_risk", "net_change"])
    # the chart, drawn from the whole table, leaves the small state out
    counts = migration.flow_matrix(migration.between(before, after, column="segment"),
                                   order=list(view["hidden"].columns))  # fmt: skip
    fig = plots.flow_chart(counts, kind="segment", lang="en")
    svg = io.StringIO()
    fig.savefig(svg, format="svg")
    text = svg.getvalue()
    assert "Lost" in text and "Loyal" in text
    # At Risk had 3 customers before: no bar on the left; 30 now: a bar on the right
    assert text.count(">At Risk<") == 1


def test_small_clusters_are_not_drawn_and_small_classes_not_named():
    rng = np.random.default_rng(0)
    f = pd.DataFrame({"customer_id": [f"c{i}" for i in range(63)],
                      "revenue": np.r_[rng.normal(20, 1, 30), rng.normal(900, 9, 30),
                                       rng.normal(90000, 90, 3)],
                      "occupation": ["doctor"] * 2 + ["teacher"] * 28 + ["sales"] * 33,
                      })  # fmt: skip
    result = clusters.cluster_customers(f, k=3, random_state=0, stability_runs=0, weights={})
    table, traits = clusters.portraits(f, result, min_group=K)
    tiny = table.loc[table["customers"] == 3, "cluster"].iloc[0]
    assert table.set_index("cluster").loc[tiny, "withheld"]
    # 2 doctors among 30: not a trait and not the typical class
    assert not traits["feature"].eq("occupation=doctor").any()
    for typical in table["typical"]:
        assert typical.get("occupation", ("", 1.0))[0] != "doctor"
    from crm_lab.reporting import labels

    labels.name_clusters({int(c): (f"Cluster {c}", f"群组 {c}") for c in table["cluster"]})
    fig = plots.cluster_map_chart(result.projection, table, lang="en")
    svg = io.StringIO()
    fig.savefig(svg, format="svg")
    assert f">Cluster {tiny}<" not in svg.getvalue()


def test_the_demo_migration_gives_no_small_move_back(demo):
    from crm_lab.segments import states

    lines = demo.tables["transactions"]
    earlier = states.customer_states(lines, as_of="2025-10-31")
    now = states.customer_states(lines, as_of="2025-12-31", previous=earlier.clustering)
    views = moves.migration_views(earlier.table, now.table)
    shown = 0
    for column, view in views.items():
        counts = migration.flow_matrix(migration.between(earlier.table, now.table,
                                                         column=column),
                                       order=list(view["hidden"].columns))  # fmt: skip
        counts = counts.reindex(index=view["hidden"].index, columns=view["hidden"].columns,
                                fill_value=0)  # fmt: skip
        _no_small_cell_comes_back(counts, view["hidden"])
        shown += int((~view["hidden"].to_numpy() & (counts.to_numpy() > 0)).sum())
    assert shown > 0  # the audit does not hide everything everywhere
