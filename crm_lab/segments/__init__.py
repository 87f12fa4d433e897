"""Customers into groups and their movement: classes and tags (``classify``), lifecycle stages
(``lifecycle``) and segment migration between days (``migration``)."""

from crm_lab.segments import classify, lifecycle, migration

__all__ = ["classify", "lifecycle", "migration"]
