"""Canonical table contracts as data, and validation of frames against them.

Every table that crosses a module boundary in crm_lab is one of the tables below, with these
column names and dtypes. Ids are strings (pandas ``string`` dtype): a long numeric id must never
pass through float. Timestamps end in ``_at`` and dates in ``_date``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = [
    "EVENT_DATES",
    "MAIN_DATES",
    "Column",
    "Problem",
    "SCHEMAS",
    "SchemaError",
    "TableSchema",
    "check",
    "data_dictionary",
    "empty_table",
    "validate",
]

# dtype kinds: "id" and "str" are pandas "string"; "datetime" is datetime64[ns] (naive);
# "float" is float64; "int" is nullable Int64; "category" is "string" with allowed values.
_KINDS = ("id", "str", "datetime", "float", "int", "category")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    kind: str
    required: bool = False  # must be present in an input file
    nullable: bool = True  # may hold missing values
    allowed: tuple[str, ...] | None = None  # for kind "category"
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"column {self.name!r}: kind {self.kind!r} is not one of {_KINDS}")


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: its columns, its key and what it holds."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    derived: tuple[str, ...] = field(default=())  # columns computed by load when absent

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


LINE_TYPES = ("sale", "return", "cancellation", "adjustment", "non_product")
CHANNELS = (
    "web_form",
    "social",
    "email",
    "phone",
    "offline_event",
    "store",
    "referral",
    "advertising",
    "other",
)
GRAINS = ("item", "order")  # transactions.grain: a product line, or a whole order

# the date that places each table's row in time: first the event tables' (order lines first,
# the order in which a run looks for where the data ends), then the customers' signup day
EVENT_DATES: dict[str, str] = {
    "transactions": "ordered_at",
    "interactions": "interacted_at",
    "tickets": "opened_at",
    "campaign_responses": "sent_at",
}
MAIN_DATES: dict[str, str] = {**EVENT_DATES, "customers": "signup_date",
                               "ticket_events": "event_at"}  # fmt: skip

SCHEMAS: dict[str, TableSchema] = {
    "customers": TableSchema(
        name="customers",
        key=("customer_id",),
        description="One row per customer record as exported from a CRM or shop.",
        columns=(
            Column("customer_id", "id", required=True, nullable=False),
            Column("name", "str"),
            Column("gender", "category", allowed=("F", "M", "other")),
            Column("birth_date", "datetime"),
            Column("occupation", "str"),
            Column("city", "str"),
            Column("country", "str"),
            Column("phone", "str"),
            Column("email", "str"),
            Column("signup_date", "datetime"),
            Column("acquisition_channel", "category", allowed=CHANNELS),
            Column("tier", "str", description="membership / loyalty tier"),
            Column("points", "float"),
        ),
    ),
    "transactions": TableSchema(
        name="transactions",
        key=(),  # an order can hold the same product twice; no natural key per line
        description=(
            "One row per order line. line_type: sale; cancellation (a reversed order, negative"
            " quantity, UCI 'C' invoices); return (goods given back, negative quantity);"
            " adjustment (bookkeeping lines, UCI 'A' invoices); non_product (postage, fees,"
            " vouchers: see policies.yaml). Only sale lines enter product and customer value"
            " analytics; the others are counted and reported beside them."
        ),
        derived=("amount", "line_type"),
        columns=(
            Column("invoice_id", "id", required=True, nullable=False),
            Column("customer_id", "id", description="missing for anonymous sales"),
            Column("ordered_at", "datetime", required=True, nullable=False),
            Column("product_id", "id", required=True, nullable=False),
            Column("product_name", "str"),
            Column("category", "str"),
            Column("quantity", "float", required=True, nullable=False),
            Column("unit_price", "float", required=True, nullable=False),
            Column("amount", "float", nullable=False, description="quantity * unit_price"),
            Column("channel", "str", description="sales channel: online, store, ..."),
            Column("payment_method", "str"),
            Column("country", "str"),
            Column("line_type", "category", nullable=False, allowed=LINE_TYPES),
            Column(
                "grain",
                "category",
                allowed=GRAINS,
                description=(
                    "order: the row is a whole order (an order-level export such as Taobao's"
                    " order list, a won deal); product_id is then '(order)' unless the export"
                    " names one, and basket analysis leaves the row out; item or missing: one"
                    " product line"
                ),
            ),
        ),
    ),
    "interactions": TableSchema(
        name="interactions",
        description="Contacts between the business and a customer.",
        columns=(
            Column("customer_id", "id", required=True, nullable=False),
            Column("interacted_at", "datetime", required=True, nullable=False),
            Column(
                "channel",
                "category",
                required=True,
                nullable=False,
                allowed=("phone", "email", "chat", "meeting", "social", "sms", "other"),
            ),
            Column("direction", "category", allowed=("inbound", "outbound")),
            Column("outcome", "str"),
            Column("notes", "str"),
        ),
    ),
    "tickets": TableSchema(
        name="tickets",
        key=("ticket_id",),
        description=(
            "Service tickets (cases, service requests) with their timings and satisfaction;"
            " a ticket event log (ticket_events) is read into this table."
        ),
        columns=(
            Column("ticket_id", "id", required=True, nullable=False),
            Column("customer_id", "id", description="missing in a public service desk's export"),
            Column("opened_at", "datetime", required=True, nullable=False),
            Column("first_response_at", "datetime"),
            Column("resolved_at", "datetime", description="resolved (or closed, when one date)"),
            Column("closed_at", "datetime", description="closed after resolution, if apart"),
            Column("due_at", "datetime", description="the ticket's own target date"),
            Column("problem_type", "str"),
            Column("priority", "str"),
            Column("team", "str", description="the team, queue or agency that handles it"),
            Column("channel", "str", description="how the ticket came in (phone, online, ...)"),
            Column("status", "str"),
            Column("reopened", "int", description="times resolved again after a resolution"),
            Column("description", "str"),
            Column("resolution", "str"),
            Column("satisfaction", "float", description="1-5"),
            Column("comment", "str"),
        ),
    ),
    "ticket_events": TableSchema(
        name="ticket_events",
        key=(),  # a ticket can take the same activity twice
        description=(
            "A ticket event log: one row per ticket and activity, as help-desk and"
            " process-mining tools export a ticket's history. Read into the tickets table by"
            " the activities of ticket_events in policies.yaml (ingest.eventlog)."
        ),
        columns=(
            Column("ticket_id", "id", required=True, nullable=False),
            Column("activity", "str", required=True, nullable=False),
            Column("event_at", "datetime", required=True, nullable=False),
            Column("customer_id", "id"),
            Column("problem_type", "str"),
            Column("priority", "str"),
            Column("team", "str"),
            Column("channel", "str"),
            Column("agent", "str", description="who did it (an agent, a resource)"),
            Column("description", "str"),
        ),
    ),
    "campaign_responses": TableSchema(
        name="campaign_responses",
        key=("campaign_id", "customer_id"),
        description="One row per customer a campaign reached, with what they did.",
        columns=(
            Column("campaign_id", "id", required=True, nullable=False),
            Column("customer_id", "id", required=True, nullable=False),
            Column("channel", "category", allowed=("email", "social", "offline_form", "sms")),
            Column("sent_at", "datetime", required=True, nullable=False),
            Column("opened", "int"),
            Column("clicked", "int"),
            Column("converted", "int"),
            Column("survey_score", "float", description="0-10 (NPS question)"),
            Column("comment", "str"),
        ),
    ),
}

_DTYPES = {
    "id": "string",
    "str": "string",
    "category": "string",
    "datetime": "datetime64[ns]",
    "float": "float64",
    "int": "Int64",
}


def dtype_of(kind: str) -> str:
    """Return the pandas dtype name used for a column kind."""
    return _DTYPES[kind]


@dataclass(frozen=True)
class Problem:
    """One way a frame breaks its table contract."""

    table: str
    column: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.message} [{self.rule}]"


class SchemaError(ValueError):
    """A frame does not satisfy its canonical table contract; lists every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} schema problem(s):\n{lines}")


def _dtype_ok(series: pd.Series, kind: str) -> bool:
    if kind in ("id", "str", "category"):
        return isinstance(series.dtype, pd.StringDtype)
    if kind == "datetime":
        return pd.api.types.is_datetime64_dtype(series.dtype)
    if kind == "float":
        return pd.api.types.is_float_dtype(series.dtype)
    if kind == "int":
        return pd.api.types.is_integer_dtype(series.dtype)
    return False  # pragma: no cover - guarded by Column.__post_init__


def validate(frame: pd.DataFrame, table: str) -> list[Problem]:
    """Check a frame against its canonical table and list every problem found (empty if none).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to check. It is not modified.
    table : str
        Name of the canonical table, a key of ``SCHEMAS``.

    Returns
    -------
    list of Problem
        All problems at once: missing columns, wrong dtypes, missing values in non-nullable
        columns, values outside the allowed set, duplicate keys, unknown columns.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"customer_id": pd.array(["1", None], dtype="string")})
    >>> [p.rule for p in validate(df, "customers")]
    ['not_null']
    """
    schema = SCHEMAS[table]
    problems: list[Problem] = []
    for col in schema.columns:
        if col.name not in frame.columns:
            if col.required or not col.nullable:
                problems.append(Problem(table, col.name, "missing_column", "column is missing"))
            continue
        s = frame[col.name]
        if not _dtype_ok(s, col.kind):
            problems.append(
                Problem(
                    table,
                    col.name,
                    "dtype",
                    f"dtype is {s.dtype}, expected {dtype_of(col.kind)} ({col.kind})",
                )
            )
        n_null = int(s.isna().sum())
        if not col.nullable and n_null:
            problems.append(
                Problem(table, col.name, "not_null", f"{n_null} missing value(s) not allowed")
            )
        if col.allowed is not None:
            bad = s.dropna()[~s.dropna().astype(str).isin(col.allowed)]
            if len(bad):
                examples = ", ".join(repr(v) for v in bad.astype(str).unique()[:5])
                problems.append(
                    Problem(
                        table,
                        col.name,
                        "allowed",
                        f"{len(bad)} value(s) outside {list(col.allowed)}: {examples}",
                    )
                )
    extra = [c for c in frame.columns if c not in schema.names]
    if extra:
        problems.append(Problem(table, None, "unknown_columns", f"unexpected columns {extra}"))
    if schema.key and all(k in frame.columns for k in schema.key):
        n_dup = int(frame.duplicated(list(schema.key)).sum())
        if n_dup:
            problems.append(
                Problem(table, ",".join(schema.key), "unique_key", f"{n_dup} duplicate key(s)")
            )
    return problems


def check(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return the frame unchanged if it satisfies its table contract, else raise SchemaError."""
    problems = validate(frame, table)
    if problems:
        raise SchemaError(problems)
    return frame


def empty_table(table: str) -> pd.DataFrame:
    """Return an empty frame with the canonical columns and dtypes of a table."""
    schema = SCHEMAS[table]
    return pd.DataFrame({c.name: pd.Series(dtype=dtype_of(c.kind)) for c in schema.columns})


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Turn a frame into its canonical table: columns in order, dtypes cast, absent ones missing.

    Returns a copy; optional columns the frame lacks are added as all-missing.
    """
    schema = SCHEMAS[table]
    out = frame.copy()
    for c in schema.columns:
        if c.name not in out.columns:
            out[c.name] = pd.Series(index=out.index, dtype=dtype_of(c.kind))
        else:
            out[c.name] = out[c.name].astype(dtype_of(c.kind))
    return out[schema.names]


def data_dictionary() -> str:
    """Render every canonical table as a Markdown data dictionary (``docs/data_dictionary.md``)."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `crm_lab/schemas.py` by `make docs`; do not edit by hand.",
        "Ids are strings; `datetime` columns are naive timestamps; `required` columns must be",
        "present in an input file (through a header alias), `not null` ones may not be empty.",
    ]
    for schema in SCHEMAS.values():
        lines += ["", f"## {schema.name}", "", schema.description]
        if schema.key:
            lines += ["", f"Key: {', '.join(schema.key)}."]
        lines += [
            "",
            "| column | type | required | not null | allowed values | notes |",
            "|---|---|---|---|---|---|",
        ]
        for c in schema.columns:
            allowed = ", ".join(c.allowed) if c.allowed else ""
            derived = "derived when absent. " if c.name in schema.derived else ""
            lines.append(
                f"| {c.name} | {c.kind} | {'yes' if c.required else ''} | "
                f"{'yes' if not c.nullable else ''} | {allowed} | {derived}{c.description} |"
            )
    return "\n".join(lines) + "\n"


def nanoseconds(frame: pd.DataFrame) -> pd.DataFrame:
    """A table read from Parquet into one with its timestamps in pandas' nanoseconds (a
    snapshot stores microseconds).

    >>> frame = pd.DataFrame({"at": pd.to_datetime(["2024-01-01"]).astype("datetime64[us]")})
    >>> nanoseconds(frame)["at"].dtype
    dtype('<M8[ns]')
    """
    stamps = [c for c in frame.columns if pd.api.types.is_datetime64_dtype(frame[c].dtype)]
    return frame.astype(dict.fromkeys(stamps, "datetime64[ns]")) if stamps else frame


def microseconds(arrow):
    """An Arrow table (or schema) into one whose timestamps are microseconds, truncated below
    a microsecond: what a snapshot stores, and all Spark reads.

    >>> import pyarrow as pa
    >>> microseconds(pa.schema([pa.field("at", pa.timestamp("ns"))])).field("at").type
    TimestampType(timestamp[us])
    """
    import pyarrow as pa

    schema = arrow if isinstance(arrow, pa.Schema) else arrow.schema
    fields = [
        pa.field(f.name, pa.timestamp("us", f.type.tz), f.nullable)
        if pa.types.is_timestamp(f.type)
        else f
        for f in schema
    ]
    if isinstance(arrow, pa.Schema):
        return pa.schema(fields)
    return arrow.cast(pa.schema(fields), safe=False)
