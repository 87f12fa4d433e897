"""reporting.labels: every code and headline key an analysis returns has an en and a zh name and
a declared format; known answers for the names and the formats."""

import math
import string

import pandas as pd
import pytest

from crm_lab import ingest, quality
from crm_lab.clv import predict
from crm_lab.reporting import labels
from crm_lab.segments import classify, lifecycle, migration
from crm_lab.value import kpi, rfm

# the codes each analysis can return, from the analyses' own constants
CODES = {
    "segment": rfm.SEGMENT_CODES,
    "tier": predict.TIERS,
    "risk": predict.RISKS,
    "stage": lifecycle.STAGES,
    "tag": classify.TAGS,
    "line_kind": quality.KINDS,
    "read_by": quality.READ_BY,
}


@pytest.mark.parametrize("kind", sorted(CODES))
def test_every_code_has_an_english_and_a_chinese_name(kind):
    for code in CODES[kind]:
        en = labels.code_label(kind, code, lang="en")
        zh = labels.code_label(kind, code, lang="zh")
        assert en and zh and en != zh, (kind, code)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) or zh == "VIP", (kind, code, zh)
    # no names for codes the analyses no longer return
    assert set(labels.CODES[kind]) == set(CODES[kind])
    # migration's markers have a name in a column of every kind
    assert labels.code_label(kind, migration.NEW) == "(new)"
    assert labels.code_label(kind, migration.GONE, lang="zh") == "（已不在）"


def test_names_are_those_the_pages_showed_before():
    assert labels.code_label("segment", "cannot_lose_them") == "Cannot Lose Them"
    assert labels.code_label("segment", "champions", lang="zh") == "冠军客户"
    assert labels.code_label("risk", "likely_lost") == "Likely lost (under 30%)"
    assert labels.code_label("risk", "at_risk", lang="zh") == "可能流失（30–70%）"
    assert labels.code_label("tier", "high", lang="zh") == "高价值"
    assert labels.code_label("stage", "new") == "New (first 90 days)"
    assert labels.code_label("stage", "new", lang="zh") == "新客（首购 90 天内）"
    assert labels.code_label("tag", "at_risk") == "overdue (2x their usual gap)"
    # the same code names different things in different kinds
    assert labels.code_label("segment", "at_risk") == "At Risk"
    assert labels.code_label("risk", "at_risk") == "Uncertain (30-70%)"


@pytest.mark.parametrize("lang", labels.LANGS)
def test_one_vocabulary_a_name_means_one_state(lang):
    """Segments, stages, model bands and tags never share a name, in either language, and
    the page's own counts ("new this period") and the migration markers are apart from them;
    each state word has one definition in the glossary."""
    names = {}
    for kind in ("segment", "stage", "risk", "tag"):
        for code in labels.CODES[kind]:
            names.setdefault(labels.code_label(kind, code, lang=lang).lower(), []).append(
                (kind, code)
            )
    shared = {name: where for name, where in names.items() if len(where) > 1}
    assert shared == {}
    others = {labels.label("new_customers", lang=lang).lower(),
              labels.code_label("stage", migration.NEW, lang=lang).lower()}  # fmt: skip
    assert not others & set(names)
    for (kind, code), (en, zh) in labels.GLOSSARY.items():
        assert code in labels.CODES[kind] and en and zh and en != zh


def test_unknown_codes_keys_and_languages_are_errors():
    with pytest.raises(KeyError, match="no label"):
        labels.code_label("segment", "Champions")  # a display name is not a code
    with pytest.raises(KeyError, match="kind"):
        labels.code_label("colour", "red")
    with pytest.raises(KeyError, match="no label"):
        labels.label("segment_nobody")
    with pytest.raises(KeyError, match="no format"):
        labels.format_value("not_a_figure", 1)
    with pytest.raises(ValueError, match="lang"):
        labels.label("revenue", lang="fr")
    assert labels.header("campaign_responses") == "campaign responses"  # data-named column


def test_labels_on_tables_cards_and_charts():
    assert labels.label("revenue") == "Revenue"
    assert labels.label("revenue", on="card") == "Revenue (gross sales)"
    assert labels.label("revenue", on="chart") == "Revenue by month"
    assert labels.label("holdout_error", on="card") == "Holdout: predicted vs actual"  # fallback
    assert labels.label("segment_cannot_lose_them") == "Segment: Cannot Lose Them"
    assert labels.label("segment_cannot_lose_them", lang="zh") == "分群: 不能失去"


def test_formats_by_hand():
    fv = labels.format_value
    assert fv("revenue", 1234.5) == "1,234" and fv("period_revenue", 3_542_415.75) == "3,542,416"
    assert fv("customer_share", 0.1234) == "12.3%" and fv("holdout_error", -0.0512) == "-5.1%"
    assert fv("customers", 4535) == "4,535" and fv("rules", 12) == "12"
    assert fv("segment_lost", 861) == "861"
    assert fv("days_since_last", 7) == "7" and fv("avg_recency_days", 21.34) == "21.3"
    assert fv("lift", 2.345) == "2.3" and fv("change", 0.05) == "+5.0%"
    for missing in (None, math.nan, pd.NA, "2025-12-31"):
        assert fv("revenue", missing) == labels.MISSING
    # every declared format is a known kind, and a key's name no longer decides it
    assert set(labels.FORMATS.values()) <= set(labels.SPECS)
    assert labels.FORMATS["holdout_error"] == "percent" and "holdout_error_share" not in (
        labels.FORMATS
    )


def test_every_headline_key_of_the_analyses_has_a_label_and_a_format(demo, demo_dir):
    tx = demo.tables["transactions"]
    segmented = migration.rfm_at(tx, as_of="2025-12-31")
    compared = migration.compare_period(tx, as_of="2025-12-31", period_start="2025-12-01")
    check = pd.DataFrame(
        {"past_purchases": ["0"], "customers": [5], "actual": [1.0], "predicted": [1.0]}
    )
    outlooked = pd.DataFrame({"clv": [1.0], "churn_risk": ["active"], "p_alive": [0.9]})
    headlines = [
        kpi.headline(tx, as_of="2025-12-31"),
        kpi.period_headline(tx, start="2025-12-01", as_of="2025-12-31"),
        rfm.segment_counts(segmented, min_group=1),
        migration.move_counts(compared),
        predict.headline(outlooked, check, min_group=1),
        quality.headline(ingest.read_clean(demo_dir)),
    ]
    keys = {k for h in headlines for k, v in h.items() if not isinstance(v, str | type(None))}
    assert {"revenue", "segment_cannot_lose_them", "customers_gone", "holdout_error"} <= keys
    for key in keys:
        assert labels.label(key, lang="en", on="card") and labels.label(key, lang="zh")
        assert labels.format_spec(key) is not None, key


def test_every_column_of_the_shown_tables_has_a_header_and_numbers_a_format(demo):
    tx = demo.tables["transactions"]
    segmented = migration.rfm_at(tx, as_of="2025-12-31")
    compared = migration.compare_period(tx, as_of="2025-12-31", period_start="2025-12-01")
    tables = [
        rfm.segment_summary(segmented),
        migration.movement_summary(compared),
        classify.tag_counts(classify.customer_tags(tx, as_of="2025-12-31")),
        lifecycle.stage_counts(lifecycle.stages(tx, as_of="2025-12-31")),
    ]
    for table in tables:
        for column in table.columns:
            labels.label(column)
            labels.label(column, lang="zh")
            if pd.api.types.is_float_dtype(table[column].dtype):
                assert labels.format_spec(column) is not None, column


def test_every_warning_names_the_same_fields_in_both_languages():
    def fields(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for code, (en, zh) in labels.WARNINGS.items():
        assert fields(en) == fields(zh), code
        sample = {"code": code, **{name: f"<{name}>" for name in fields(en)}}
        assert labels.warning_text(sample, lang="en") != labels.warning_text(sample, lang="zh")


def test_an_unknown_or_incomplete_warning_is_refused():
    with pytest.raises(ValueError, match="'code' is one of"):
        labels.warning_text({"code": "no_such_warning"})
    with pytest.raises(ValueError, match="lacks the field 'days'"):
        labels.warning_text({"code": "stale_data", "last_day": "2025-12-31", "as_of": "x"})
