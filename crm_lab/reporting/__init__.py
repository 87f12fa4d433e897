"""Analyses into pages: the report run, the templates' helpers, labels, charts and the index.

Only this layer (and ``cli``) writes output. ``run`` executes the report templates with
papermill and publishes their HTML; ``display`` and ``plots`` are what templates call to show
tables, cards and charts; ``summary`` builds the executive summary from the run's metrics.
"""
