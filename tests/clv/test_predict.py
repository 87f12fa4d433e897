"""BG/NBD, Gamma-Gamma and CLV against the published CDNOW figures and against lifetimes."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter

from crm_lab import clv, ingest
from crm_lab.clv import predict

CDNOW = Path(__file__).resolve().parents[2] / "data/external/cdnow"
CALIBRATION_END = "1997-09-30"  # the first 39 weeks, as in Fader, Hardie & Lee (2005)


@pytest.fixture(scope="module")
def cdnow_log() -> pd.DataFrame:
    """The CDNOW 1/10 sample as canonical transactions (one line per purchase record)."""
    raw = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "sample_id", "date", "cds", "dollars"],
        dtype={"master_id": str, "sample_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["sample_id"].str.lstrip("0"),
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["dollars"].astype(float),
            "quantity": raw["cds"].astype(float),
            "line_type": "sale",
        }
    )


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    frame = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    return frame.rename(
        columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    ).assign(customer_id=lambda f: f["customer_id"].astype(str))


@pytest.fixture(scope="module")
def summary(cdnow_log) -> pd.DataFrame:
    return clv.purchase_summary(cdnow_log, as_of=CALIBRATION_END)


@pytest.fixture(scope="module")
def beta_geo(summary):
    return clv.fit_beta_geo(summary)


def test_summary_rebuilds_the_published_calibration_table(summary, published):
    merged = summary.merge(published, on="customer_id", suffixes=("", "_pub"))
    assert len(summary) == len(published) == len(merged) == 2357
    assert (merged["frequency"] == merged["frequency_pub"]).all()
    assert np.abs(merged["recency"] - merged["recency_pub"]).max() < 0.005  # 2-decimal rounding
    assert np.abs(merged["T"] - merged["T_pub"]).max() < 0.005
    repeat = merged[merged["frequency"] > 0]
    assert len(repeat) == 946
    assert np.abs(repeat["monetary_value"] - repeat["monetary_value_pub"]).max() <= 0.005 + 1e-9
    assert merged.loc[merged["frequency"] == 0, "monetary_value"].isna().all()


def test_summary_by_hand():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c"],
            "ordered_at": pd.to_datetime(
                [
                    "2024-01-01 09:00",
                    "2024-01-01 15:00",
                    "2024-01-15 00:00",
                    "2024-01-29 00:00",
                    "2024-01-08 00:00",
                    "2024-02-20 00:00",
                ]
            ),  # fmt: skip
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 9.0],
            "line_type": ["sale", "sale", "sale", "sale", "sale", "sale"],
        }
    )
    out = clv.purchase_summary(tx, as_of="2024-02-12").set_index("customer_id")
    # the lifetimes / pymc-marketing names
    assert list(out.columns) == ["frequency", "recency", "T", "monetary_value", "first_purchase_at"]
    assert "c" not in out.index  # first purchase after as_of
    a = out.loc["a"]
    assert a["frequency"] == 2  # two lines on 1 January are one purchase
    assert a["recency"] == 4 and a["T"] == 6  # weeks
    assert a["monetary_value"] == 30  # mean of the repeat purchases only
    assert out.loc["b", "frequency"] == 0 and np.isnan(out.loc["b", "monetary_value"])
    days = clv.purchase_summary(tx, as_of="2024-02-12", unit_days=1)
    assert days.set_index("customer_id").loc["a", "recency"] == 28
    cohort = clv.purchase_summary(tx, as_of="2024-02-12", start="2024-01-05")
    assert list(cohort["customer_id"]) == ["b"]


def test_beta_geo_matches_the_published_fit_and_lifetimes(summary, beta_geo):
    # Fader, Hardie & Lee (2005): r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4
    got = (beta_geo.r, beta_geo.alpha, beta_geo.a, beta_geo.b)
    assert got == pytest.approx((0.243, 4.414, 0.793, 2.426), abs=6e-4)
    assert beta_geo.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    theirs = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    assert got == pytest.approx(tuple(theirs.params_[["r", "alpha", "a", "b"]]), rel=1e-4)


def test_beta_geo_predictions_equal_lifetimes_formulas(published, beta_geo):
    theirs = BetaGeoFitter()
    theirs.params_ = pd.Series(
        {"r": beta_geo.r, "alpha": beta_geo.alpha, "a": beta_geo.a, "b": beta_geo.b}
    )
    x, t_x, age = published["frequency"], published["recency"], published["T"]
    for t in (1, 39, 78):
        np.testing.assert_allclose(
            beta_geo.expected_purchases(published, t=t),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, age),
            rtol=1e-9,
        )
    np.testing.assert_allclose(
        beta_geo.p_alive(published), theirs.conditional_probability_alive(x, t_x, age), rtol=1e-9
    )
    # published per-customer figures: customer 1 (x=2, t_x=30.43, T=38.86)
    one = published[published["customer_id"] == "1"]
    assert beta_geo.expected_purchases(one, t=39)[0] == pytest.approx(1.2259, abs=1e-4)
    assert beta_geo.p_alive(one)[0] == pytest.approx(0.7266, abs=1e-4)
    assert beta_geo.expected_purchases_new([39, 78]) == pytest.approx([1.1950, 1.8580], abs=1e-4)


def test_beta_geo_invariants(published, beta_geo):
    alive = beta_geo.p_alive(published)
    assert ((alive > 0) & (alive <= 1)).all()
    assert (alive[published["frequency"].to_numpy() == 0] == 1).all()  # no repeat: no drop seen
    later = beta_geo.expected_purchases(published, t=52)
    assert (later >= beta_geo.expected_purchases(published, t=26)).all()
    # the same history with a more recent last purchase is more likely alive
    rows = pd.DataFrame({"frequency": [3, 3], "recency": [10.0, 30.0], "T": [38.0, 38.0]})
    stale, fresh = beta_geo.p_alive(rows)
    assert fresh > stale


def test_holdout_tracks_actual_repeat_purchases(cdnow_log, summary, beta_geo):
    """Weeks 40-78 of CDNOW: a sanity check that the calibration fit tracks the holdout.

    Measured: 1,653 repeat purchase days predicted against 1,882 bought (12 % under); the
    order by past frequency is right.
    """
    end = pd.Timestamp(CALIBRATION_END) + pd.Timedelta(weeks=39)
    later = cdnow_log[
        (cdnow_log["ordered_at"] > pd.Timestamp(CALIBRATION_END)) & (cdnow_log["ordered_at"] <= end)
    ]
    actual = later.groupby("customer_id")["ordered_at"].apply(lambda d: d.dt.normalize().nunique())
    predicted = beta_geo.expected_purchases(summary, t=39).sum()
    assert actual.sum() > 1000
    assert abs(predicted / actual.sum() - 1) < 0.15
    # and customers who bought more in calibration buy more later, as predicted
    both = summary.assign(
        actual=summary["customer_id"].map(actual).fillna(0),
        predicted=beta_geo.expected_purchases(summary, t=39),
    )
    by_x = both.groupby(both["frequency"].clip(upper=5))[["actual", "predicted"]].mean()
    assert by_x["actual"].is_monotonic_increasing and by_x["predicted"].is_monotonic_increasing


def test_gamma_gamma_matches_the_published_fit_and_lifetimes(summary):
    spend = clv.fit_gamma_gamma(summary)
    # Fader, Hardie & Lee (2005, RFM and CLV): p=6.25, q=3.74, gamma=15.44
    assert (spend.p, spend.q, spend.gamma) == pytest.approx((6.25, 3.74, 15.44), abs=0.01)
    assert spend.customers == 946
    repeat = summary[summary["frequency"] > 0]
    theirs = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    assert (spend.p, spend.q, spend.gamma) == pytest.approx(
        tuple(theirs.params_[["p", "q", "v"]]), rel=1e-4
    )
    theirs.params_ = pd.Series({"p": spend.p, "q": spend.q, "v": spend.gamma})
    np.testing.assert_allclose(
        spend.expected_spend(repeat),
        theirs.conditional_expected_average_profit(repeat["frequency"], repeat["monetary_value"]),
        rtol=1e-9,
    )
    # no repeat purchase: the population mean, gamma * p / (q - 1)
    once = summary[summary["frequency"] == 0].head(1)
    assert spend.expected_spend(once)[0] == pytest.approx(spend.gamma * spend.p / (spend.q - 1))


def test_customer_value_equals_lifetimes_clv(summary, beta_geo):
    spend = clv.fit_gamma_gamma(summary)
    ours = clv.customer_value(
        summary, beta_geo, spend, months=12, monthly_discount=0.01, month_days=4.345 * 7
    )
    bg = BetaGeoFitter()
    bg.params_ = pd.Series(
        {"r": beta_geo.r, "alpha": beta_geo.alpha, "a": beta_geo.a, "b": beta_geo.b}
    )
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time  # as its fit() sets
    gg = GammaGammaFitter()
    gg.params_ = pd.Series({"p": spend.p, "q": spend.q, "v": spend.gamma})
    theirs = gg.customer_lifetime_value(
        bg,
        summary["frequency"],
        summary["recency"],
        summary["T"],
        summary["monetary_value"].fillna(0),
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    np.testing.assert_allclose(ours["clv"], theirs, rtol=1e-9)
    assert (ours["clv"] >= 0).all() and list(ours.columns) == [
        "customer_id", "p_alive", "expected_purchases", "expected_spend", "clv"
    ]  # fmt: skip
    # a margin scales value linearly; no discount is worth more than a discount
    half = clv.customer_value(summary, beta_geo, spend, margin=0.5)
    full = clv.customer_value(summary, beta_geo, spend)
    np.testing.assert_allclose(half["clv"], full["clv"] / 2)
    free = clv.customer_value(summary, beta_geo, spend, monthly_discount=0.0)
    assert (free["clv"] >= full["clv"]).all()


def test_bad_summaries_are_clear_errors(summary):
    with pytest.raises(ValueError, match="no customers"):
        clv.fit_beta_geo(summary.head(0))
    bad = summary.head(5).assign(recency=lambda f: f["T"] + 1)
    with pytest.raises(ValueError, match="recency <= T"):
        clv.fit_beta_geo(bad)
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        clv.fit_gamma_gamma(summary[summary["frequency"] == 0])


def test_analytic_gradients_match_finite_differences(published):
    from scipy.optimize import approx_fprime

    x, t_x, age = (published[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.ones(len(x))
    for params in ([0.3, 4.0, 0.8, 2.5], [1.7, 0.6, 2.2, 0.4]):
        _, grad = predict._beta_geo_log_likelihood(np.array(params), x, t_x, age, w, gradient=True)
        numeric = approx_fprime(
            np.array(params), lambda p: predict._beta_geo_log_likelihood(p, x, t_x, age, w), 1e-7
        )
        np.testing.assert_allclose(grad, numeric, rtol=1e-4)
    repeat = published[published["frequency"] > 0]
    xr, m = repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float)
    wr = np.ones(len(xr))
    for params in ([6.0, 3.7, 15.0], [1.2, 8.0, 40.0]):
        _, grad = predict._gamma_gamma_log_likelihood(np.array(params), xr, m, wr, gradient=True)
        numeric = approx_fprime(
            np.array(params), lambda p: predict._gamma_gamma_log_likelihood(p, xr, m, wr), 1e-7
        )
        np.testing.assert_allclose(grad, numeric, rtol=1e-4)


def test_online_retail_fits_are_at_least_as_good_as_lifetimes(retail):
    """A harder case: on Online Retail the drop-out parameter a runs to ~0 (a flat ridge) and
    spend is in pounds with a long tail. Neither fit may be worse than lifetimes'."""
    tx = ingest.clean_dataset(retail)["transactions"]
    summary = clv.purchase_summary(tx, as_of="2011-12-09")
    assert len(summary) > 4000
    ours = clv.fit_beta_geo(summary)
    theirs = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    x, t_x, age = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    theirs_ll = predict._beta_geo_log_likelihood(
        theirs.params_[["r", "alpha", "a", "b"]].to_numpy(), x, t_x, age, np.ones(len(x))
    )
    assert ours.log_likelihood >= theirs_ll - 1e-6
    assert ours.r == pytest.approx(theirs.params_["r"], rel=1e-3)
    spend = clv.fit_gamma_gamma(summary)
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    gg_ll = predict._gamma_gamma_log_likelihood(
        gg.params_.to_numpy(),
        repeat["frequency"].to_numpy(float),
        repeat["monetary_value"].to_numpy(float),
        np.ones(len(repeat)),
    )
    assert spend.log_likelihood >= gg_ll - 1e-6
    assert (spend.p, spend.q, spend.gamma) == pytest.approx(tuple(gg.params_), rel=1e-3)


def test_value_tiers_and_risk_bands_by_hand():
    values = pd.Series([100.0, 90, 90, 50, 40, 30, 20, 10, 5, 0])
    tiers = clv.value_tiers(values)  # top 20 %: ranks 1-2, next 30 %: ranks 3-5
    # the tie at 90 straddles the 20 % line (ranks 2 and 3): both go down to medium
    assert list(tiers) == ["high", "medium", "medium", "medium", "medium"] + ["low"] * 5
    assert list(clv.value_tiers(pd.Series([5.0, 3] + [0] * 8))) == ["high"] * 2 + ["low"] * 8
    assert set(clv.value_tiers(pd.Series([1.0] * 10))) == {"low"}  # nobody stands out
    with pytest.raises(ValueError, match="no predicted value"):
        clv.value_tiers(pd.Series([1.0, np.nan]))
    bands = clv.risk_bands(pd.Series([0.95, 0.7, 0.69, 0.3, 0.29, 0.0]))
    assert list(bands) == ["active", "active", "at_risk", "at_risk", "likely_lost", "likely_lost"]
    assert list(bands.cat.categories) == list(clv.RISKS)


def test_group_summary_adds_up(summary, beta_geo):
    spend = clv.fit_gamma_gamma(summary)
    outlooked = clv.outlook(clv.customer_value(summary, beta_geo, spend))
    for by in ("value_tier", "churn_risk"):
        table = clv.group_summary(outlooked, by=by)
        assert table["customers"].sum() == len(summary)
        assert table["clv"].sum() == pytest.approx(outlooked["clv"].sum())
        assert table["clv_share"].sum() == pytest.approx(1.0)
    tiers = clv.group_summary(outlooked, by="value_tier").set_index("value_tier")
    assert list(tiers.index) == list(clv.TIERS)  # codes, in tier order
    assert tiers.loc["high", "clv_share"] > 0.5  # the top fifth holds most of the value
    risk = clv.group_summary(outlooked, by="churn_risk").set_index("churn_risk")
    assert list(risk.index) == list(clv.RISKS)
    assert risk.loc["active", "avg_p_alive"] > risk.loc["likely_lost", "avg_p_alive"]


def test_holdout_check_on_cdnow(cdnow_log):
    """Fit on the first 39 weeks, check weeks 40-78: the same totals as computed by hand in
    ``test_holdout_tracks_actual_repeat_purchases`` (1,882 bought, 1,653 predicted)."""
    rows = clv.holdout_check(cdnow_log, as_of="1998-06-30", holdout_days=273)
    # groups only, no total row
    assert list(rows["past_purchases"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert rows["customers"].sum() == 2357
    assert rows["predicted"].is_monotonic_increasing
    total = clv.holdout_total(rows)
    assert total["customers"] == 2357
    assert total["actual"] * 2357 == pytest.approx(1882)
    assert total["predicted"] * 2357 == pytest.approx(1653.4, abs=0.5)


def test_a_history_too_short_for_the_holdout_or_without_repeats_is_no_model_not_an_error():
    """Ten days of a shop's orders (tests/ingest/exports/shopify/orders): one customer bought on
    two days, nobody before the 182-day holdout began. The holdout has nothing to check (no
    rows, no holdout_error); a month of single orders (a CRM's won deals) fits no model at
    all, which ``not_fitted`` says before ``fit_beta_geo`` would refuse it."""
    tx = pd.DataFrame(
        {"customer_id": ["a", "a", "b", "c"], "invoice_id": ["1", "2", "3", "4"],
         "ordered_at": pd.to_datetime(["2024-03-01", "2024-03-04", "2024-03-02", "2024-03-11"]),
         "quantity": [1.0] * 4, "unit_price": [10.0, 12.0, 5.0, 7.0],
         "amount": [10.0, 12.0, 5.0, 7.0], "line_type": ["sale"] * 4}
    )  # fmt: skip
    summary = clv.purchase_summary(tx, as_of="2024-03-31")
    assert clv.not_fitted(summary) == []  # a bought again, for 12
    check = clv.holdout_check(tx, as_of="2024-03-31", holdout_days=182)
    assert list(check.columns) == ["past_purchases", "customers", "actual", "predicted"]
    assert check.empty and clv.holdout_total(check)["customers"] == 0
    # before the holdout: customers, none with a repeat purchase yet
    assert clv.holdout_check(tx, as_of="2024-03-31", holdout_days=28).empty
    single = tx[tx["invoice_id"] != "2"]
    assert clv.not_fitted(clv.purchase_summary(single, as_of="2024-03-31")) == [
        {"code": "model_not_fitted"}
    ]
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        clv.fit_beta_geo(clv.purchase_summary(single, as_of="2024-03-31"))
    free = tx.assign(amount=[10.0, 0.0, 5.0, 7.0])  # a's second purchase was free
    assert clv.not_fitted(clv.purchase_summary(free, as_of="2024-03-31")) == [
        {"code": "model_not_fitted"}
    ]
    assert clv.not_fitted(summary.iloc[:0]) == [{"code": "model_not_fitted"}]


def test_holdout_total_and_headline_by_hand():
    check = pd.DataFrame(
        {"past_purchases": ["0", "1"], "customers": [3, 1], "actual": [1.0, 4.0],
         "predicted": [2.0, 2.0]}
    )  # fmt: skip
    # (3 * 1 + 1 * 4) / 4 actual, (3 * 2 + 1 * 2) / 4 predicted, whatever the rows' order
    assert clv.holdout_total(check) == {"customers": 4, "actual": 1.75, "predicted": 2.0}
    assert clv.holdout_total(check.iloc[::-1]) == clv.holdout_total(check)
    outlooked = pd.DataFrame(  # 5 active customers worth 30 in all, 5 at risk worth 10
        {"clv": [6.0] * 5 + [2.0] * 5, "churn_risk": ["active"] * 5 + ["at_risk"] * 5,
         "p_alive": [0.9] * 5 + [0.5] * 5}
    )  # fmt: skip
    head = clv.headline(outlooked, check, min_group=1)  # the holdout's 4 customers: arithmetic
    assert head["holdout_error"] == pytest.approx(2.0 / 1.75 - 1)
    assert head["value_at_risk_share"] == pytest.approx(0.25)
    assert head["active_customer_share"] == pytest.approx(0.5)
    empty = check.assign(customers=0)
    assert np.isnan(clv.holdout_total(empty)["actual"])
    assert clv.headline(outlooked, empty)["holdout_error"] is None


def test_frequent_buyers_and_long_horizons_stay_finite():
    """The textbook form of E[Y(t)] overflows for near-daily buyers (2F1 -> inf times a power
    -> 0); the transformed form must stay finite and agree where both are finite."""
    model = clv.BetaGeo(r=0.823, alpha=9.87, a=0.0031, b=7.25, log_likelihood=0, customers=1)
    heavy = pd.DataFrame({"frequency": [600, 1160, 5], "recency": [100.0, 51.0, 30.0],
                          "T": [104.0, 52.0, 52.0]})  # fmt: skip
    for t in (52, 260, 520):
        got = model.expected_purchases(heavy, t=t)
        assert np.isfinite(got).all() and (got > 0).all()
    # and the other extreme: drop-out nearly impossible (a, b huge), where the transformed form
    # overflows instead (fitted on one year of demo data)
    steady = clv.BetaGeo(
        r=0.2317, alpha=4.03, a=236279.5, b=3104763.0, log_likelihood=0, customers=1
    )
    got = steady.expected_purchases(heavy, t=52)
    assert np.isfinite(got).all() and (got > 0).all()
    got = model.expected_purchases(heavy.tail(1), t=52)[0]
    x, t_x, age = 5, 30.0, 52.0
    from scipy import special

    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    z = 52 / (alpha + age + 52)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    odds = a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x)
    textbook = (a + b + x - 1) / (a - 1) * (1 - (1 - z) ** (r + x) * hyp) / (1 + odds)
    assert got == pytest.approx(textbook, rel=1e-9)


def test_unidentifiable_or_broken_fits_are_clear_errors():
    once = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [0, 0], "recency": [0.0, 0.0],
                         "T": [10.0, 20.0], "monetary_value": [np.nan, np.nan]})  # fmt: skip
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        clv.fit_beta_geo(once)
    with pytest.raises(ValueError, match="finite"):
        clv.fit_beta_geo(once.assign(T=[10.0, np.nan]))
    # spend so heavy-tailed that the mean purchase value is unbounded (q <= 1)
    rng = np.random.default_rng(3)
    n = 3000
    x = rng.integers(1, 6, n)
    nu = rng.gamma(0.6, 1.0, n)
    m = np.array([rng.gamma(2.0 * k, 1 / v) / k for k, v in zip(x, nu, strict=True)])
    heavy = pd.DataFrame({"frequency": x, "monetary_value": m})
    with pytest.raises(ValueError, match="q is"):
        clv.fit_gamma_gamma(heavy)


def test_cohort_start_is_a_day():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "ordered_at": pd.to_datetime(["2024-01-05 10:00", "2024-01-20 10:00"]),
            "amount": [5.0, 6.0],
            "line_type": ["sale", "sale"],
        }
    )
    cohort = clv.purchase_summary(tx, as_of="2024-02-01", start="2024-01-05 09:00")
    assert list(cohort["customer_id"]) == ["a"]


# -- p_alive, stably ------------------------------------------------------------------------


def _p_alive_exact(model, x, t_x, age) -> float:
    """BG/NBD's P(alive) (Fader, Hardie & Lee 2005, eq. 13) at 60 digits, rounded to a float:
    1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)), 1 without repeats."""
    from decimal import Decimal, localcontext

    if x == 0:
        return 1.0
    with localcontext() as ctx:
        ctx.prec = 60

        def d(v):
            return Decimal(repr(float(v)))

        ratio = (d(model.alpha) + d(age)) / (d(model.alpha) + d(t_x))
        odds = d(model.a) / (d(model.b) + d(x) - 1) * ratio ** (d(model.r) + d(x))
        return float(1 / (1 + odds))


CDNOW_FIT = clv.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0, customers=1)


def test_p_alive_of_heavy_buyers_is_exact_and_raises_nothing():
    """A thousand repeat purchases, the last 90 weeks ago: the odds of having dropped out are
    about e**1980, which overflowed np.exp (a FloatingPointError under np.seterr(all="raise")).
    The answer is e**-1980, whose nearest float is 0; at 362 purchases it is e**-717, a
    subnormal float, and at 2 purchases (CDNOW's customer 1) the published 0.7266."""
    rows = pd.DataFrame(
        {"frequency": [1000, 362, 2, 0, 40], "recency": [10.0, 10.0, 30.43, 0.0, 99.0],
         "T": [100.0, 100.0, 38.86, 50.0, 100.0]}
    )  # fmt: skip
    exact = [_p_alive_exact(CDNOW_FIT, *row) for row in rows.itertuples(index=False)]
    assert exact[0] == 0.0 and 0 < exact[1] < 1e-308 and exact[3] == 1.0
    with np.errstate(all="raise"):
        got = CDNOW_FIT.p_alive(rows)
        purchases = CDNOW_FIT.expected_purchases(rows, t=52)
    assert got[0] == 0.0 and got[3] == 1.0
    assert got[1] == pytest.approx(exact[1], rel=1e-6, abs=0)  # subnormal: ~9 digits left
    np.testing.assert_allclose(got[[2, 4]], np.array(exact)[[2, 4]], rtol=1e-12)
    assert got[2] == pytest.approx(0.7266, abs=1e-4)
    assert np.isfinite(purchases).all() and purchases[0] == 0.0  # gone, so no more purchases


def test_p_alive_equals_the_exact_formula_on_the_cdnow_histories(published, beta_geo):
    exact = [
        _p_alive_exact(beta_geo, x, t_x, age)
        for x, t_x, age in published[["frequency", "recency", "T"]].itertuples(index=False)
    ]
    np.testing.assert_allclose(beta_geo.p_alive(published), exact, rtol=1e-12)


# -- impossible summaries are refused, naming the column, the value and the customer ---------


def _rows(**changes):
    rows = pd.DataFrame(
        {"customer_id": ["a", "b", "c", "d"], "frequency": [2, 0, 1, 3],
         "recency": [4.0, 0.0, 2.0, 8.0], "T": [10.0, 6.0, 9.0, 12.0],
         "monetary_value": [20.0, np.nan, 15.0, 30.0]}
    )  # fmt: skip
    for column, (row, value) in changes.items():
        rows[column] = rows[column].astype(object if isinstance(value, str) else float)
        rows.loc[row, column] = value
    return rows


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"frequency": (0, 0.5)}, r"\['frequency'\] must be a whole.*got 0\.5 \(customer 'a'\)"),
        ({"frequency": (2, -1.0)}, r"\['frequency'\] must be a whole.*got -1\.0 \(customer 'c'\)"),
        ({"frequency": (3, np.inf)}, r"\['frequency'\].*got inf \(customer 'd'\)"),
        ({"frequency": (0, "two")}, r"\['frequency'\] must hold numbers, got 'two' \(customer 'a'"),
        ({"recency": (3, -2.0)}, r"\['recency'\] must be a finite time of 0 or more, got -2\.0"),
        ({"T": (2, np.nan)}, r"\['T'\] must be a finite time.*got nan \(customer 'c'\)"),
        ({"recency": (0, 11.0)}, r"must not exceed T.*got 11\.0 \(customer 'a'\)"),
        ({"recency": (1, 3.0)}, r"recency 0 without repeats.*got 3\.0 \(customer 'b'\)"),
    ],
)  # fmt: skip
def test_fit_beta_geo_refuses_rows_the_model_cannot_mean(changes, message):
    rows = _rows(**changes)
    with pytest.raises(ValueError, match=message):
        clv.fit_beta_geo(rows)
    with pytest.raises(ValueError, match=message):  # the predictions check the same way
        CDNOW_FIT.p_alive(rows)
    assert clv.fit_beta_geo(_rows()).customers == 4  # the untouched rows fit


def test_a_summary_without_its_columns_is_a_clear_error():
    rows = _rows()
    with pytest.raises(ValueError, match=r"summary lacks the column\(s\) \['T'\]"):
        clv.fit_beta_geo(rows.drop(columns="T"))
    model = clv.fit_beta_geo(rows)
    spend = clv.GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0, customers=1)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['monetary_value'\]"):
        clv.customer_value(rows.drop(columns="monetary_value"), model, spend)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['customer_id'\]"):
        clv.customer_value(rows.drop(columns="customer_id"), model, spend)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['monetary_value'\]"):
        clv.fit_gamma_gamma(rows.drop(columns="monetary_value"))


# -- Gamma-Gamma says what it leaves out ----------------------------------------------------


def test_gamma_gamma_counts_the_free_repeat_buyers_it_leaves_out(summary, caplog):
    """Gamma-Gamma needs positive spend. A customer whose repeat purchases were all free (a
    mean of 0, which purchase_summary keeps) is left out of the fit, and the model says how
    many: the fit equals the one without that row, and the count is on the model and logged."""
    repeat = summary[summary["frequency"] > 0]
    free = repeat.head(3).assign(monetary_value=0.0, customer_id=["f1", "f2", "f3"])
    with caplog.at_level("WARNING", logger="crm_lab.clv.predict"):
        spend = clv.fit_gamma_gamma(pd.concat([summary, free]))
    plain = clv.fit_gamma_gamma(summary)
    assert plain.excluded == 0 and spend.excluded == 3
    assert spend.customers == plain.customers == 946
    assert (spend.p, spend.q, spend.gamma) == (plain.p, plain.q, plain.gamma)
    assert "3 customers whose repeat purchases were all free" in caplog.text
    # a negative mean value, or none for a customer with repeats, is not a spend at all
    with pytest.raises(ValueError, match=r"\['monetary_value'\].*got -5\.0 \(customer 'c'\)"):
        clv.fit_gamma_gamma(_rows(monetary_value=(2, -5.0)))
    with pytest.raises(ValueError, match=r"\['monetary_value'\].*got nan \(customer 'a'\)"):
        clv.fit_gamma_gamma(_rows(monetary_value=(0, np.nan)))
    with pytest.raises(ValueError, match=r"\['frequency'\] must be a whole number.*1\.5"):
        clv.fit_gamma_gamma(_rows(frequency=(0, 1.5)))


# -- a model that cannot tell who has left ---------------------------------------------------


def test_dropout_check_is_quiet_where_the_fit_sees_drop_out(cdnow_log, summary, beta_geo):
    # CDNOW, weeks 1-39: a / (a + b) = 0.793 / 3.219 = 0.246; no repeat buyer is at 0.99
    assert clv.dropout_check(beta_geo, summary) == []
    # and on the whole 78 weeks, where a / (a + b) = 0.19
    longer = clv.purchase_summary(cdnow_log, as_of="1998-06-30")
    assert clv.dropout_check(clv.fit_beta_geo(longer), longer) == []


@pytest.mark.parametrize("as_of", ["2011-09-30", "2011-12-09"])
def test_dropout_check_fires_on_a_year_of_online_retail(retail, as_of):
    """Measured: a / (a + b) is 1e-11 as of 2011-09-30 and 4.3e-4 as of 2011-12-09, and 100 %
    and 98.9 % of the repeat buyers have P(alive) >= 0.99, while RFM counts hundreds lost."""
    tx = ingest.clean_dataset(retail)["transactions"]
    summary = clv.purchase_summary(tx, as_of=as_of)
    model = clv.fit_beta_geo(summary)
    (warning,) = clv.dropout_check(model, summary)
    assert warning["code"] == "dropout_not_seen"
    assert warning["dropout_per_purchase"] < 1e-3 and warning["sure_alive_share"] > 0.98
    assert warning["repeat_customers"] == (summary["frequency"] > 0).sum() > 2000
    assert warning["sure_alive_pct"] == round(100 * warning["sure_alive_share"], 1)


def test_dropout_check_thresholds_by_hand():
    """Each sign alone fires. Rows: a repeat buyer silent for 30 of 38 weeks (low P(alive)
    under any model with drop-out) and a one-off buyer (P(alive) 1, not counted)."""
    rows = pd.DataFrame({"frequency": [2, 0], "recency": [8.0, 0.0], "T": [38.0, 20.0]})

    def model(a, b):
        return clv.BetaGeo(r=0.243, alpha=4.414, a=a, b=b, log_likelihood=0, customers=2)

    assert clv.dropout_check(model(1.0, 99.0), rows) == []  # 1 / 100: 1 % per purchase
    (w,) = clv.dropout_check(model(0.99, 99.01), rows)  # 0.99 %: below DROPOUT_MIN
    assert w["dropout_per_purchase"] == pytest.approx(0.0099) and w["dropout_pct"] == 0.99
    assert w["sure_alive_share"] == 0.0 and w["repeat_customers"] == 1
    # the other sign: 100 repeat purchases, the last one today: odds 0.793 / 101.4 = 0.0078,
    # so P(alive) = 0.992 >= 0.99 for 19 of 20 repeat buyers (95 %), though a / (a + b) = 0.25
    fresh = pd.DataFrame({"frequency": [100] * 19 + [2], "recency": [38.0] * 19 + [8.0],
                          "T": [38.0] * 20})  # fmt: skip
    assert CDNOW_FIT.p_alive(fresh)[0] == pytest.approx(1 / (1 + 0.793 / 101.426))
    (w,) = clv.dropout_check(CDNOW_FIT, fresh)
    assert w["sure_alive_share"] == 0.95 and w["sure_alive_pct"] == 95.0
    fewer = pd.concat([fresh, fresh.tail(1)])  # 19 of 21: 90.5 %
    assert clv.dropout_check(CDNOW_FIT, fewer) == []


def test_headline_leaves_out_what_rests_on_p_alive_when_the_model_cannot_tell():
    check = pd.DataFrame({"past_purchases": ["0"], "customers": [4], "actual": [1.0],
                          "predicted": [1.5]})  # fmt: skip
    outlooked = pd.DataFrame(
        {"clv": [30.0, 10.0], "churn_risk": ["active", "at_risk"], "p_alive": [0.9, 0.5]}
    )
    full = clv.headline(outlooked, check, min_group=1)  # two customers: the arithmetic only
    warning = {"code": "dropout_not_seen", "dropout_per_purchase": 1e-11}
    cut = clv.headline(outlooked, check, warnings=[warning], min_group=1)
    assert set(full) - set(cut) == set(clv.P_ALIVE_FIGURES) == {
        "active_customer_share", "value_at_risk_share"
    }  # fmt: skip
    assert cut == {k: v for k, v in full.items() if k in cut}
    assert cut["holdout_error"] == pytest.approx(0.5) and cut["predicted_value"] == 40.0
    other = clv.headline(outlooked, check, warnings=[{"code": "stale_data"}], min_group=1)
    assert other == full  # only the drop-out warning withholds them


@pytest.mark.parametrize("at_risk, shown", [(0, True), (1, False), (4, False), (5, True)])
def test_headline_shares_do_not_give_a_small_at_risk_group_back(at_risk, shown):
    check = pd.DataFrame({"past_purchases": ["0"], "customers": [100], "actual": [1.0],
                          "predicted": [1.0]})  # fmt: skip
    risk = ["at_risk"] * at_risk + ["active"] * (100 - at_risk)
    outlooked = pd.DataFrame({"clv": [10.0] * 100, "churn_risk": risk, "p_alive": [0.9] * 100})
    out = clv.headline(outlooked, check)
    if shown:
        assert out["active_customer_share"] == pytest.approx(1 - at_risk / 100)
        assert out["value_at_risk_share"] == pytest.approx(at_risk / 100)
    else:  # 100 customers and 99 % active would say: 1 at risk
        assert out["active_customer_share"] is None and out["value_at_risk_share"] is None


def test_a_fit_run_to_its_limits_on_three_repeat_buyers_is_no_model_not_an_error():
    """Taobao's two monthly files (8 customers, 3 repeat buyers): the likelihood runs to
    r, alpha, b -> infinity and a -> 0, and expected purchases are not finite. The outlook
    page shows model_degenerate instead of failing in value_tiers."""
    from pathlib import Path

    folder = Path(__file__).parents[1] / "ingest" / "exports" / "taobao" / "monthly"
    summary = clv.purchase_summary(ingest.read_clean(folder)["transactions"], as_of="2024-02-29")
    assert (summary["frequency"] > 0).sum() == 3 and clv.not_fitted(summary) == []
    fit = clv.fit_beta_geo(summary)
    assert not np.isfinite(fit.expected_purchases(summary, t=4)).all()
    assert clv.unusable_fit(fit, summary) == [{"code": "model_degenerate"}]
    # a fit that predicts (the CDNOW-like demo shape) is usable
    assert clv.unusable_fit(fit.__class__(1.0, 20.0, 1.5, 3.0, 0.0, 8), summary) == []
