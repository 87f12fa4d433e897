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


def _states_of(column: str, pairs: list[tuple[str, str, int]], **columns):
    """(state before, state after, customers) of one column into two days' states."""
    before, after, i = [], [], 0
    for a, b, n in pairs:
        for _ in range(n):
            cid = f"c{i:04d}"
            i += 1
            if a != "(new)":
                before.append({"customer_id": cid, column: a})
            after.append({"customer_id": cid, column: b})
    return pd.DataFrame(before).assign(**columns), pd.DataFrame(after).assign(**columns)


def _states(pairs: list[tuple[str, str, int]]):
    """(segment before, segment after, customers) into two days' states."""
    return _states_of(
        "segment",
        pairs,
        revenue=777.0,
        lifecycle_stage="active",
        value_tier=None,
        cluster=None,
        predicted_value=np.nan,
        r_score=3,
        f_score=3,
    )


def _stage_states(pairs: list[tuple[str, str, int]]):
    """(stage before, stage after, customers) into two days' states."""
    return _states_of(
        "lifecycle_stage",
        pairs,
        segment=None,
        value_tier=None,
        cluster=None,
        predicted_value=np.nan,
        revenue=100.0,
        r_score=np.nan,
        f_score=np.nan,
    )


def _pinned(counts: pd.DataFrame, hidden: pd.DataFrame, kinds=()) -> set:
    """The hidden cells a reader works out exactly from every row's and column's total (the
    states' sizes), the totals of ``kinds`` (lists of cells: a kind of move's customers) and
    the cells shown: each hidden cell's least and greatest value over every non-negative
    table that agrees with all of them (linear programmes, an audit independent of the
    page's own); a cell whose least and greatest are equal is given away."""
    from scipy.optimize import linprog

    values = counts.to_numpy(float)
    mask = hidden.to_numpy()
    cells = [tuple(c) for c in np.argwhere(mask)]
    n_rows, n_cols = values.shape
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    lines += [list(k) for k in kinds]
    a_eq = np.array([[1.0 if c in line else 0.0 for c in cells] for line in lines])
    b_eq = np.array([sum(values[c] for c in line if mask[c]) for line in lines])
    out = set()
    for k, cell in enumerate(cells):
        goal = np.zeros(len(cells))
        goal[k] = 1.0
        low = linprog(goal, A_eq=a_eq, b_eq=b_eq, bounds=(0, None)).fun
        high = -linprog(-goal, A_eq=a_eq, b_eq=b_eq, bounds=(0, None)).fun
        if high - low < 0.5:
            out.add(cell)
    return out


def _kinds_shown(view: dict, moved: pd.DataFrame, hidden: pd.DataFrame) -> list:
    """The cells of each kind of move whose count the page shows (``at_stake``)."""
    table = view.get("at_stake")
    if table is None:
        return []
    shown = set(table.loc[table["customers"].notna(), "move"])
    rows = {s: i for i, s in enumerate(hidden.index)}
    cols = {s: j for j, s in enumerate(hidden.columns)}
    return [sorted({(rows[b], cols[a]) for b, a in zip(part["before"], part["after"],
                                                       strict=True)})
            for kind, part in moved.groupby("move") if kind in shown]  # fmt: skip


def _no_small_cell_comes_back(counts: pd.DataFrame, hidden: pd.DataFrame, kinds=()) -> None:
    values = counts.to_numpy(float)
    for i, j in _pinned(counts, hidden, kinds):
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
    # the states' sizes would give the 3 back through the cells around it (loyal's 40 stay,
    # its row otherwise 0): more cells are blanked, not the whole table
    assert not view["withheld"] and view["customers"] is not None
    assert hidden.loc["(new)", "loyal"] and hidden.loc["loyal", "loyal"]
    assert not hidden.loc["champions", "lost"]  # the 60 who lapsed still show
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
    shown = kinds_shown = 0
    for column, view in views.items():
        moved = migration.between(earlier.table, now.table, column=column)
        counts = migration.flow_matrix(moved, order=list(view["hidden"].columns))
        counts = counts.reindex(index=view["hidden"].index, columns=view["hidden"].columns,
                                fill_value=0)  # fmt: skip
        kinds = _kinds_shown(view, moved, view["hidden"])
        _no_small_cell_comes_back(counts, view["hidden"], kinds)
        shown += int((~view["hidden"].to_numpy() & (counts.to_numpy() > 0)).sum())
        kinds_shown += len(kinds)
    assert shown > 0 and kinds_shown > 0  # the audit does not hide everything everywhere


def test_a_kind_of_move_that_would_give_a_small_move_back_shows_no_figure():
    # 3 new customers became active (the only "changed" move: neither up nor down); the
    # cells around them are hidden, but the kind's total alone would give the 3 back
    pairs = [("new", "active", 3), ("new", "new", 30), ("new", "churned", 10),
             ("loyal", "active", 20), ("loyal", "churned", 12), ("loyal", "loyal", 50),
             ("active", "active", 40), ("churned", "churned", 60)]  # fmt: skip
    before, after = _stage_states(pairs)
    view = moves.migration_views(before, after)["lifecycle_stage"]
    hidden = view["hidden"]
    moved = migration.between(before, after, column="lifecycle_stage")
    counts = migration.flow_matrix(moved, order=list(hidden.columns))
    counts = counts.reindex(index=hidden.index, columns=hidden.columns, fill_value=0)
    assert hidden.loc["new", "active"]
    every_kind = [sorted({(list(hidden.index).index(b), list(hidden.columns).index(a))
                          for b, a in zip(part["before"], part["after"], strict=True)})
                  for _, part in moved.groupby("move")]  # fmt: skip
    assert _pinned(counts, hidden, every_kind)  # all kinds' totals shown: the 3 comes back
    table = view["at_stake"].set_index("move")
    assert table.loc[["changed", "down"], "customers"].isna().all()  # so they are blank
    assert table.loc["same", "customers"] == 180
    _no_small_cell_comes_back(counts, hidden, _kinds_shown(view, moved, hidden))
