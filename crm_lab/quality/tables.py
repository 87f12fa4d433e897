"""A cleaned dataset into data-quality tables: accounting, completeness, rules, dates, merges.

Every function takes a ``Dataset`` (as ``load.load_data`` reads a run's snapshot) and returns a
small table for the data-quality report; values from the quarantine are masked by
``privacy.mask_value`` so the report never shows personal data. A table of the dataset may be
an engine's table (``ingest.read_lines`` on DuckDB or Spark): the counts over rows are taken
by ``crm_lab.engine`` (``filled_counts``, ``date_span``, ``line_kinds``), on pandas or there.

Two kinds of figure, kept apart: those about the input file and its cleaning (``headline``,
``accounting_table``, ``rule_counts``, ``quarantine_examples``, ``merge_summary``) describe
every row read; those about the business's records (``completeness``, ``date_coverage``,
``transactions_summary``, ``orders_headline``) take a required ``as_of`` and count only rows
dated up to that day (the rows ``up_to`` keeps: undated ones stay), so a period's page is the
same whether the export was taken on its as-of day or later.
"""

from __future__ import annotations

import re

import pandas as pd

from crm_lab import engine
from crm_lab.core.dataset import Dataset
from crm_lab.core.lines import as_of_day, day_end
from crm_lab.core.schemas import LINE_TYPES, MAIN_DATES, SCHEMAS
from crm_lab.privacy import MIN_GROUP, mask_text, mask_values, withhold_small

__all__ = [
    "MAPPING_TABLE_COLUMNS",
    "READ_BY",
    "accounting_table",
    "column_mapping",
    "completeness",
    "completeness_matrix",
    "date_coverage",
    "headline",
    "merge_summary",
    "orders_headline",
    "quarantine_examples",
    "review_queue",
    "rule_counts",
    "transactions_summary",
    "up_to",
]


def up_to(data: Dataset, table: str, *, as_of) -> pd.DataFrame:
    """A table's rows into those dated up to the as-of day (inclusive); undated rows stay.

    A row is placed in time by its table's ``MAIN_DATES`` column; a row without that date
    (a customer without a signup date) cannot be shown to be later, so it is kept, as it
    would be in an export taken on the as-of day.
    """
    frame = data[table]
    column = MAIN_DATES.get(table)
    if column is None or column not in frame:
        return frame
    return frame[~(frame[column] >= day_end(as_of))]


def accounting_table(data: Dataset) -> pd.DataFrame:
    """Summarise rows per table: in, clean, quarantined, merged, and the clean share."""
    acc = data.accounting.groupby("table", sort=False)[
        ["rows_in", "rows_clean", "rows_quarantined", "rows_merged"]
    ].sum()
    acc = acc.astype("int64")
    acc["clean_share"] = (acc["rows_clean"] / acc["rows_in"].where(acc["rows_in"] > 0)).fillna(1.0)
    return acc.reset_index()


def completeness(data: Dataset, *, as_of) -> pd.DataFrame:
    """Rows up to the as-of day into the share of filled values per column of every table
    (one row per table, column)."""
    rows = []
    for table in data.tables:
        columns = SCHEMAS[table].columns
        counts = engine.filled_counts(
            data[table],
            columns=[c.name for c in columns],
            at=MAIN_DATES.get(table),
            end=day_end(as_of),
        )
        for col, n, filled in zip(columns, counts["rows"], counts["filled"], strict=True):
            rows.append(
                {
                    "table": table,
                    "column": col.name,
                    "required": col.required,
                    "filled_share": filled / n if n else 0.0,
                    "missing": int(n - filled),
                }
            )
    return pd.DataFrame(rows)


def completeness_matrix(data: Dataset, *, as_of) -> pd.DataFrame:
    """Filled share up to the as-of day as a matrix: one row per column name, one column per
    table (blank = n/a)."""
    long = completeness(data, as_of=as_of)
    order = list(dict.fromkeys(long["column"]))
    wide = long.pivot(index="column", columns="table", values="filled_share").reindex(order)
    return wide.rename_axis(index="column", columns=None).reset_index()


def rule_counts(data: Dataset) -> pd.DataFrame:
    """Count quarantined rows and values by table, column, rule and action, largest first."""
    q = data.quarantine
    if q.empty:
        return pd.DataFrame(columns=["table", "column", "rule", "action", "count"])
    out = q.groupby(["table", "column", "rule", "action"], dropna=False).size().rename("count")
    return out.reset_index().sort_values(
        ["count", "table"], ascending=[False, True], ignore_index=True
    )


def quarantine_examples(data: Dataset, *, per_rule: int = 3) -> pd.DataFrame:
    """A few masked examples per (table, rule): file name, line, column, masked value, reason.

    Values are masked by their column (``privacy.mask_value``); a value of any other column
    (a product name, a city, an outcome: free text that can hold anything) and every reason
    have their phones, e-mails and ID numbers masked (``privacy.mask_text``).
    """
    q = data.quarantine
    if q.empty:
        return pd.DataFrame(columns=["table", "rule", "file", "line", "column", "value", "reason"])
    ex = q.groupby(["table", "rule"], sort=True).head(per_rule).copy()
    ex = mask_values(ex)
    ex["reason"] = ex["reason"].map(mask_text, na_action="ignore")
    ex["file"] = ex["source_file"].astype(str).str.rsplit("/", n=1).str[-1]
    ex = ex.rename(columns={"source_line": "line"})
    return ex[["table", "rule", "file", "line", "column", "value", "reason"]].reset_index(drop=True)


def reading_notes(data: Dataset) -> pd.DataFrame:
    """A dataset's notes from reading its files (columns not found, files not read) into a table.

    The notes are about the input file: which canonical column no header matched (and the
    headers left unused), which files were not table files. A report that was skipped for a
    missing column is explained here.

    >>> reading_notes(Dataset(tables={}, notes=["t.csv: transactions column(s) not found: x"]))
                                             note
    0  t.csv: transactions column(s) not found: x
    """
    notes = [mask_text(note) for note in data.notes]  # a header can be a customer's value
    return pd.DataFrame({"note": pd.Series(notes, dtype="object")})


# how a file's headers were matched (codes; labels.CODES["read_by"] names them)
READ_BY = ("profile_detected", "profile_chosen", "generic_aliases")
MAPPING_TABLE_COLUMNS = [
    "file",
    "table",
    "profile",
    "read_by",
    "confidence",
    "mapped",
    "ignored",
    "made",
]
_READ_AS = re.compile(
    r"^(?P<file>.+?): read as .* \(profile (?P<profile>[^,]+), "
    r"(?P<how>chosen with --profile|detected from the header), "
    r"(?P<pct>\d+)% of its signature headers found\)$"
)


def _some(names: list[str], most: int = 12) -> str:
    """Names joined with "; ", the first ``most`` of a long list and how many more (words-free,
    for pages in either language).

    >>> _some(["a", "b", "c"], most=2)
    'a; b; … (+1)'
    """
    shown = "; ".join(names[:most])
    return f"{shown}; … (+{len(names) - most})" if len(names) > most else shown


def column_mapping(data: Dataset) -> pd.DataFrame:
    """A dataset's header mappings into one row per input file and table: its profile and how
    it was chosen, the columns mapped from which headers, the headers ignored, the columns made.

    ``profile`` is the export profile's name or ``"generic aliases"``; ``read_by`` a code of
    ``READ_BY`` and ``confidence`` the share of the profile's signature headers found, both
    from the reader's "read as" note (missing when the note is not there); ``mapped`` lists
    ``column ← header`` pairs, ``ignored`` the headers no column took, ``made`` the columns
    made without a header (``column: how``). Headers come from the file and are data text;
    phones, e-mails and ID numbers in them are masked (``privacy.mask_text``). Older snapshots
    have no mappings: the table is then empty.

    >>> m = pd.DataFrame({"source_file": ["in/o.csv"] * 2, "table": "transactions",
    ...     "profile": "generic aliases", "header": ["Qty", "Note"],
    ...     "column": ["quantity", ""], "status": ["mapped", "ignored"]})
    >>> row = column_mapping(Dataset(tables={}, mappings=m)).iloc[0]
    >>> row["file"], row["profile"], row["read_by"], row["mapped"], row["ignored"]
    ('o.csv', 'generic aliases', 'generic_aliases', 'quantity ← Qty', 'Note')
    """
    m = getattr(data, "mappings", None)
    need = {"source_file", "table", "profile", "header", "column", "status"}
    if m is None or m.empty or not need <= set(m.columns):
        return pd.DataFrame(columns=MAPPING_TABLE_COLUMNS)
    read_as = {}
    for note in data.notes:
        hit = _READ_AS.match(str(note))
        if hit:
            how = "profile_chosen" if hit["how"].startswith("chosen") else "profile_detected"
            read_as[(hit["file"], hit["profile"])] = (how, int(hit["pct"]) / 100)
    rows = []
    m = m.fillna("").astype(str)
    for (source, table), group in m.groupby(["source_file", "table"], sort=False):
        file = source.replace("\\", "/").rsplit("/", 1)[-1]
        profile = group["profile"].iloc[0]
        header = group["header"].map(mask_text)
        with_header = group["header"] != ""
        mapped = with_header & (group["status"] == "mapped")
        ignored = with_header & (group["status"] == "ignored")
        made = ~with_header
        if profile == "generic aliases":
            how, confidence = "generic_aliases", float("nan")
        else:
            how, confidence = read_as.get((file, profile), (None, float("nan")))
        rows.append(
            {
                "file": file,
                "table": table,
                "profile": profile,
                "read_by": how,
                "confidence": confidence,
                "mapped": "; ".join(
                    f"{c} ← {h}"
                    for c, h in zip(group["column"][mapped], header[mapped], strict=True)
                ),
                "ignored": _some(list(header[ignored])),
                "made": "; ".join(
                    f"{c}: {s}"
                    for c, s in zip(group["column"][made], group["status"][made], strict=True)
                ),
            }
        )
    return pd.DataFrame(rows, columns=MAPPING_TABLE_COLUMNS)


def merge_summary(data: Dataset) -> pd.DataFrame:
    """Count merged duplicate customer records by the rule that matched them."""
    log = data.merge_log
    if log is None or log.empty:
        return pd.DataFrame(columns=["rule", "records_merged", "customers_affected"])
    g = log.groupby("rule")
    return pd.DataFrame(
        {"records_merged": g.size(), "customers_affected": g["master_id"].nunique()}
    ).reset_index()


def date_coverage(data: Dataset, *, as_of) -> pd.DataFrame:
    """First and last date of each table's main timestamp, days since the last, empty months."""
    day = as_of_day(as_of)
    rows = []
    for table, column in MAIN_DATES.items():
        if table not in data.tables:
            continue
        span = engine.date_span(data[table], at=column, end=day_end(day))
        if span is None:
            continue
        first, last = span["first"], span["last"]
        months = (last.year * 12 + last.month) - (first.year * 12 + first.month) + 1
        rows.append(
            {
                "table": table,
                "column": column,
                "first": first.date().isoformat(),
                "last": last.date().isoformat(),
                "days_since_last": int((day - last.normalize()).days),
                "months": months,
                "months_without_rows": months - span["months_with_rows"],
            }
        )
    return pd.DataFrame(rows)


KINDS = (*LINE_TYPES, engine.ANONYMOUS_SALES)


def transactions_summary(data: Dataset, *, as_of) -> pd.DataFrame:
    """Summarise order lines up to the as-of day by kind: lines, invoices and amount per line
    type, then the sales without a customer id.

    ``kind`` holds codes (``KINDS``: the line types and ``sale_without_customer_id``). Lines
    quarantined while reading are a figure about the input file, not about orders up to a day
    (a quarantined line may have no readable date): ``rule_counts`` counts them, per rule.
    """
    if "transactions" not in data.tables:
        return pd.DataFrame()
    out = engine.line_kinds(data["transactions"], end=day_end(as_of))
    order = ["sale", engine.ANONYMOUS_SALES, "cancellation", "return", "non_product"]
    order += ["adjustment"]
    out["_o"] = out["kind"].map({k: i for i, k in enumerate(order)}).astype("float64")
    return out.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def headline(data: Dataset) -> dict:
    """Summarise a cleaned dataset into its headline figures about the input file (a flat dict).

    Returns
    -------
    dict
        ``rows_in``, ``rows_clean``, ``clean_share``, ``rows_quarantined``, ``rows_merged``,
        ``values_quarantined``, ``duplicate_customers_merged``, in the order a page shows
        them: every row read, whatever its date (``orders_headline`` has the figures about
        orders up to a day).
    """
    acc = accounting_table(data)
    rows_in = int(acc["rows_in"].sum())
    out = {
        "rows_in": rows_in,
        "rows_clean": int(acc["rows_clean"].sum()),
        "clean_share": round(float(acc["rows_clean"].sum()) / rows_in, 4) if rows_in else 1.0,
        "rows_quarantined": int(acc["rows_quarantined"].sum()),
        "rows_merged": int(acc["rows_merged"].sum()),
        "values_quarantined": int((data.quarantine["action"] == "value_quarantined").sum()),
        "duplicate_customers_merged": int(len(data.merge_log)) if data.merge_log is not None else 0,
    }
    return out


def orders_headline(data: Dataset, *, as_of, min_group: int = MIN_GROUP) -> dict:
    """Summarise the order lines up to the as-of day into their data-quality headline.

    Returns
    -------
    dict
        With a transactions table, ``sales_without_customer_share``: the share of sales revenue
        up to ``as_of`` on lines without a customer id (0.0 without sales; None, withheld,
        when 1 to ``min_group - 1`` invoices make it, ``privacy.MIN_GROUP`` by default); empty
        without one.
    """
    if "transactions" not in data.tables:
        return {}
    kinds = engine.line_kinds(data["transactions"], end=day_end(as_of)).set_index("kind")
    revenue = float(kinds["amount"].get("sale", 0.0))
    anonymous = float(kinds.at[engine.ANONYMOUS_SALES, "amount"])
    share = {"sales_without_customer_share": round(anonymous / revenue, 4) if revenue else 0.0}
    invoices = int(kinds.at[engine.ANONYMOUS_SALES, "invoices"])
    return withhold_small(share, count=invoices, k=min_group)


def review_queue(data: Dataset, *, key: bytes) -> pd.DataFrame:
    """Look-alike customer pairs that were not merged, masked for the analyst's review page.

    Customer ids become keyed pseudonyms (the analyst finds the records with the same key),
    names, phones and e-mails are masked; ``reason`` says why the pair was not merged.
    """
    from crm_lab.privacy import mask_value, pseudonymize

    review = data.review
    cols = ["customer", "other", "name", "other_name", "phone", "other_phone", "reason"]
    if review is None or review.empty or "other_id" not in review:
        return pd.DataFrame(columns=cols)
    pairs = review.dropna(subset=["customer_id", "other_id"]).copy()
    # records merged since (through another rule) are looked up as their master; a pair that
    # ended up as one customer needs no review
    log = data.merge_log
    master = dict(zip(log["customer_id"], log["master_id"], strict=True)) if len(log) else {}
    pairs["customer_id"] = pairs["customer_id"].map(lambda v: master.get(v, v))
    pairs["other_id"] = pairs["other_id"].map(lambda v: master.get(v, v))
    pairs = pairs[pairs["customer_id"] != pairs["other_id"]]
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    key_of = pairs[["customer_id", "other_id"]].apply(lambda r: tuple(sorted(r)), axis=1)
    pairs = pairs[~key_of.duplicated()].reset_index(drop=True)
    customers = data["customers"].set_index("customer_id") if "customers" in data.tables else None

    def field(ids: pd.Series, column: str) -> list[str]:
        if customers is None or column not in customers:
            return [""] * len(ids)
        values = customers[column].reindex(ids.astype(str))
        return [mask_value(column, v) for v in values]

    return pd.DataFrame(
        {
            "customer": pseudonymize(pairs["customer_id"].astype("string"), key=key),
            "other": pseudonymize(pairs["other_id"].astype("string"), key=key),
            "name": field(pairs["customer_id"], "name"),
            "other_name": field(pairs["other_id"], "name"),
            "phone": field(pairs["customer_id"], "phone"),
            "other_phone": field(pairs["other_id"], "phone"),
            "reason": pairs["reason"],
        }
    )[cols]
