"""Process data beside purchases: the support desk's tickets (``support``) and the contact
history (``interactions``)."""

from crm_lab.service import interactions, support

__all__ = ["interactions", "support"]
