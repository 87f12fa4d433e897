"""Purchase histories into customer lifetime value: BG/NBD, Gamma-Gamma, tiers and risk bands.

``predict`` holds the modelling table (``purchase_summary``), the fits and what is derived from
them; the names are re-exported here: ``from crm_lab import clv; clv.fit_beta_geo(...)``.
"""

from crm_lab.clv.predict import (
    RISKS,
    TIERS,
    BetaGeo,
    GammaGamma,
    customer_value,
    fit_beta_geo,
    fit_gamma_gamma,
    group_summary,
    headline,
    holdout_check,
    holdout_total,
    model_parameters,
    outlook,
    purchase_summary,
    risk_bands,
    value_tiers,
)

__all__ = [
    "RISKS",
    "TIERS",
    "BetaGeo",
    "GammaGamma",
    "customer_value",
    "fit_beta_geo",
    "fit_gamma_gamma",
    "group_summary",
    "headline",
    "holdout_check",
    "holdout_total",
    "model_parameters",
    "outlook",
    "purchase_summary",
    "risk_bands",
    "value_tiers",
]
