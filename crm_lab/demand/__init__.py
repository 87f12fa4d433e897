"""Sale lines into demand over the calendar: seasonality by month or ISO week."""

from crm_lab.demand.seasonality import seasonality

__all__ = ["seasonality"]
