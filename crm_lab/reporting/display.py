"""Tables and figures into what a report page shows: formatted tables, cards, metrics.

These are the helpers report templates call (templates hold no logic of their own). Tables
are shown with readable, translated headers; groups smaller than ``privacy.MIN_GROUP`` are
suppressed by ``privacy.suppress_small`` before they reach a page.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pandas as pd

__all__ = ["kpi_cards", "notebook_setup", "show_table", "write_metrics"]

# column name -> (English, Chinese) header shown in reports
COLUMN_LABELS = {
    "segment": ("Segment", "客户分群"),
    "customers": ("Customers", "客户数"),
    "customer_share": ("Share of customers", "客户占比"),
    "revenue": ("Revenue", "收入"),
    "revenue_share": ("Share of revenue", "收入占比"),
    "value_tier": ("Value tier", "价值层级"),
    "tag": ("Tag", "标签"),
    "stage": ("Stage", "生命周期阶段"),
    "stage_before": ("Stage before the period", "期初阶段"),
    "new": ("New", "新进入"),
    "moved_up": ("Moved up", "上升"),
    "same": ("Unchanged", "不变"),
    "moved_down": ("Moved down", "下降"),
    "changed": ("Changed", "变化"),
    "churn_risk": ("Churn risk", "流失风险"),
    "avg_p_alive": ("Still active (avg probability)", "仍活跃的平均概率"),
    "expected_purchases": ("Expected purchases", "预计购买次数"),
    "clv": ("Predicted value", "预测价值"),
    "clv_share": ("Share of predicted value", "预测价值占比"),
    "past_purchases": ("Repeat purchases before", "此前重复购买次数"),
    "actual": ("Actual per customer", "人均实际"),
    "predicted": ("Predicted per customer", "人均预测"),
    "avg_recency_days": ("Days since last order (avg)", "距上次购买天数（平均）"),
    "avg_frequency": ("Orders (avg)", "订单数（平均）"),
    "avg_monetary": ("Spend (avg)", "消费额（平均）"),
    "table": ("Table", "数据表"),
    "rows_in": ("Rows read", "读入行数"),
    "rows_clean": ("Clean", "干净"),
    "rows_quarantined": ("Quarantined", "隔离"),
    "rows_merged": ("Merged", "合并"),
    "clean_share": ("Clean share", "干净占比"),
    "column": ("Column", "字段"),
    "rule": ("Rule", "规则"),
    "action": ("Action", "处理"),
    "count": ("Count", "数量"),
    "file": ("File", "文件"),
    "line": ("Line", "行号"),
    "value": ("Value (masked)", "值（已脱敏）"),
    "reason": ("Reason", "原因"),
    "records_merged": ("Records merged", "合并记录数"),
    "customers_affected": ("Customers", "涉及客户"),
    "kind": ("Kind", "类型"),
    "lines": ("Lines", "行数"),
    "invoices": ("Invoices", "订单数"),
    "amount": ("Amount", "金额"),
    "first": ("First", "最早"),
    "last": ("Last", "最晚"),
    "days_since_last": ("Days since last", "距今天数"),
    "months": ("Months", "月数"),
    "months_without_rows": ("Months without rows", "无数据月数"),
    "metric": ("Figure", "指标"),
    "this_period": ("This period", "本期"),
    "previous_period": ("Previous period", "上期"),
    "change": ("Change", "环比"),
    "year_ago": ("A year before", "去年同期"),
    "change_year": ("Change on a year", "同比"),
    "report": ("Report", "报告"),
    "antecedent": ("Bought", "已购买"),
    "consequent": ("Also buys", "也会购买"),
    "support": ("Share of baskets", "篮子占比"),
    "confidence": ("Confidence", "置信度"),
    "lift": ("Lift", "提升度"),
    "bundle": ("Bundle", "组合"),
    "item": ("Item", "商品/品类"),
    "peak_month": ("Peak month", "高峰月份"),
    "peak_index": ("Peak vs average", "高峰/平均"),
    "low_month": ("Lowest month", "最低月份"),
    "peak_week": ("Peak week", "高峰周"),
    "low_week": ("Lowest week", "最低周"),
    "stock_up_by": ("Stock up by", "备货截止"),
    "other": ("Other record", "另一条记录"),
    "name": ("Name (masked)", "姓名（已脱敏）"),
    "other_name": ("Other name (masked)", "另一姓名（已脱敏）"),
    "phone": ("Phone (masked)", "电话（已脱敏）"),
    "other_phone": ("Other phone (masked)", "另一电话（已脱敏）"),
    "customer": ("Customer (pseudonym)", "客户（化名）"),
    "active_customers": ("Active customers", "活跃客户"),
    "new_customers": ("New customers", "新客户"),
    "period_orders": ("Orders in period", "本期订单"),
    "period_revenue": ("Revenue in period", "本期收入"),
    "customers_to_date": ("Customers to date", "累计购买客户"),
    "data_quality_clean_share": ("Clean rows", "干净数据占比"),
    "recommendation_hit_rate_share": ("Recommendation hit rate", "推荐命中率"),
}
_CARD_LABELS = {
    "active_customers": ("Active customers (period)", "本期活跃客户"),
    "new_customers": ("New customers (period)", "本期新客户"),
    "period_orders": ("Orders (period)", "本期订单"),
    "period_revenue": ("Revenue (period)", "本期收入"),
    "customers": ("Buying customers", "购买客户"),
    "orders": ("Orders", "订单数"),
    "revenue": ("Revenue (gross sales)", "收入（销售额）"),
    "anonymous_revenue_share": ("Revenue without a customer id", "无客户ID的收入占比"),
    "cancelled_amount": ("Cancelled", "取消金额"),
    "returned_amount": ("Returned", "退货金额"),
    "rows_in": ("Rows read", "读入行数"),
    "rows_clean": ("Clean rows", "干净行数"),
    "clean_share": ("Clean share", "干净占比"),
    "rows_quarantined": ("Rows quarantined", "隔离行数"),
    "values_quarantined": ("Values quarantined", "隔离值数"),
    "duplicate_customers_merged": ("Duplicate customers merged", "合并重复客户"),
    "sales_without_customer_share": ("Sales without customer id", "无客户ID的销售占比"),
    "rules": ("Rules found", "关联规则数"),
    "customers_evaluated": ("Customers in the holdout", "回测客户数"),
    "hit_rate_share": ("Hit rate at N: rules", "命中率（规则推荐）"),
    "baseline_hit_rate_share": ("Hit rate at N: most popular", "命中率（热门商品）"),
    "customers_moved_up": ("Customers who moved up", "上升的客户"),
    "customers_moved_down": ("Customers who moved down", "下降的客户"),
    "customers_new_to_segments": ("New to the segments", "新进入分群的客户"),
    "customers_modelled": ("Customers modelled", "建模客户数"),
    "predicted_value": ("Predicted value over the horizon", "预测期内的预测价值"),
    "active_customer_share": ("Likely still active", "可能仍活跃"),
    "value_at_risk_share": ("Value held by at-risk customers", "风险客户的价值占比"),
    "holdout_error_share": ("Holdout: predicted vs actual", "回测：预测与实际之差"),
}


def label(key: str, *, lang: str = "en") -> str:
    """Return the display header of a column or figure in English or Chinese."""
    pair = COLUMN_LABELS.get(key) or _CARD_LABELS.get(key)
    if pair is None and key.startswith("segment_"):
        from crm_lab.value.rfm import segment_label

        name = key[len("segment_") :]
        return f"{'分群' if lang == 'zh' else 'Segment'}: {segment_label(name, lang=lang)}"
    if pair is None:
        return key.replace("_", " ")
    return pair[1] if lang == "zh" else pair[0]


_TABLES = [0]


def styler(frame: pd.DataFrame):
    """A pandas Styler with an id that depends on the table's place on the page, not chance.

    pandas gives each styled table a random id; numbering them keeps the same input's page
    identical byte for byte between runs.
    """
    _TABLES[0] += 1
    return frame.style.set_uuid(f"t{_TABLES[0]}")


def notebook_setup() -> None:
    """Prepare a report kernel: SVG charts with live text and stable ids, readable tables."""
    # the same input gives the same page, byte for byte: no timestamp in SVG metadata (the
    # charts' ids are fixed by plots.use_svg, which each chart calls)
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    _TABLES[0] = 0
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_columns", 30)


def show_table(
    frame: pd.DataFrame,
    *,
    percent=(),
    money=(),
    decimals=(),
    counts=(),
    shade=(),
    lang: str = "en",
):
    """Format a table for a report: translated headers, percentages, thousands separators.

    Parameters
    ----------
    frame : DataFrame
        The table to show (not modified).
    percent, money, decimals, counts : sequence of str
        Columns shown as 12.3 %, as 1,234, with one decimal, and as whole numbers (counts
        that ``privacy.suppress_small`` turned into floats to blank small groups).
    shade : sequence of str
        Columns shaded red (low) to green (high) on a 0..1 scale, for shares.
    lang : {"en", "zh"}
        Language of the headers.
    """
    formats = {c: "{:.1%}" for c in percent}
    formats.update({c: "{:,.0f}" for c in money})
    formats.update({c: "{:,.1f}" for c in decimals})
    formats.update({c: "{:,.0f}" for c in counts})
    for col in frame.columns:
        if col not in formats and pd.api.types.is_integer_dtype(frame[col].dtype):
            formats[col] = "{:,}"
    styled = styler(frame).format(formats, na_rep="–").hide(axis="index")
    if shade:
        styled = styled.background_gradient(
            cmap="RdYlGn", vmin=0.0, vmax=1.0, subset=list(shade)
        ).highlight_null(color="#ffffff", subset=list(shade))
    return styled.relabel_index([label(c, lang=lang) for c in frame.columns], axis="columns")


def kpi_cards(headline: dict, *, lang: str = "en"):
    """Show a dict of headline figures as a row of labelled cards (HTML for a notebook cell)."""
    from IPython.display import HTML

    cards = []
    for key, labels in _CARD_LABELS.items():
        if key not in headline or headline[key] is None:
            continue
        value = headline[key]
        text = f"{value:.1%}" if key.endswith("_share") else f"{value:,.0f}"
        cards.append(
            f"<div class='crm-kpi'><div class='v'>{html.escape(text)}</div>"
            f"<div class='l'>{html.escape(labels[1] if lang == 'zh' else labels[0])}</div></div>"
        )
    return HTML(f"<div class='crm-kpis'>{''.join(cards)}</div>")


def write_metrics(metrics: dict, path: str) -> None:
    """Write a template's headline metrics as JSON: the index and the summary read it.

    Writing it is the template's success marker, so it is the last cell of every template.
    An empty ``path`` writes nothing (a template opened by hand in JupyterLab).
    """
    if not path:
        return
    Path(path).write_text(json.dumps(metrics, ensure_ascii=False, indent=1, default=str), "utf-8")
