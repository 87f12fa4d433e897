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

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from crm_lab import engine, privacy
from crm_lab.core.lines import as_of_day, day_end

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
    "value_tiers",
]

MONTH_DAYS = 365.25 / 12
logger = logging.getLogger(__name__)


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
    days = engine.purchase_days(transactions, end=day_end(as_of))
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


def _require(summary, columns, *, argument: str = "summary") -> None:
    """Refuse a table without the modelling columns, naming them (not a bare KeyError)."""
    if not isinstance(summary, pd.DataFrame):
        raise ValueError(
            f"{argument} must be a DataFrame of purchase_summary rows, got {type(summary).__name__}"
        )
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise ValueError(
            f"{argument} lacks the column(s) {missing}: expected purchase_summary's rows "
            f"with {list(columns)} (it has {list(summary.columns)})"
        )


def _numbers(summary: pd.DataFrame, column: str, *, argument: str = "summary") -> np.ndarray:
    """One column as floats, or a ValueError naming the column and the first value that is not
    a number."""
    try:
        return summary[column].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raw = summary[column]
        bad = (pd.to_numeric(raw, errors="coerce").isna() & raw.notna()).to_numpy()
        first = raw.iloc[int(np.flatnonzero(bad)[0])]
        raise ValueError(
            f"{argument}[{column!r}] must hold numbers, got {first!r}{_where(summary, bad)}"
        ) from None


def _where(summary: pd.DataFrame, bad: np.ndarray) -> str:
    """The first row where ``bad`` holds, as " (customer 'x')" or " (row 3)", for a message."""
    position = int(np.flatnonzero(bad)[0])
    if "customer_id" in summary.columns:
        return f" (customer {summary['customer_id'].iloc[position]!r})"
    return f" (row {position})"


def _check(summary, ok: np.ndarray, values: np.ndarray, what: str) -> None:
    """A ValueError quoting the first value for which ``ok`` is False, and what was expected."""
    if not ok.all():
        first = int(np.flatnonzero(~ok)[0])
        raise ValueError(f"{what}, got {float(values[first])!r}{_where(summary, ~ok)}")


def _frequency(summary: pd.DataFrame, *, argument: str = "summary") -> np.ndarray:
    x = _numbers(summary, "frequency", argument=argument)
    _check(
        summary,
        np.isfinite(x) & (x >= 0) & (x == np.round(x)),
        x,
        f"{argument}['frequency'] must be a whole number of repeat purchases (0, 1, 2, ...)",
    )
    return x


def _columns(summary: pd.DataFrame, *, argument: str = "summary"):
    """A summary's (frequency, recency, T) as float arrays, checked as the models need them:
    whole repeat counts, 0 <= recency <= T, and recency 0 without repeat purchases.

    Raises
    ------
    ValueError
        Naming the column, the first offending value and its customer (or row).
    """
    _require(summary, ("frequency", "recency", "T"), argument=argument)
    x = _frequency(summary, argument=argument)
    t_x = _numbers(summary, "recency", argument=argument)
    age = _numbers(summary, "T", argument=argument)
    for name, values in (("recency", t_x), ("T", age)):
        _check(
            summary,
            np.isfinite(values) & (values >= 0),
            values,
            f"{argument}[{name!r}] must be a finite time of 0 or more",
        )
    _check(
        summary,
        t_x <= age,
        t_x,
        f"{argument}['recency'] must not exceed T (need 0 <= recency <= T)",
    )
    _check(
        summary,
        (x > 0) | (t_x == 0),
        t_x,
        f"{argument}['recency'] must be 0 for a customer without repeat purchases "
        "(recency 0 without repeats)",
    )
    return x, t_x, age


def _spend_columns(summary: pd.DataFrame, *, argument: str = "summary"):
    """A summary's (frequency, monetary_value) as float arrays, checked as the spend model
    needs them: whole repeat counts, and a mean value of 0 or more for every customer with
    repeat purchases (it is NaN, and unused, without)."""
    _require(summary, ("frequency", "monetary_value"), argument=argument)
    x = _frequency(summary, argument=argument)
    m = _numbers(summary, "monetary_value", argument=argument)
    _check(
        summary,
        (x == 0) | (np.isfinite(m) & (m >= 0)),
        m,
        f"{argument}['monetary_value'] must be the mean value of the repeat purchases, a "
        "finite amount of 0 or more, for every customer with repeat purchases",
    )
    return x, m


@dataclass(frozen=True)
class BetaGeo:
    """A fitted BG/NBD model: purchase rates ~ Gamma(r, alpha), drop-out ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    def _alive(self, x, t_x, age):
        """The probability that a customer with this history is still active (1 without repeat
        purchases), from the log-odds of having dropped out: 1 / (1 + odds) =
        exp(-log(1 + exp(log odds))), with ``np.logaddexp`` for the logarithm.

        In log space a heavy buyer's odds (a power of 1000 and more) never overflow; the
        probability then becomes the nearest float to e**-(log odds), down to 0.
        """
        repeat = x > 0
        x_repeat = np.where(repeat, x, 1.0)  # b + x - 1 > 0 where it is used
        log_odds = (
            np.log(self.a)
            - np.log(self.b + x_repeat - 1)
            + (self.r + x_repeat) * (np.log(self.alpha + age) - np.log(self.alpha + t_x))
        )
        with np.errstate(under="ignore"):  # a vanishing probability is that, not an error
            return np.where(repeat, np.exp(-np.logaddexp(0.0, log_odds)), 1.0)

    def p_alive(self, summary: pd.DataFrame) -> np.ndarray:
        """Summary rows into the probability that each customer is still active at ``T``.

        Raises
        ------
        ValueError
            For a summary without ``frequency``, ``recency`` and ``T``, or with values the
            model cannot mean (a fractional or negative frequency, recency above T).
        """
        return self._alive(*_columns(summary))

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
        with np.errstate(under="ignore"):  # a vanishing term is 0, not an error
            return head * body * self._alive(x, t_x, age)

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
        with np.errstate(all="ignore"):  # a trial step may overflow: it is refused as inf
            params = np.exp(log_params)
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
    keeps the fit stable on small or odd data. Whether the fit can tell who has dropped out is
    ``dropout_check``'s question.

    Raises
    ------
    ValueError
        For a summary without customers or without any repeat purchase, or whose rows the model
        cannot mean: ``frequency`` not a whole number of 0 or more, ``recency`` or ``T``
        negative or not finite, ``recency`` above ``T``, or above 0 without repeat purchases.
        The message names the column, the value and its customer.
    """
    x, t_x, age = _columns(summary)
    if len(x) == 0:
        raise ValueError("no customers to fit")
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
    excluded: int = 0  # customers with repeat purchases but a mean value of 0, not fitted

    def expected_spend(self, summary: pd.DataFrame) -> np.ndarray:
        """Summary rows into each customer's expected value per future purchase.

        A weighted average of their own mean repeat purchase and the population mean; customers
        without repeat purchases get the population mean.

        Raises
        ------
        ValueError
            For a summary without ``frequency`` or ``monetary_value``, or with a fractional or
            negative frequency, a negative mean spend, or none for a customer with repeats.
        """
        x, m = _spend_columns(summary)
        m = np.nan_to_num(m)
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
    it. It needs positive values: customers whose repeat purchases were all free (a mean value
    of 0, which ``purchase_summary`` keeps as purchases) are left out of the fit, logged, and
    counted in the model's ``excluded``; they still get a prediction from ``expected_spend``.

    Raises
    ------
    ValueError
        For a summary without ``frequency`` or ``monetary_value``, a fractional or negative
        frequency, a negative or missing mean value for a customer with repeat purchases, no
        customer with a positive one, or a fit whose mean purchase value is unbounded.
    """
    x, m = _spend_columns(summary)
    used = (x > 0) & (m > 0)
    excluded = int(((x > 0) & (m == 0)).sum())
    if excluded:
        logger.warning(
            "fit_gamma_gamma: %d customers whose repeat purchases were all free (mean value 0) "
            "are left out of the spend fit, which needs positive values",
            excluded,
        )
    if not used.any():
        raise ValueError("no customer has a repeat purchase with a positive value")
    x, m = x[used], m[used]
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
    return GammaGamma(p=p, q=q, gamma=g, log_likelihood=ll, customers=n, excluded=excluded)


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

    Raises
    ------
    ValueError
        For a summary without ``customer_id``, ``frequency``, ``recency``, ``T`` or
        ``monetary_value`` (``purchase_summary``'s columns), or with values the models cannot
        mean (see ``fit_beta_geo`` and ``GammaGamma.expected_spend``).
    """
    _require(summary, ("customer_id", "frequency", "recency", "T", "monetary_value"))
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
    by how many repeat purchases they had made before (capped at 7+). When the model cannot be
    fitted on that history (it is shorter than the holdout, or has no repeat purchase), there
    is nothing to check: the table has no rows.

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
    if not (before["frequency"] > 0).any():  # no repeat purchase before it: nothing to check
        empty = {"past_purchases": [], "customers": [], "actual": [], "predicted": []}
        return pd.DataFrame(empty).astype({"past_purchases": str, "customers": np.int64})
    model = fit_beta_geo(before)
    days = engine.purchase_days(transactions, end=day_end(as_of), after=day_end(cutoff))
    actual = before["customer_id"].map(days.groupby("customer_id")["day"].size()).fillna(0)
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


def not_fitted(summary: pd.DataFrame) -> list[dict]:
    """Summary rows into a warning when the models cannot be fitted on them at all.

    Both models learn from repeat purchases: BG/NBD needs a customer who bought on a second
    day, Gamma-Gamma one whose repeat purchases had a value. A short or small export (a few
    weeks of orders, a CRM's won deals) may have none up to the as-of day; ``fit_beta_geo``
    and ``fit_gamma_gamma`` refuse it, and a template shows this warning instead.

    Returns
    -------
    list of dict
        ``[]`` when there is a customer with a repeat purchase of positive value; else
        ``[{"code": "model_not_fitted"}]`` (``reporting.labels.WARNINGS`` words it).

    Examples
    --------
    >>> rows = pd.DataFrame({"frequency": [0, 1], "monetary_value": [np.nan, 12.0]})
    >>> not_fitted(rows), not_fitted(rows.iloc[:1]), not_fitted(rows.iloc[:0])
    ([], [{'code': 'model_not_fitted'}], [{'code': 'model_not_fitted'}])
    """
    x, m = _spend_columns(summary)
    return [] if ((x > 0) & (m > 0)).any() else [{"code": "model_not_fitted"}]


def unusable_fit(purchases: BetaGeo, summary: pd.DataFrame, *, horizons=(4, 52)) -> list[dict]:
    """A fitted BG/NBD model and its summary rows into a warning when it predicts nothing.

    On a handful of repeat buyers the likelihood can run to its limits (r and alpha, or a and
    b, towards infinity): the fit is a number, but expected purchases are not finite for some
    customer. A template then shows this warning instead of predictions, as for
    ``not_fitted``. ``horizons`` are in the summary's time unit (weeks).

    Returns
    -------
    list of dict
        ``[]`` when every customer's expected purchases over each horizon are finite; else
        ``[{"code": "model_degenerate"}]`` (``reporting.labels.WARNINGS`` words it).

    Examples
    --------
    >>> rows = pd.DataFrame({"frequency": [0, 1, 2], "recency": [0.0, 6.3, 4.9],
    ...                      "T": [3.9, 6.9, 8.1]})
    >>> fit = BetaGeo(r=1.0, alpha=20.0, a=1.5, b=3.0, log_likelihood=0.0, customers=3)
    >>> unusable_fit(fit, rows)
    []
    >>> from dataclasses import replace
    >>> unusable_fit(replace(fit, r=2.5e10, alpha=2.6e11, a=3.4e-5, b=1.5e7), rows)
    [{'code': 'model_degenerate'}]
    """
    for t in horizons:
        if not np.isfinite(purchases.expected_purchases(summary, t=t)).all():
            return [{"code": "model_degenerate"}]
    return []


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


# what makes a purchase model unable to tell who has dropped out (``dropout_check``)
DROPOUT_MIN = 0.01  # mean chance of dropping out after a purchase, a / (a + b), below this
SURE_ALIVE = 0.99  # a P(alive) this high or higher says "certainly still active"
SURE_ALIVE_MAX = 0.95  # ... and for this share of repeat buyers or more: "nearly everyone"

# headline figures that rest on P(alive), withheld while a warning says it cannot be trusted
P_ALIVE_FIGURES = ("active_customer_share", "value_at_risk_share")


def dropout_check(purchases: BetaGeo, summary: pd.DataFrame) -> list[dict]:
    """A fitted purchase model and its summary rows into warnings when it cannot see drop-out.

    BG/NBD learns when customers stop buying only from repeat buyers who went silent for
    longer than their own rhythm explains. On a history that is short for the customers'
    rhythm (a year of a wholesaler's orders, say), the fit drives the drop-out distribution
    Beta(a, b) to its bound, a -> 0 or b -> infinity: the model then has (almost) no
    drop-out, and its P(alive) is about 1 for everyone, whatever their history. Risk bands,
    value at risk and the share likely active would then report the model's assumption as a
    finding. The check fires on either sign:

    - the mean chance of dropping out after a purchase, a / (a + b), is below
      ``DROPOUT_MIN`` (1 %): a customer would need some 70 purchases for even odds of having
      left. CDNOW's published fit has 0.25; Online Retail's, month by month in 2011,
      0.003 and less;
    - at least ``SURE_ALIVE_MAX`` (95 %) of the customers with repeat purchases have a
      P(alive) of ``SURE_ALIVE`` (0.99) or more. Customers without repeat purchases are not
      counted: their P(alive) is 1 by the model's construction. CDNOW: 0 %; Online Retail,
      month by month: 76-100 %.

    A holdout does not show it: fitted without drop-out, the model explains a silent customer
    as a slow one, and on Online Retail predicts the share of repeat buyers who do not buy in
    the next 26 weeks about right (measured as of 2011-09-30: 15 % against 14 % actual).

    Returns
    -------
    list of dict
        ``[]`` when the model sees drop-out; else one warning ``{"code": "dropout_not_seen",
        "dropout_per_purchase": a / (a + b), "sure_alive_share": ..., "repeat_customers": n}``
        plus both shares in percent, rounded for the sentence (``dropout_pct``,
        ``sure_alive_pct``); ``reporting.labels.WARNINGS`` words it, and ``headline`` leaves
        out ``P_ALIVE_FIGURES`` for it.

    Examples
    --------
    >>> rows = pd.DataFrame({"frequency": [2, 0], "recency": [30.0, 0.0], "T": [38.0, 20.0]})
    >>> seen = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0, customers=2)
    >>> dropout_check(seen, rows)
    []
    >>> unseen = BetaGeo(r=0.82, alpha=9.87, a=0.0031, b=7.25, log_likelihood=0, customers=2)
    >>> [w["code"] for w in dropout_check(unseen, rows)]
    ['dropout_not_seen']
    """
    x, _, _ = _columns(summary)
    alive = purchases.p_alive(summary)[x > 0]
    dropout = purchases.a / (purchases.a + purchases.b)
    sure = float((alive >= SURE_ALIVE).mean()) if len(alive) else 1.0
    if dropout >= DROPOUT_MIN and sure < SURE_ALIVE_MAX:
        return []
    return [
        {
            "code": "dropout_not_seen",
            "dropout_per_purchase": float(dropout),
            "sure_alive_share": sure,
            "dropout_pct": round(100 * float(dropout), 2),
            "sure_alive_pct": round(100 * sure, 1),
            "repeat_customers": int(len(alive)),
        }
    ]


def headline(
    outlooked: pd.DataFrame, check: pd.DataFrame, *, warnings=(), min_group: int = privacy.MIN_GROUP
) -> dict:
    """Customer outlooks and a holdout check into the report's headline figures.

    ``warnings`` are the model's (``dropout_check``): with ``dropout_not_seen`` the figures
    that rest on P(alive) (``P_ALIVE_FIGURES``) are left out, since they would show the
    model's blind spot (everyone likely active, no value at risk) as a fact.

    Returns
    -------
    dict
        ``customers_modelled``, ``predicted_value``, ``active_customer_share`` and
        ``value_at_risk_share`` (unless withheld; None, shown as missing, when fewer than
        ``privacy.MIN_GROUP`` customers are not active: the shares would give their count
        back), and ``holdout_error`` (predicted / actual
        purchases in the holdout - 1; None without actual purchases). Over 1 to
        ``min_group - 1`` customers modelled (``privacy.MIN_GROUP`` by default) every
        figure is None (withheld), and ``holdout_error`` is over 1 to ``min_group - 1``
        customers in the holdout.
    """
    total = holdout_total(check)
    clv = outlooked["clv"].sum()
    risky = outlooked["churn_risk"] != "active"
    out = {
        "customers_modelled": len(outlooked),
        "predicted_value": float(clv),
        "active_customer_share": float((~risky).mean()) if len(outlooked) else 0.0,
        "value_at_risk_share": float(outlooked.loc[risky, "clv"].sum() / clv) if clv else 0.0,
        "holdout_error": float(total["predicted"] / total["actual"] - 1)
        if total["actual"] > 0
        else None,
    }
    if 0 < int(risky.sum()) < privacy.MIN_GROUP:  # with customers_modelled, either share
        out.update(dict.fromkeys(P_ALIVE_FIGURES))  # gives the small at-risk count back
    if any(w.get("code") == "dropout_not_seen" for w in warnings):
        out = {k: v for k, v in out.items() if k not in P_ALIVE_FIGURES}
    out = privacy.withhold_small(out, count=total["customers"], keys=["holdout_error"], k=min_group)
    return privacy.withhold_small(out, count=len(outlooked), k=min_group)


def model_parameters(purchases: BetaGeo, spend: GammaGamma) -> dict:
    """The fitted parameters of both models, for a report's metrics file."""
    return {
        "purchases": {k: getattr(purchases, k) for k in ("r", "alpha", "a", "b")},
        "spend": {k: getattr(spend, k) for k in ("p", "q", "gamma")},
    }
