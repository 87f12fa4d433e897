"""A cleaned dataset into data-quality tables: accounting, completeness, rules, merges, coverage."""

from crm_lab.quality.tables import (
    KINDS,
    accounting_table,
    completeness,
    completeness_matrix,
    date_coverage,
    headline,
    merge_summary,
    quarantine_examples,
    review_queue,
    rule_counts,
    transactions_summary,
)

__all__ = [
    "KINDS",
    "accounting_table",
    "completeness",
    "completeness_matrix",
    "date_coverage",
    "headline",
    "merge_summary",
    "quarantine_examples",
    "review_queue",
    "rule_counts",
    "transactions_summary",
]
