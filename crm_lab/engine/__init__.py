"""Event tables into per-customer and per-period tables, on pandas, DuckDB or Spark.

crm_lab's analyses work on tables of one row per customer (or per month, or per period), which
fit in memory even for millions of customers. The work that reads every event — order lines
into per-customer totals, purchase days, monthly totals and the period's figures; interactions
and service tickets into per-customer and per-month counts; the data-quality page's filled
values, date spans and lines by kind — is this package's, and it runs on an engine:

- ``pandas``: the order lines are a DataFrame in memory; the reference, and the fastest for
  small inputs;
- ``duckdb``: an in-process DuckDB (through Ibis) reads the cleaned snapshot's Parquet for
  just the columns and rows it needs, with its memory limit set, spilling to disk when needed;
- ``spark``: the same Ibis expressions on a Spark session: local mode by default, a cluster
  (``spark_master``) or a Spark Connect server (``spark_remote`` or ``$SPARK_REMOTE``).

Why Ibis: one expression runs on DuckDB, PySpark, Polars and the SQL warehouses CRM data often
lives in, so the DuckDB and Spark paths cannot drift apart; the pandas path is kept beside it
(``events``) and tests prove the three equal.

>>> connect("pandas").name
'pandas'
>>> choose("auto", lines=5_000_000)
'duckdb'
"""

from __future__ import annotations

from crm_lab.engine.events import (
    ANONYMOUS_SALES,
    customer_mix,
    customer_totals,
    date_span,
    filled_counts,
    headline_totals,
    interaction_counts,
    item_lines,
    line_kinds,
    monthly_events,
    monthly_totals,
    purchase_days,
    ticket_counts,
)
from crm_lab.engine.events import (
    CHANNELS as CONTACT_CHANNELS,
)
from crm_lab.engine.session import (
    AUTO_LINES,
    ENGINES,
    Engine,
    EngineError,
    arrow_batches,
    check,
    check_name,
    choose,
    connect,
    is_plain_snapshot,
    is_table,
    reach,
    row_count,
)

__all__ = [
    "ANONYMOUS_SALES",
    "AUTO_LINES",
    "CONTACT_CHANNELS",
    "ENGINES",
    "Engine",
    "EngineError",
    "arrow_batches",
    "check",
    "check_name",
    "choose",
    "connect",
    "customer_mix",
    "customer_totals",
    "date_span",
    "filled_counts",
    "headline_totals",
    "interaction_counts",
    "item_lines",
    "is_plain_snapshot",
    "is_table",
    "line_kinds",
    "monthly_events",
    "monthly_totals",
    "purchase_days",
    "reach",
    "row_count",
    "ticket_counts",
]
