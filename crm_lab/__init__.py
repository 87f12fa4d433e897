"""crm_lab: customer (CRM) data in, tested analytics and recurring HTML reports out.

Modules, in the order data flows through them: ``schemas`` (table contracts), ``load`` (files in,
canonical tables out), ``synth`` (seeded demo data), ``kpi`` and ``rfm`` (analytics), ``plots``
(figures), ``report`` (templates to HTML), ``cli`` (the ``crm-lab`` command).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
