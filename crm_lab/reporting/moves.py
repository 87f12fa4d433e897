"""Two days' customer states into the migration page's tables: for RFM segments, lifecycle
stages, value tiers and clusters alike, each state's change in size, the from x to table of
customers and of their value, and the table the flow chart draws.

The tables' axes are named by code columns (``segment_before`` x ``segment_after``,
``stage_before`` x ``stage``, ...), so ``display.show_table`` names the codes and hides small
cells, and the moves' customers are never listed one by one on a page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_lab import privacy
from crm_lab.reporting import states as stored
from crm_lab.segments import lifecycle, loyalty, migration
from crm_lab.value import rfm

__all__ = ["COLUMNS", "headline", "migration_views", "part", "stored_trend", "tier_table"]

# state column -> (the code kind reporting.labels names, rows' axis name, columns' axis name,
# the codes' order)
COLUMNS = {
    "segment": ("segment", "segment_before", "segment_after", rfm.SEGMENT_CODES),
    "lifecycle_stage": ("stage", "stage_before", "stage", lifecycle.STAGES),
    "value_tier": ("tier", "value_tier_before", "value_tier", ("high", "medium", "low")),
    "cluster": ("cluster", "cluster_before", "cluster", ()),
}


def migration_views(before: pd.DataFrame, after: pd.DataFrame) -> dict:
    """Two ``segments.states`` tables into ``{column: {"kind", "size", "customers", "value",
    "flow", "hidden", "at_stake"}}`` for each state column both have values in: ``customers``
    and ``value`` with the cells a page must not show blank (``hidden``), ``size`` likewise,
    ``flow`` the whole table the flow chart draws (leaving out the ``hidden`` cells),
    ``at_stake`` the customers and value per kind of move (``migration.moves_at_stake``)."""
    out = {}
    for column, (kind, rows, cols, order) in COLUMNS.items():
        if before[column].notna().sum() == 0 or after[column].notna().sum() == 0:
            continue
        moved = migration.between(before, after, column=column)
        if column == "cluster":
            order = sorted({int(v) for v in moved[["before", "after"]].stack()
                            if v not in (migration.NEW, migration.GONE)})  # fmt: skip
        customers = migration.flow_matrix(moved, order=order)
        hidden = _hidden_cells(customers)
        value = migration.flow_matrix(moved, order=order, value=True).round(0)
        value = value.mask(hidden).astype("Int64")
        size = _size_table(migration.size_change(moved, order=order), hidden)
        size = size.rename(columns={"state": "stage" if column == "lifecycle_stage" else column})
        shown = customers.astype("Int64").mask(hidden)  # hidden cells read "–"
        withheld = bool(hidden.to_numpy().all())  # the audit hid every cell: no table
        out[column] = {
            "kind": kind,
            "size": size,
            "customers": None if withheld
            else shown.rename_axis(index=rows, columns=cols).reset_index(),
            "value": None if withheld
            else value.rename_axis(index=rows, columns=cols).reset_index(),
            "flow": None if withheld else customers,
            "hidden": hidden,
            "withheld": withheld,
            "moves": moved["move"].value_counts().to_dict(),
            "at_stake": _at_stake(moved, customers, hidden),
        }  # fmt: skip
    return out


def _hidden_cells(customers: pd.DataFrame) -> pd.DataFrame:
    """A from x to table of customers into the cells a page must not show: the small ones and
    those blanked with them so that no total gives one back. The totals a page shows are each
    row and column (the states' sizes) and each row's and column's cells off the diagonal (who
    moved out of a state, who moved in): ``privacy.small_cells`` protects all of them, and an
    audit (``_pinned``) solves the table from its totals as a reader could; while a small
    cell still comes back, one more cell on its row or column is hidden (every cell when none
    is left there)."""
    rows, cols = list(customers.index), list(customers.columns)
    regions = []
    for i, a in enumerate(rows):
        region = [(i, j) for j, b in enumerate(cols) if b != a]
        regions += [region] if len(region) > 1 else []
    for j, b in enumerate(cols):
        region = [(i, j) for i, a in enumerate(rows) if a != b]
        regions += [region] if len(region) > 1 else []
    small, extra = privacy.small_cells(customers, k=privacy.MIN_GROUP, regions=regions)
    hidden = small | extra
    values = customers.to_numpy()
    while small.any():
        # the states' sizes (public on this page and the customer-value pages) may still give
        # a small move back through the cells shown, zeros included: blank one more cell on
        # the line of the first one that comes back (the smallest shown, zeros first) and
        # audit again; when nothing is left to blank there, no cell is shown
        pinned = _pinned(hidden, small)
        if not pinned:
            break
        i, j = pinned[0]
        line = [(i, c) for c in range(hidden.shape[1])] + [(r, j) for r in range(hidden.shape[0])]
        shown = [cell for cell in line if not hidden[cell]]
        if not shown:
            hidden = np.ones_like(hidden)
            break
        hidden[min(shown, key=lambda cell: (values[cell], cell))] = True
    return pd.DataFrame(hidden, index=customers.index, columns=customers.columns)


def _recoverable(hidden, small, more=()) -> bool:
    """Whether ``_pinned`` finds a small hidden cell a reader can work out."""
    return bool(_pinned(hidden, small, more))


def _pinned(hidden, small, more=()) -> list:
    """The small hidden cells a reader who knows every row's and column's total (the states'
    sizes), the totals of ``more`` (lists of cells) and the cells shown (zeros too) can work
    out exactly, as (row, column) pairs. Each known total is a linear equation in the hidden
    cells; a cell is determined when its unit vector lies in the equations' row space (adding
    it does not raise the rank), which is every combination of totals a reader could
    subtract, not only lines with one unknown left. (The moves out of and into a state are
    blank wherever they hold a hidden cell.)"""
    unknown = np.array(hidden, dtype=bool)
    if not (np.asarray(small, dtype=bool) & unknown).any():
        return []
    n_rows, n_cols = unknown.shape
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    lines += [list(line) for line in more]
    cells = [tuple(c) for c in np.argwhere(unknown)]
    column = {cell: k for k, cell in enumerate(cells)}
    equations = np.zeros((len(lines), len(cells)))
    for row, line in enumerate(lines):
        for cell in line:
            if cell in column:
                equations[row, column[cell]] = 1.0
    rank = np.linalg.matrix_rank(equations)
    pinned = []
    for cell in cells:
        if small[cell]:
            probe = np.zeros((1, len(cells)))
            probe[0, column[cell]] = 1.0
            if np.linalg.matrix_rank(np.vstack([equations, probe])) == rank:
                pinned.append((int(cell[0]), int(cell[1])))
    return pinned


def _at_stake(moved: pd.DataFrame, customers: pd.DataFrame, hidden: pd.DataFrame):
    """Moves into the customers and value at stake per kind of move
    (``migration.moves_at_stake``), made safe for a page: the kinds' totals join the audit
    (``_recoverable``) of the states' sizes and the cells shown; when they would give a small
    move back, a kind that holds a hidden move shows no figure, as the moves out of a state
    do. None when every kind is blank."""
    table = migration.moves_at_stake(moved).rename(columns={"value": "value_at_stake"})
    rows = {state: i for i, state in enumerate(customers.index)}
    cols = {state: j for j, state in enumerate(customers.columns)}
    pairs = zip(moved["before"], moved["after"], strict=True)
    cells = pd.Series([(rows[b], cols[a]) for b, a in pairs], index=moved.index)
    kinds = {kind: sorted(set(group)) for kind, group in cells.groupby(moved["move"])}
    values = customers.to_numpy()
    small = (values > 0) & (values < privacy.MIN_GROUP)
    mask = hidden.to_numpy()
    if not _recoverable(mask, small, more=kinds.values()):
        return table
    holds = {kind: any(mask[c] for c in group) for kind, group in kinds.items()}
    blank = table["move"].map(holds).fillna(False).astype(bool).to_numpy()
    if blank.all():
        return None
    figures = ["customers", "value_at_stake", "value_share"]
    table[figures] = table[figures].astype("float64")
    table.loc[blank, figures] = np.nan
    return table


def _size_table(size: pd.DataFrame, hidden: pd.DataFrame) -> pd.DataFrame:
    """``migration.size_change`` made safe for a page: a state of 1 to 4 customers on either
    day (and those hidden with it) shows no figure; the customers who moved out or in, and
    the value that moved out, are blank where a move they add up is hidden."""
    out = size.rename(columns={"after": "customers"}).copy()  # the group's count: now
    before_hidden = privacy.hidden_groups(out["before"], k=privacy.MIN_GROUP).to_numpy()
    for column in ("before", "net_change", "change_share"):
        out[column] = out[column].astype("float64").mask(before_hidden)
    out_hidden, in_hidden = [], []
    for state in out["state"]:
        row = hidden.loc[state] if state in hidden.index else pd.Series(dtype=bool)
        col = hidden[state] if state in hidden.columns else pd.Series(dtype=bool)
        out_hidden.append(bool(row.drop(labels=[state], errors="ignore").any()))
        in_hidden.append(bool(col.drop(labels=[state], errors="ignore").any()))
    out["moved_out"] = out["moved_out"].astype("float64").mask(out_hidden)
    out["moved_in"] = out["moved_in"].astype("float64").mask(in_hidden)
    out["value_moved_out"] = out["value_moved_out"].round(0).mask(out_hidden)
    out.loc[out["moved_out"] < privacy.MIN_GROUP, "value_moved_out"] = np.nan
    return out


def headline(views: dict) -> dict:
    """The migration page's figures: customers who moved up and down between RFM segments and
    between lifecycle stages (small counts withheld, as ``migration.move_counts``)."""
    out = {}
    for column, prefix in (("segment", "segment"), ("lifecycle_stage", "stage")):
        moves = views.get(column, {}).get("moves", {})
        counts = {f"{prefix}_moved_up": int(moves.get("up", 0)),
                  f"{prefix}_moved_down": int(moves.get("down", 0))}  # fmt: skip
        out.update({k: (v if v == 0 or v >= privacy.MIN_GROUP else None)
                    for k, v in counts.items()})  # fmt: skip
    return out


def tier_table(states_table: pd.DataFrame, customers: pd.DataFrame | None, *, by: str = "tier"):
    """Customer states and the customers table into the outcomes per membership tier or, with
    ``by="points"``, per band of loyalty points (``loyalty.tier_outcomes``; the column then
    named ``points_band``, the band with most points first); tiers in their order when they
    are the usual names. None without the column or a buyer."""
    if customers is None or by not in customers or customers[by].notna().sum() == 0:
        return None
    if by == "points":
        order = ["Q4", "Q3", "Q2", "Q1"]
    else:
        usual = ["Platinum", "Gold", "Silver", "Bronze"]
        names = set(customers["tier"].dropna().astype(str))
        order = [t for t in usual if t in names] if names <= set(usual) else None
    table = loyalty.tier_outcomes(states_table, customers, by=by, order=order)
    if table.empty:  # no buyer yet
        return None
    table = table[table["customers"] > 0] if by == "points" else table  # bands ties left empty
    table = table.assign(customers=table["customers"].astype(np.int64))
    return table.rename(columns={"tier": "points_band"}) if by == "points" else table


def stored_trend(states_dir, *, as_of, column: str = "segment", last: int = 13, key_file=None):
    """The store of customers' states (``reporting.states``) into customers per RFM segment
    (rows) on each of the last ``last`` stored days up to ``as_of`` (columns, ISO days); None
    with fewer than two stored days. The columns' axis is named ``segment_after`` so that
    ``display.show_table`` names the segments and hides small cells as in a flow matrix.
    ``key_file`` decrypts an encrypted store."""
    if not states_dir:
        return None
    over = stored.states_over(states_dir, column=column, until=as_of, key_file=key_file or None)
    if over.shape[1] < 2:
        return None
    over = over.iloc[:, -last:]
    order = [c for c in rfm.SEGMENT_CODES if c in over.index]
    over = over.reindex([*order, *sorted(set(over.index) - set(order))])
    table = over.rename_axis(index=column, columns="segment_after").reset_index()
    table.columns.name = "segment_after"
    return table


def part(views: dict, column: str, key: str):
    """One table of ``migration_views`` (``key``: size, customers, value, flow), or None when
    the column has no values on one of the two days (no buyer before the period, no cluster).
    """
    return views.get(column, {}).get(key)
