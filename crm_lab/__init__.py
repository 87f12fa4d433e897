"""crm_lab: customer (CRM) data in, tested analytics and recurring HTML reports out.

The package is layered, and data flows down the list (``ARCHITECTURE.md`` has the picture):

- ``core``: table contracts, the dataset and its accounting, periods, sale lines;
- ``ingest``: files into canonical tables (``ingest.read_clean`` is the entry point);
- the analyses, one package per concern: ``value`` (kpi, rfm), ``clv``, ``basket``,
  ``demand``, ``segments``, ``quality``;
- ``reporting``: templates into pages, labels, charts and the index;
- ``privacy`` (masking, pseudonyms, encryption), ``synth`` (demo data), ``cli``.

``from crm_lab import clv`` (or any name in ``__all__``) imports that part on first use:
importing ``crm_lab`` itself loads nothing else and changes nothing.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "basket",
    "cli",
    "clv",
    "core",
    "demand",
    "ingest",
    "privacy",
    "quality",
    "reporting",
    "segments",
    "synth",
    "value",
]


def __getattr__(name: str):
    if name in __all__:
        return importlib.import_module(f"crm_lab.{name}")
    raise AttributeError(f"module 'crm_lab' has no attribute {name!r}")
