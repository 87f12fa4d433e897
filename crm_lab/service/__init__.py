"""Process data beside purchases: the support desk's tickets (``support``)."""

from crm_lab.service import support

__all__ = ["support"]
