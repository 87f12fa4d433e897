"""A cleaned dataset into data-quality tables: accounting, completeness, rules, merges, coverage."""

from crm_lab.quality.tables import (
    KINDS,
    accounting_table,
    completeness,
    completeness_matrix,
    date_coverage,
    headline,
    merge_summary,
    orders_headline,
    quarantine_examples,
    reading_notes,
    review_queue,
    rule_counts,
    transactions_summary,
    up_to,
)

__all__ = [
    "KINDS",
    "accounting_table",
    "completeness",
    "completeness_matrix",
    "date_coverage",
    "headline",
    "merge_summary",
    "orders_headline",
    "quarantine_examples",
    "reading_notes",
    "review_queue",
    "rule_counts",
    "transactions_summary",
    "up_to",
]
