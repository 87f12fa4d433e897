"""Order lines into what customers are worth today: headline figures (``kpi``) and RFM (``rfm``)."""

from crm_lab.value import kpi, rfm

__all__ = ["kpi", "rfm"]
