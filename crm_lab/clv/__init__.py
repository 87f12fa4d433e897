"""Purchase histories into customer lifetime value: BG/NBD, Gamma-Gamma, tiers and risk bands.

``predict`` holds the modelling table (``purchase_summary``), the fits and what is derived from
them; the names are re-exported here: ``from crm_lab import clv; clv.fit_beta_geo(...)``.
"""

from crm_lab.clv.predict import (
    DROPOUT_MIN,
    P_ALIVE_FIGURES,
    RISKS,
    SURE_ALIVE,
    SURE_ALIVE_MAX,
    TIERS,
    BetaGeo,
    GammaGamma,
    customer_value,
    dropout_check,
    fit_beta_geo,
    fit_gamma_gamma,
    group_summary,
    headline,
    holdout_check,
    holdout_total,
    model_parameters,
    not_fitted,
    outlook,
    purchase_summary,
    risk_bands,
    unusable_fit,
    value_tiers,
)

__all__ = [
    "DROPOUT_MIN",
    "P_ALIVE_FIGURES",
    "RISKS",
    "SURE_ALIVE",
    "SURE_ALIVE_MAX",
    "TIERS",
    "BetaGeo",
    "GammaGamma",
    "customer_value",
    "dropout_check",
    "fit_beta_geo",
    "fit_gamma_gamma",
    "group_summary",
    "headline",
    "holdout_check",
    "holdout_total",
    "model_parameters",
    "not_fitted",
    "outlook",
    "purchase_summary",
    "risk_bands",
    "unusable_fit",
    "value_tiers",
]
