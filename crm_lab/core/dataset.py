"""The canonical tables of one input, with the accounting of every row that did not make it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "ACCOUNTING_COLUMNS",
    "Dataset",
    "FIX_COLUMNS",
    "QUARANTINE_COLUMNS",
    "quarantine_frame",
    "quarantine_rows",
]

# One row per rejected row or value. action: "row_quarantined" (the row left the table),
# "value_quarantined" (the value was set missing, the row stayed) or "row_merged" (the row
# was folded into another, e.g. a duplicate customer).
QUARANTINE_COLUMNS = [
    "table",
    "source_file",
    "source_line",
    "column",
    "value",
    "rule",
    "reason",
    "action",
]
# Harmless fixes made while reading values, counted per table, column and rule.
FIX_COLUMNS = ["table", "column", "rule", "count"]

# the file that marks a folder as a run's snapshot of a Dataset (ingest.snapshot writes it;
# the engines read it to know a folder they may query)
SNAPSHOT_MARKER = "_snapshot.yaml"
# Per table and source: rows_in = rows_clean + rows_quarantined + rows_merged.
ACCOUNTING_COLUMNS = [
    "table",
    "source_file",
    "rows_in",
    "rows_clean",
    "rows_quarantined",
    "rows_merged",
]


def quarantine_frame(rows: list[pd.DataFrame] | None = None) -> pd.DataFrame:
    """Stack quarantine parts into one frame with ``QUARANTINE_COLUMNS`` (empty if none)."""
    parts = [r for r in (rows or []) if len(r)]
    if not parts:
        return pd.DataFrame(
            {
                c: pd.Series(dtype="int64" if c == "source_line" else "string")
                for c in QUARANTINE_COLUMNS
            }
        )
    out = pd.concat(parts, ignore_index=True)[QUARANTINE_COLUMNS]
    out["source_line"] = out["source_line"].astype("int64")
    for c in QUARANTINE_COLUMNS:
        if c != "source_line":
            out[c] = out[c].astype("string")
    return out


def quarantine_rows(
    *,
    table: str,
    source_file,
    source_line,
    rule: str,
    reason,
    action: str,
    column: str = "",
    value="",
) -> pd.DataFrame:
    """Rows that leave a table into quarantine rows (``QUARANTINE_COLUMNS``), one per line.

    Every step that quarantines (reading, value parsing, table policies) builds its rows here.
    ``source_line`` gives the number of rows; every other argument is one value for all of them
    or one per row. A value is kept as text of at most 60 characters: an example to look at, not
    a copy of the data.

    >>> rows = quarantine_rows(table="transactions", source_file="tx.csv", source_line=[3, 9],
    ...                        rule="duplicate_line", reason="an exact copy",
    ...                        action="row_quarantined")
    >>> rows[["source_line", "rule"]]
       source_line            rule
    0            3  duplicate_line
    1            9  duplicate_line
    """
    lines = np.asarray(source_line, dtype="int64").reshape(-1)
    if not len(lines):
        return quarantine_frame()
    text = pd.Series(np.broadcast_to(np.asarray(value, dtype=object), lines.shape))
    frame = pd.DataFrame(
        {
            "table": table,
            "source_file": np.broadcast_to(np.asarray(source_file, dtype=object), lines.shape),
            "source_line": lines,
            "column": column,
            "value": text.astype("string").str.slice(0, 60).to_numpy(),
            "rule": np.broadcast_to(np.asarray(rule, dtype=object), lines.shape),
            "reason": np.broadcast_to(np.asarray(reason, dtype=object), lines.shape),
            "action": action,
        }
    )
    return quarantine_frame([frame])


@dataclass
class Dataset:
    """Canonical tables read from files, with everything the reading and cleaning decided.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Canonical tables by name (only those present in the input, plus derived ones).
    quarantine : DataFrame
        ``QUARANTINE_COLUMNS``: every rejected row or value with file, line, column and reason.
    accounting : DataFrame
        ``ACCOUNTING_COLUMNS``: per table and source file, rows in and where they went.
    fixes : DataFrame
        ``FIX_COLUMNS``: harmless fixes counted (null words read as missing, phones
        reformatted, full-width text folded, ...).
    merge_log : DataFrame
        Duplicate customers folded into a master record (empty before de-duplication).
    review : DataFrame
        Look-alike customer records that were not merged, for a person to decide.
    notes : list of str
        What was decided on the user's behalf (derived tables, date order, skipped title rows).
    provenance : dict of str to DataFrame
        Per table, the ``source_file`` and ``source_line`` of each row (same order as the
        table), so that a row dropped later by cleaning is reported where it came from.
        Not kept in snapshots.
    mappings : DataFrame
        Per input file, what became of each header (``ingest.readers.MAPPING_COLUMNS``:
        ``source_file, table, profile, header, column, status``): the column it was read
        into (``mapped``) or ``ignored``, and the columns made without a header (a
        profile's constant, a price derived from the amount).
    """

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame = field(default_factory=quarantine_frame)
    accounting: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=ACCOUNTING_COLUMNS)
    )
    fixes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FIX_COLUMNS))
    merge_log: pd.DataFrame = field(default_factory=pd.DataFrame)
    review: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, pd.DataFrame] = field(default_factory=dict)
    mappings: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __contains__(self, table: str) -> bool:
        return table in self.tables

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]
