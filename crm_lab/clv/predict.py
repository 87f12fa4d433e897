"""Purchase histories into who is still active, how much they will buy, and what they are worth.

- BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") for the number of
  repeat purchases and the probability that a customer is still active;
- Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV") for the value of a purchase;
- customer lifetime value as their discounted product, month by month.

Written here rather than imported. lifetimes, the reference implementation, is archived (its
author points users to pymc-marketing), and pymc-marketing brings PyMC and PyTensor for what are
a four- and a three-parameter maximum-likelihood fit. The formulas are short, and
``tests/test_predict.py`` proves each against lifetimes and against the published CDNOW figures.

Time is measured in ``unit_days`` (7: weeks, as in the papers); ``as_of`` is explicit everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from crm_lab.core.lines import as_of_day, day_end, sale_lines

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

MONTH_DAYS = 365.25 / 12


def purchase_summary(
    transactions: pd.DataFrame, *, as_of, start=None, unit_days: float = 7.0
) -> pd.DataFrame:
    """Sale lines into one (frequency, recency, T, monetary_value) row per customer, as of a day.

    The names are those of lifetimes and pymc-marketing. A purchase is a day with sales: lines
    of the same day are one purchase. ``frequency`` is the number of repeat purchase days
    (purchase days - 1), ``recency`` the time from the first to the last purchase, ``T`` the
    time from the first purchase to ``as_of``, both in units of ``unit_days``;
    ``monetary_value`` is the mean value of the repeat purchases (NaN without any).
    Only sale lines with a customer id, a positive quantity and an amount of zero or more count
    (a free item is still a purchase); with ``start``, only customers whose first purchase falls
    on or after it (a cohort).
    """
    as_of = as_of_day(as_of)
    sales = _purchases(transactions, end=as_of)
    days = (
        pd.DataFrame(
            {
                "customer_id": sales["customer_id"],
                "day": sales["ordered_at"].dt.normalize(),
                "amount": sales["amount"],
            }
        )
        .groupby(["customer_id", "day"], as_index=False)["amount"]
        .sum()
        .sort_values(["customer_id", "day"])
    )
    first = days.groupby("customer_id")["day"].transform("min")
    if start is not None:
        start = pd.Timestamp(start).normalize()
        days = days[first >= start]
        first = first[first >= start]
    repeat = days[days["day"] > first]
    grouped = days.groupby("customer_id")
    out = pd.DataFrame(
        {
            "frequency": grouped.size() - 1,
            "recency": (grouped["day"].max() - grouped["day"].min()).dt.days / unit_days,
            "T": (as_of - grouped["day"].min()).dt.days / unit_days,
            "monetary_value": repeat.groupby("customer_id")["amount"].mean(),
            "first_purchase_at": grouped["day"].min(),
        }
    )
    out["frequency"] = out["frequency"].astype(np.int64)
    return out.rename_axis("customer_id").reset_index()


def _purchases(transactions: pd.DataFrame, *, end: pd.Timestamp, after=None) -> pd.DataFrame:
    """The sale lines that count as purchases, up to and including day ``end`` (and after day
    ``after``): ``kpi.sale_lines`` with a customer id and an amount of zero or more. A table
    without a quantity column counts every line as bought (CDNOW-style purchase logs)."""
    if "quantity" not in transactions:
        transactions = transactions.assign(quantity=1.0)
    sales = sale_lines(
        transactions,
        end=day_end(end),
        start=None if after is None else day_end(after),
        customers_only=True,
    )
    return sales[sales["amount"] >= 0]


def _columns(summary: pd.DataFrame):
    return (
        summary["frequency"].to_numpy(dtype=float),
        summary["recency"].to_numpy(dtype=float),
        summary["T"].to_numpy(dtype=float),
    )


@dataclass(frozen=True)
class BetaGeo:
    """A fitted BG/NBD model: purchase rates ~ Gamma(r, alpha), drop-out ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    def _odds_dropped(self, x, t_x, age):
        """Odds that a customer with this history has dropped out (0 without repeat purchases)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = (
                np.log(self.a)
                - np.log(np.maximum(self.b + x - 1, 1e-300))
                + (self.r + x) * (np.log(self.alpha + age) - np.log(self.alpha + t_x))
            )
        return np.where(x > 0, np.exp(log_odds), 0.0)

    def p_alive(self, summary: pd.DataFrame) -> np.ndarray:
        """Summary rows into the probability that each customer is still active at ``T``."""
        return 1.0 / (1.0 + self._odds_dropped(*_columns(summary)))

    def expected_purchases(self, summary: pd.DataFrame, *, t: float) -> np.ndarray:
        """Summary rows into each customer's expected number of purchases in the next ``t``."""
        x, t_x, age = _columns(summary)  # age is the papers' T
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + age + t)
        head = (a + b + x - 1) / (a - 1)
        with np.errstate(all="ignore"):
            body = 1 - (1 - z) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z)
            # for frequent buyers that form multiplies a vanishing power by an overflowing
            # 2F1; Euler's transformation of 2F1 gives the same value without overflow there
            # (but overflows itself when a and b are huge, so it is only the fallback)
            bad = ~np.isfinite(body)
            if bad.any():
                euler = special.hyp2f1(a + b - 1 - r, a - 1, a + b + x[bad] - 1, z[bad])
                body[bad] = 1 - (1 - z[bad]) ** (a - 1) * euler
        return head * body / (1 + self._odds_dropped(x, t_x, age))

    def expected_purchases_new(self, t) -> np.ndarray:
        """Expected repeat purchases in the first ``t`` after a new customer's first purchase."""
        t = np.asarray(t, dtype=float)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


def _beta_geo_log_likelihood(params, x, t_x, age, weights, *, gradient=False):
    """BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6) and, optionally, its gradient
    with respect to (r, alpha, a, b)."""
    r, alpha, a, b = params
    psi = special.digamma
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    stay = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + age)
    repeat = x > 0
    b_drop = np.where(repeat, b + x - 1, 1.0)  # only used where x > 0
    drop = special.betaln(a + 1, b_drop) - special.betaln(a, b) - (r + x) * np.log(alpha + t_x)
    both = np.where(repeat, np.logaddexp(stay, drop), stay)
    value = float((weights * (common + both)).sum())
    if not gradient:
        return value
    w_stay = np.exp(stay - both)
    w_drop = np.where(repeat, np.exp(drop - both), 0.0)
    base_ab = psi(a + b)
    d_r = psi(r + x) - psi(r) + np.log(alpha)
    d_r = d_r - w_stay * np.log(alpha + age) - w_drop * np.log(alpha + t_x)
    d_alpha = r / alpha - (r + x) * (w_stay / (alpha + age) + w_drop / (alpha + t_x))
    d_a = w_stay * (base_ab - psi(a + b + x)) + w_drop * (
        psi(a + 1) - psi(a + b + x) - psi(a) + base_ab
    )
    d_b = w_stay * (psi(b + x) - psi(a + b + x) - psi(b) + base_ab) + w_drop * (
        psi(b_drop) - psi(a + b + x) - psi(b) + base_ab
    )
    grad = np.array([(weights * d).sum() for d in (d_r, d_alpha, d_a, d_b)])
    return value, grad


def _fit(log_likelihood, columns, start, penalizer):
    """Maximise a log-likelihood over positive parameters, searched on their logarithms.

    L-BFGS-B with the analytic gradient (lifetimes gets its gradient from autograd). Identical
    customer histories are collapsed into one row with a weight first, so the cost grows with
    the number of distinct histories, not of customers.
    """
    stacked = np.column_stack(columns)
    unique, weights = np.unique(stacked, axis=0, return_counts=True)
    cols = list(unique.T)
    n = weights.sum()

    def loss(log_params):
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            value, grad = log_likelihood(params, *cols, weights, gradient=True)
        if not np.isfinite(value) or not np.isfinite(grad).all():
            return np.inf, np.zeros_like(params)
        value = -value / n + penalizer * float((params**2).sum())
        grad = -grad / n + 2 * penalizer * params
        return value, grad * params  # chain rule for the log scale

    found = optimize.minimize(
        loss,
        np.log(start),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10},
    )
    params = np.exp(found.x)
    value = log_likelihood(params, *cols, weights)
    if not (np.isfinite(value) and np.isfinite(params).all()):
        raise RuntimeError(f"the fit did not converge to finite values ({found.message})")
    return params, value, int(n)


def fit_beta_geo(summary: pd.DataFrame, *, penalizer: float = 0.0) -> BetaGeo:
    """Summary rows (``purchase_summary``) into a fitted BG/NBD model.

    ``penalizer`` adds an L2 penalty on the parameters (as lifetimes' ``penalizer_coef``), which
    keeps the fit stable on small or odd data.
    """
    x, t_x, age = _columns(summary)
    if len(x) == 0:
        raise ValueError("no customers to fit")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(age).all()):
        raise ValueError("summary rows need finite frequency, recency and T")
    if (t_x > age).any() or (x < 0).any() or ((x == 0) & (t_x != 0)).any():
        raise ValueError("summary rows need 0 <= recency <= T, and recency 0 without repeats")
    if not (x > 0).any():
        raise ValueError(
            "no customer has a repeat purchase yet: when customers stop buying cannot be "
            "estimated (use a longer history)"
        )
    scale = 10.0 / age.max() if age.max() > 0 else 1.0  # alpha is in time units: fit scaled
    params, _, n = _fit(
        _beta_geo_log_likelihood, (x, t_x * scale, age * scale), [1.0, 1.0, 1.0, 1.0], penalizer
    )
    params[1] /= scale
    unique, weights = np.unique(np.column_stack([x, t_x, age]), axis=0, return_counts=True)
    ll = _beta_geo_log_likelihood(params, *unique.T, weights)
    r, alpha, a, b = (float(p) for p in params)
    return BetaGeo(r=r, alpha=alpha, a=a, b=b, log_likelihood=ll, customers=n)


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma spend model: purchase values ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int

    def expected_spend(self, summary: pd.DataFrame) -> np.ndarray:
        """Summary rows into each customer's expected value per future purchase.

        A weighted average of their own mean repeat purchase and the population mean; customers
        without repeat purchases get the population mean.
        """
        x = summary["frequency"].to_numpy(dtype=float)
        m = np.nan_to_num(summary["monetary_value"].to_numpy(dtype=float))
        p, q, g = self.p, self.q, self.gamma
        return (p * (g + x * m)) / (p * x + q - 1)


def _gamma_gamma_log_likelihood(params, x, m, weights, *, gradient=False):
    """Gamma-Gamma log-likelihood of mean repeat spend ``m`` over ``x`` purchases and,
    optionally, its gradient with respect to (p, q, gamma)."""
    p, q, g = params
    px = p * x
    each = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + x * m)
    )
    value = float((weights * each).sum())
    if not gradient:
        return value
    psi = special.digamma
    d_p = x * (psi(px + q) - psi(px) + np.log(m) + np.log(x) - np.log(g + x * m))
    d_q = psi(px + q) - psi(q) + np.log(g) - np.log(g + x * m)
    d_g = q / g - (px + q) / (g + x * m)
    return value, np.array([(weights * d).sum() for d in (d_p, d_q, d_g)])


def fit_gamma_gamma(summary: pd.DataFrame, *, penalizer: float = 0.0) -> GammaGamma:
    """Summary rows into a fitted Gamma-Gamma model, from the customers with repeat purchases.

    The model assumes spend per purchase does not depend on how often a customer buys; check
    that the correlation between ``frequency`` and ``monetary_value`` is weak before relying on
    it.
    """
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if repeat.empty:
        raise ValueError("no customer has a repeat purchase with a positive value")
    x = repeat["frequency"].to_numpy(dtype=float)
    m = repeat["monetary_value"].to_numpy(dtype=float)
    scale = 1.0 / m.mean()  # gamma is in money units: fit on spend scaled to a mean of 1
    params, _, n = _fit(_gamma_gamma_log_likelihood, (x, m * scale), [1.0, 1.0, 1.0], penalizer)
    params[2] /= scale
    ll = _gamma_gamma_log_likelihood(params, x, m, np.ones(len(x)))
    p, q, g = (float(v) for v in params)
    if q <= 1:
        raise ValueError(
            f"the spend model's q is {q:.3f} <= 1: spend is so heavy-tailed that the average "
            "purchase value is unbounded; cap extreme orders or use a penalizer"
        )
    return GammaGamma(p=p, q=q, gamma=g, log_likelihood=ll, customers=n)


def customer_value(
    summary: pd.DataFrame,
    purchases: BetaGeo,
    spend: GammaGamma,
    *,
    months: int = 12,
    monthly_discount: float = 0.01,
    margin: float = 1.0,
    unit_days: float = 7.0,
    month_days: float = MONTH_DAYS,
) -> pd.DataFrame:
    """Summary rows and fitted models into each customer's predicted value over ``months``.

    Month by month, the expected purchases in that month times the expected value per
    purchase times ``margin``, discounted by ``monthly_discount`` per month and summed.

    Returns
    -------
    DataFrame
        ``customer_id``, ``p_alive``, ``expected_purchases`` (over the horizon),
        ``expected_spend`` (per purchase) and ``clv``.
    """
    step = month_days / unit_days
    spend_each = spend.expected_spend(summary)
    total = np.zeros(len(summary))
    value = np.zeros(len(summary))
    previous = np.zeros(len(summary))
    for month in range(1, months + 1):
        upto = purchases.expected_purchases(summary, t=month * step)
        total = upto
        value += (upto - previous) * spend_each * margin / (1 + monthly_discount) ** month
        previous = upto
    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"].to_numpy(),
            "p_alive": purchases.p_alive(summary),
            "expected_purchases": total,
            "expected_spend": spend_each,
            "clv": value,
        }
    )


# value tier and churn-risk band codes, best first (reporting.labels names them)
TIERS = ("high", "medium", "low")
RISKS = ("active", "at_risk", "likely_lost")


def value_tiers(clv: pd.Series, *, high: float = 0.2, medium: float = 0.3) -> pd.Series:
    """Predicted values into tiers: the top ``high`` share of customers, the next ``medium``
    share, and the rest. Equal values always share a tier, the lower one when they straddle a
    boundary, so a tier never holds more than its share. Missing values are an error."""
    if clv.isna().any():
        raise ValueError(f"{int(clv.isna().sum())} customers have no predicted value")
    rank = clv.rank(method="max", ascending=False) / max(len(clv), 1)
    tier = np.select([rank <= high, rank <= high + medium], ["high", "medium"], default="low")
    return pd.Series(pd.Categorical(tier, categories=TIERS), index=clv.index, name="value_tier")


def risk_bands(p_alive: pd.Series, *, at_risk: float = 0.7, lost: float = 0.3) -> pd.Series:
    """Probabilities of being active into bands: ``active`` (at least ``at_risk``), ``at_risk``,
    and ``likely_lost`` (below ``lost``)."""
    band = np.select(
        [p_alive >= at_risk, p_alive >= lost], ["active", "at_risk"], default="likely_lost"
    )
    return pd.Series(pd.Categorical(band, categories=RISKS), index=p_alive.index, name="churn_risk")


def outlook(values: pd.DataFrame) -> pd.DataFrame:
    """``customer_value`` rows plus their ``value_tier`` and ``churn_risk``."""
    return values.assign(
        value_tier=value_tiers(values["clv"]), churn_risk=risk_bands(values["p_alive"])
    )


def group_summary(outlooked: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Customer outlooks into one row per tier (or risk band): how many, how likely still active,
    how many purchases and how much value they are expected to bring, and their share of it.

    ``by`` is ``"value_tier"`` or ``"churn_risk"``; that column holds the codes (``TIERS`` or
    ``RISKS``), every one of them present, in that order.
    """
    grouped = outlooked.groupby(by, observed=False)
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "avg_p_alive": grouped["p_alive"].mean(),
            "expected_purchases": grouped["expected_purchases"].sum(),
            "clv": grouped["clv"].sum(),
        }
    )
    out["customer_share"] = out["customers"] / max(out["customers"].sum(), 1)
    out["clv_share"] = out["clv"] / out["clv"].sum() if out["clv"].sum() else 0.0
    out.index = out.index.astype(str)
    return out.rename_axis(by).reset_index()[
        [by, "customers", "customer_share", "avg_p_alive", "expected_purchases", "clv", "clv_share"]
    ]


def holdout_check(
    transactions: pd.DataFrame,
    *,
    as_of,
    holdout_days: int = 182,
    unit_days: float = 7.0,
) -> pd.DataFrame:
    """Sale lines into a check of the purchase model on the last ``holdout_days`` before as_of.

    The model is fitted on the history before the holdout; for the customers known then, the
    purchases it expected in the holdout are set beside the purchase days they actually had,
    by how many repeat purchases they had made before (capped at 7+).

    Returns
    -------
    DataFrame
        One row per group, fewest past purchases first: ``past_purchases`` ("0", "1", ...,
        "7+"), ``customers``, ``actual`` and ``predicted`` (mean purchases per customer in the
        holdout). No total row: ``holdout_total`` gives it.
    """
    as_of = as_of_day(as_of)
    cutoff = as_of - pd.Timedelta(days=holdout_days)
    before = purchase_summary(transactions, as_of=cutoff, unit_days=unit_days)
    model = fit_beta_geo(before)
    sales = _purchases(transactions, end=as_of, after=cutoff)
    days = sales.assign(day=sales["ordered_at"].dt.normalize()).groupby("customer_id")["day"]
    actual = before["customer_id"].map(days.nunique()).fillna(0)
    frame = pd.DataFrame(
        {
            "past_purchases": before["frequency"].clip(upper=7),
            "actual": actual.to_numpy(),
            "predicted": model.expected_purchases(before, t=holdout_days / unit_days),
        }
    )
    table = frame.groupby("past_purchases").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    table.index = [f"{int(k)}+" if k == 7 else str(int(k)) for k in table.index]
    return table.rename_axis("past_purchases").reset_index()


def holdout_total(check: pd.DataFrame) -> dict:
    """A holdout check's groups (``holdout_check``) into its total over all their customers.

    Returns
    -------
    dict
        ``customers`` (all groups together), ``actual`` and ``predicted`` (mean purchases per
        customer, the groups' means weighted by their customers; NaN without customers).
    """
    n = int(check["customers"].sum())
    weights = check["customers"].to_numpy(dtype=float)
    return {
        "customers": n,
        "actual": float(weights @ check["actual"].to_numpy(dtype=float) / n) if n else np.nan,
        "predicted": float(weights @ check["predicted"].to_numpy(dtype=float) / n) if n else np.nan,
    }


def headline(outlooked: pd.DataFrame, check: pd.DataFrame) -> dict:
    """Customer outlooks and a holdout check into the report's headline figures.

    Returns
    -------
    dict
        ``customers_modelled``, ``predicted_value``, ``active_customer_share``,
        ``value_at_risk_share`` and ``holdout_error`` (predicted / actual purchases in the
        holdout - 1; None without actual purchases).
    """
    total = holdout_total(check)
    clv = outlooked["clv"].sum()
    risky = outlooked["churn_risk"] != "active"
    return {
        "customers_modelled": len(outlooked),
        "predicted_value": float(clv),
        "active_customer_share": float((~risky).mean()) if len(outlooked) else 0.0,
        "value_at_risk_share": float(outlooked.loc[risky, "clv"].sum() / clv) if clv else 0.0,
        "holdout_error": float(total["predicted"] / total["actual"] - 1)
        if total["actual"] > 0
        else None,
    }


def model_parameters(purchases: BetaGeo, spend: GammaGamma) -> dict:
    """The fitted parameters of both models, for a report's metrics file."""
    return {
        "purchases": {k: getattr(purchases, k) for k in ("r", "alpha", "a", "b")},
        "spend": {k: getattr(spend, k) for k in ("p", "q", "gamma")},
    }
