"""What every layer shares and that imports nothing else of crm_lab.

``schemas`` (the canonical tables' contracts), ``dataset`` (tables with their accounting and the
one quarantine-row builder), ``periods`` (report periods and their as-of days) and ``lines``
(the as-of window, sale lines and item labels).
"""
