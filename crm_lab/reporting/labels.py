"""Keys and codes into what a reader sees: every English and Chinese label, every number format.

The analyses return column names, headline keys and codes (``champions``, tier ``high``,
stage ``churned``); this module is the one place that turns them into display text in English
(``en``) or Chinese (``zh``), and that knows how each figure is written (money, percent,
count, days, decimal). ``display``, ``plots`` and ``summary`` read it; nothing else holds
display text.

- ``label(key, lang=)``: a column header or a figure's name (on a table, a card or a chart);
- ``code_label(kind, code, lang=)``: the name of a code of one kind (``segment``, ``tier``,
  ``risk``, ``stage``, ``tag``), and of ``migration.NEW`` / ``migration.GONE``;
- ``format_value(key, value)``: a figure as text in its declared format (``FORMATS``);
- ``warning_text(warning, lang=)``: a warning (a code and its figures) as a sentence;
- ``feature_label``, ``trait_text``, ``cluster_name``, ``cluster_description``: a cluster
  portrait's features, traits and generated name and description (``segments.clusters``);
  ``name_clusters`` makes the page's cluster ids codes of kind ``cluster``.
"""

from __future__ import annotations

import math
from numbers import Number

from crm_lab.segments.migration import GONE, NEW

__all__ = [
    "CODES",
    "CODE_COLUMNS",
    "FORMATS",
    "LANGS",
    "MISSING",
    "SPECS",
    "code_label",
    "format_spec",
    "format_value",
    "header",
    "label",
    "WARNINGS",
    "GLOSSARY",
    "channel_label",
    "cluster_description",
    "cluster_name",
    "feature_label",
    "name_clusters",
    "trait_text",
    "warning_text",
]

LANGS = ("en", "zh")
MISSING = "–"  # a figure that is missing or suppressed

# column name or headline key -> (English, Chinese): table headers and figure names
LABELS: dict[str, tuple[str, str]] = {
    # the index page
    "index_title": ("crm_lab reports", "crm_lab 报告"),
    "index_intro": (
        "One row per period, newest first; the small lines show the trend over the periods.",
        "每行一个报告期，最新在上；迷你折线为最近各期的走势。",
    ),
    "index_period": ("Period", "报告期"),
    "index_reports": ("Reports", "报告"),
    "index_none": ("No reports yet.", "尚无报告。"),
    "index_stale": ("last good run", "上次成功运行"),
    "index_skipped": ("skipped", "已跳过"),
    "index_failed": ("failed this run", "本次运行失败"),
    "segment": ("Segment", "客户分群"),
    "customers": ("Customers", "客户数"),
    # the segments page (segments.clusters, reporting.portraits)
    "cluster": ("Cluster", "聚类群组"),
    "cluster_before": ("Cluster before the period", "期初群组"),
    "top_categories": ("Top categories (by spend)", "主要品类（按消费）"),
    "top_channels": ("Top channels (by orders)", "主要渠道（按订单）"),
    "typical": ("Typical customer", "典型客户"),
    "description": ("Portrait", "画像"),
    "clusters": ("Clusters", "群组数"),
    "silhouette": ("Silhouette (higher is better)", "轮廓系数（越高越好）"),
    "davies_bouldin": ("Davies-Bouldin (lower is better)", "Davies-Bouldin 指数（越低越好）"),
    "calinski_harabasz": (
        "Calinski-Harabasz (higher is better)",
        "Calinski-Harabasz 指数（越高越好）",
    ),
    "chosen": ("Chosen", "选用"),
    "customers_clustered": ("Customers clustered", "参与聚类客户"),
    "cluster_stability": ("Stability (agreement of refits)", "稳定性（重复拟合一致度）"),
    "clusters_continued": ("Clusters found again", "延续的群组"),
    # the migration page (reporting.moves, segments.cohorts, segments.loyalty)
    "value_tier_before": ("Value tier before the period", "期初价值层级"),
    "before": ("Before the period", "期初"),
    "after": ("Now", "当前"),
    "net_change": ("Change (customers)", "变化（客户数）"),
    "glossary": ("The words for a customer's state", "客户状态用语"),
    "segment_moved_up": ("Moved up a segment", "分群上升"),
    "segment_moved_down": ("Moved down a segment", "分群下降"),
    "stage_moved_up": ("Moved up a stage", "阶段上升"),
    "stage_moved_down": ("Moved down a stage", "阶段下降"),
    "change_share": ("Change (% of before)", "变化（占期初 %）"),
    "moved_in": ("Moved in", "迁入"),
    "moved_out": ("Moved out", "迁出"),
    "value_moved_out": ("Value of those who moved out", "迁出客户的价值"),
    "move": ("Move", "流向"),
    # the engagement-and-service page (reporting.engagement)
    "tickets": ("Tickets", "工单数"),
    "problem_type": ("Problem type", "问题类型"),
    "team": ("Team", "处理团队"),
    "priority": ("Priority", "优先级"),
    "ticket_channel": ("Came in by", "受理渠道"),
    "median_first_response_hours": ("First response, median (hours)", "首次响应中位数（小时）"),
    "median_resolution_hours": ("Resolution, median (hours)", "解决时长中位数（小时）"),
    "p90_resolution_hours": ("Resolution, 90th percentile (hours)", "解决时长 90 分位（小时）"),
    "breach_share": ("Past due (share of tickets due)", "超时比例（占有期限的工单）"),
    "resolution_share": ("Resolved by the as-of day", "截止日前已解决比例"),
    "open_tickets": ("Open on the as-of day", "截止日未解决"),
    "reopened_share": ("Reopened (share of resolved)", "重开比例（占已解决）"),
    "csat_mean": ("Satisfaction, mean (1-5)", "满意度均值（1-5）"),
    "csat_low": ("Satisfaction, 95% low", "满意度 95% 下限"),
    "csat_high": ("Satisfaction, 95% high", "满意度 95% 上限"),
    "share": ("Share", "占比"),
    "cumulative_share": ("Cumulative share", "累计占比"),
    "age_days": ("Open for (days)", "已开启天数"),
    "band": ("First response within (hours)", "首次响应时长（小时）"),
    "ticket_group": ("Their first ticket", "其首张工单"),
    "rated_tickets": ("Rated (resolved by the as-of day)", "已评分（截止日前已解决）"),
    "difference": ("Slow minus on time (points of share)", "慢减及时（比例差）"),
    "difference_low": ("Difference, 95% low", "差值 95% 下限"),
    "difference_high": ("Difference, 95% high", "差值 95% 上限"),
    "slow_hours": ("Slow: not resolved within (hours)", "慢：未在此时长内解决（小时）"),
    "stopped": ("Stopped buying", "停止购买"),
    "stopped_share": ("Stopped buying (share)", "停止购买比例"),
    "stopped_low": ("Stopped, 95% low", "停止购买 95% 下限"),
    "stopped_high": ("Stopped, 95% high", "停止购买 95% 上限"),
    "contact_status": ("Contact status", "联系状态"),
    "contact_channel": ("Channel", "联系渠道"),
    "contacts": ("Contacts", "联系次数"),
    "conversions": ("Followed by a purchase within 7 days", "7 天内购买次数"),
    "rate": ("Purchase rate after a contact", "联系后购买率"),
    "rate_low": ("Rate, 95% low", "购买率 95% 下限"),
    "rate_high": ("Rate, 95% high", "购买率 95% 上限"),
    "best_channel": ("Best channel", "最佳渠道"),
    "runner_up_channel": ("Next best", "次佳渠道"),
    "clearly": ("Ahead beyond chance", "领先超出偶然"),
    "channel_clearly": ("Channel ahead beyond chance", "渠道领先超出偶然"),
    "best_weekday": ("Best weekday", "最佳星期"),
    "weekday_clearly": ("Weekday ahead beyond chance", "星期领先超出偶然"),
    "best_hour": ("Best hour", "最佳时段（点）"),
    "hour_clearly": ("Hour ahead beyond chance", "时段领先超出偶然"),
    "weekday": ("Weekday", "星期"),
    "hour": ("Hour of the day", "时段（点）"),
    "week": ("Week before the day", "之前第几周"),
    "per_purchase": ("Before a purchase", "购买前"),
    "per_no_purchase": ("Before a day without purchase", "无购买日前"),
    "per_went_silent": ("Before a last purchase (then silent)", "最后一次购买前（此后沉默）"),
    "per_bought_again": ("Before a purchase followed by another", "之后仍有购买的购买前"),
    "tickets_opened": ("Tickets opened (period)", "本期新开工单"),
    "repeat_contact_share": (
        "Repeat contacts (same problem within 7 days)",
        "重复来电（7 天内同一问题）",
    ),
    "silent_customer_share": (
        "Silent customers (no contact in 90 days)",
        "沉默客户（90 天无联系）",
    ),
    **{
        f"share_{code}": pair
        for code, pair in (
            ("phone", ("Phone", "电话")),
            ("email", ("E-mail", "邮件")),
            ("chat", ("Chat", "在线聊天")),
            ("meeting", ("Meeting", "面谈")),
            ("social", ("Social media", "社交媒体")),
            ("sms", ("SMS", "短信")),
            ("other", ("Other", "其他")),
        )
    },
    "points_band": (
        "Points band (Q4: the quarter with most)",
        "积分分档（Q4：积分最多的四分之一）",
    ),
    "value_at_stake": ("Value at stake", "涉及价值"),
    "value_share": ("Share of all value", "占全部价值"),
    "tier": ("Membership tier", "会员等级"),
    "active_share": ("Still active (bought in the last year)", "仍活跃（近一年有购买）"),
    "active_low": ("95% interval from", "95% 区间下限"),
    "active_high": ("to", "上限"),
    "mean_revenue": ("Mean revenue to date", "人均累计收入"),
    "revenue_low": ("95% interval from", "95% 区间下限"),
    "revenue_high": ("to", "上限"),
    "mean_predicted_value": ("Mean predicted value (12 months)", "人均预测价值（12 个月）"),
    "predicted_low": ("95% interval from", "95% 区间下限"),
    "predicted_high": ("to", "上限"),
    "cohort": ("First-purchase month", "首购月份"),
    "months_since": ("Months since the first purchase", "首购后月数"),
    "baskets": ("Baskets", "篮子数"),
    # under a table or chart that hides small groups (display.show_table, the charts)
    "small_groups_note": (
        "Groups of fewer than {k} customers (or baskets) are not described: “<{k}” marks them "
        "and “–” the figures hidden with them, so that no total gives them back.",
        "少于 {k} 位客户（或 {k} 个篮子）的组不予描述：以“<{k}”标示，"
        "与之相关的数字以“–”隐去，以免由合计反推。",
    ),
    # under cards of which one or more is missing (display.kpi_cards)
    "withheld_note": (
        "“–”: not shown, as it would describe fewer than {k} customers (or baskets), or not "
        "available.",
        "“–”：不显示（会描述少于 {k} 位客户或 {k} 个篮子），或无此数据。",
    ),
    "customer_share": ("Share of customers", "客户占比"),
    "revenue": ("Revenue", "收入"),
    "revenue_share": ("Share of revenue", "收入占比"),
    "value_tier": ("Value tier", "价值层级"),
    "tag": ("Tag", "标签"),
    "stage": ("Stage", "生命周期阶段"),
    "stage_before": ("Stage before the period", "期初阶段"),
    "segment_before": ("Segment before the period", "期初分群"),
    "segment_after": ("Segment now", "当前分群"),
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
    "total": ("all", "合计"),
    "recency_days": ("Days since last order", "距上次购买天数"),
    "orders": ("Orders", "订单数"),
    "avg_recency_days": ("Days since last order (avg)", "距上次购买天数（平均）"),
    "avg_orders": ("Orders (avg)", "订单数（平均）"),
    "avg_revenue": ("Spend (avg)", "消费额（平均）"),
    "r_score": ("Recency score", "最近购买得分"),
    "f_score": ("Frequency score", "购买频次得分"),
    "m_score": ("Spend score", "消费金额得分"),
    "month": ("Month", "月份"),
    "table": ("Table", "数据表"),
    "rows_in": ("Rows read", "读入行数"),
    "rows_clean": ("Clean", "干净"),
    "rows_quarantined": ("Quarantined", "隔离"),
    "rows_merged": ("Merged", "合并"),
    "clean_share": ("Clean share", "干净占比"),
    "column": ("Column", "字段"),
    "rule": ("Rule", "规则"),
    "note": ("Note", "说明"),
    # quality.column_mapping: how each input file was read
    "profile": ("Export profile", "导出格式"),
    "read_by": ("Chosen", "确定方式"),
    "mapped": ("Columns ← headers", "字段 ← 表头"),
    "ignored": ("Headers not used", "未使用的表头"),
    "made": ("Columns made without a header", "无表头生成的字段"),
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
    "summary_warnings": ("Read with care", "请谨慎解读"),
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
    # headline figures (the cards, the executive summary and the index name them)
    "active_customers": ("Active customers", "活跃客户"),
    "new_customers": ("New this period", "本期新客户"),
    "period_orders": ("Orders in period", "本期订单"),
    "period_revenue": ("Revenue in period", "本期收入"),
    "customers_to_date": ("Customers to date", "累计购买客户"),
    "anonymous_revenue_share": ("Revenue without a customer id", "无客户ID的收入占比"),
    "cancelled_amount": ("Cancelled", "取消金额"),
    "returned_amount": ("Returned", "退货金额"),
    "values_quarantined": ("Values quarantined", "隔离值数"),
    "duplicate_customers_merged": ("Duplicate customers merged", "合并重复客户"),
    "sales_without_customer_share": ("Sales without customer id", "无客户ID的销售占比"),
    "data_quality_clean_share": ("Clean rows", "干净数据占比"),
    "rules": ("Rules found", "关联规则数"),
    "customers_evaluated": ("Customers in the holdout", "回测客户数"),
    "hit_rate": ("Hit rate at N: rules", "命中率（规则推荐）"),
    "baseline_hit_rate": ("Hit rate at N: most popular", "命中率（热门商品）"),
    "recommendation_hit_rate": ("Recommendation hit rate", "推荐命中率"),
    "customers_moved_up": ("Customers who moved up", "上升的客户"),
    "customers_moved_down": ("Customers who moved down", "下降的客户"),
    "customers_new_to_segments": ("New to the segments", "新进入分群的客户"),
    "customers_unchanged": ("Customers unchanged", "位置不变的客户"),
    "customers_changed_segment": ("Customers who changed segment", "换分群的客户"),
    "customers_gone": ("Customers gone", "已不在分群的客户"),
    "customers_modelled": ("Customers modelled", "建模客户数"),
    "predicted_value": ("Predicted value over the horizon", "预测期内的预测价值"),
    "active_customer_share": ("Likely still active", "可能仍活跃"),
    "value_at_risk_share": ("Value held by at-risk customers", "风险客户的价值占比"),
    "holdout_error": ("Holdout: predicted vs actual", "回测：预测与实际之差"),
    "holdout_days": ("Days held out to check the model", "回测天数"),
}
# where a card says more than the column header
CARD_LABELS: dict[str, tuple[str, str]] = {
    "active_customers": ("Active customers (period)", "本期活跃客户"),
    "new_customers": ("New customers (period)", "本期新客户"),
    "period_orders": ("Orders (period)", "本期订单"),
    "period_revenue": ("Revenue (period)", "本期收入"),
    "customers": ("Buying customers", "购买客户"),
    "revenue": ("Revenue (gross sales)", "收入（销售额）"),
    "rows_clean": ("Clean rows", "干净行数"),
    "rows_quarantined": ("Rows quarantined", "隔离行数"),
    "rows_merged": ("Rows merged", "合并行数"),
}
# where a chart's axis or legend says it differently
CHART_LABELS: dict[str, tuple[str, str]] = {
    "r_score": ("Recency score (5 = bought most recently)", "最近购买得分 (5 = 最近)"),
    "f_score": ("Frequency score (5 = most orders)", "购买频次得分 (5 = 最多)"),
    "revenue": ("Revenue by month", "每月收入"),
    "customers": ("Customers who bought", "购买客户数"),
    "past_purchases": ("Repeat purchases before the holdout", "回测期前的重复购买次数"),
    "purchases_per_customer": ("Purchases per customer in the holdout", "回测期内人均购买次数"),
    "actual": ("Actual", "实际"),
    "predicted": ("Predicted", "预测"),
    "flow_before": ("The day before the period", "期初前一天"),
    "flow_after": ("The as-of day", "截止日"),
    "months_since": ("Months since the first purchase", "首购后月数"),
    "cohort": ("First-purchase month", "首购月份"),
    "component_1": (
        "First principal component ({share:.0%} of the variance)",
        "第一主成分（解释 {share:.0%} 的方差）",
    ),
    "component_2": (
        "Second principal component ({share:.0%} of the variance)",
        "第二主成分（解释 {share:.0%} 的方差）",
    ),
    "difference": (
        "Difference from all clustered customers (standard deviations)",
        "与全部参与聚类客户的差异（标准差）",
    ),
}
_ON = {"table": {}, "card": CARD_LABELS, "chart": CHART_LABELS}
_SEGMENT_COUNT = ("Segment", "分群")  # "Segment: Champions", a segment's customer count

# kind -> code -> (English, Chinese); the analyses' constants list the codes (tests check that
# every one has a name here): rfm.SEGMENT_CODES, predict.TIERS, predict.RISKS,
# lifecycle.STAGES, classify.TAGS
CODES: dict[str, dict[str, tuple[str, str]]] = {
    "segment": {
        "champions": ("Champions", "冠军客户"),
        "loyal": ("Loyal", "忠诚客户"),
        "potential_loyalists": ("Potential Loyalists", "潜力客户"),
        "new_customers": ("New Customers", "新近客户"),
        "promising": ("Promising", "有望客户"),
        "need_attention": ("Need Attention", "需要关注"),
        "about_to_sleep": ("About to Sleep", "即将沉睡"),
        "at_risk": ("At Risk", "流失风险"),
        "cannot_lose_them": ("Cannot Lose Them", "不能失去"),
        "hibernating": ("Hibernating", "休眠客户"),
        "lost": ("Lost", "已流失"),
    },
    "tier": {"high": ("High", "高价值"), "medium": ("Medium", "中价值"), "low": ("Low", "低价值")},
    "risk": {
        "active": ("Likely active (70%+)", "很可能活跃（≥70%）"),
        "at_risk": ("Uncertain (30-70%)", "可能流失（30–70%）"),
        "likely_lost": ("Likely lost (under 30%)", "很可能已流失（<30%）"),
    },
    "stage": {
        "potential": ("Potential", "潜在客户"),
        "new": ("New (first 90 days)", "新客（首购 90 天内）"),
        "active": ("Active", "活跃客户"),
        "loyal": ("Regular (4+ days a year)", "常客（一年 4 天以上）"),
        "churned": ("Churned (a year silent)", "流失（一年未购）"),
    },
    "line_kind": {
        "sale": ("Sales", "销售"),
        "sale_without_customer_id": ("Sales without a customer id", "无客户ID的销售"),
        "cancellation": ("Cancellations", "取消"),
        "return": ("Returns", "退货"),
        "non_product": ("Postage, fees, vouchers", "运费、手续费、礼券"),
        "adjustment": ("Adjustments", "调整"),
    },
    "contact_channel": {  # the interactions' channels (core.schemas)
        "phone": ("Phone", "电话"),
        "email": ("E-mail", "邮件"),
        "chat": ("Chat", "在线聊天"),
        "meeting": ("Meeting", "面谈"),
        "social": ("Social media", "社交媒体"),
        "sms": ("SMS", "短信"),
        "other": ("Other", "其他"),
    },
    "contact_status": {  # service.interactions.activity_status
        "active": ("Active (a contact in 90 days)", "活跃（90 天内有联系）"),
        "silent": ("Silent (contacted before, not since)", "沉默（曾联系，近期无）"),
        "never": ("Never contacted", "从未联系"),
    },
    "ticket_group": {  # service.support.service_and_churn
        "slow": ("Slow or unresolved", "慢或未解决"),
        "on_time": ("Resolved in time", "及时解决"),
    },
    "weekday": {
        i: pair
        for i, pair in enumerate(
            (
                ("Monday", "周一"),
                ("Tuesday", "周二"),
                ("Wednesday", "周三"),
                ("Thursday", "周四"),
                ("Friday", "周五"),
                ("Saturday", "周六"),
                ("Sunday", "周日"),
            )
        )
    },
    "move": {  # migration.MOVES
        "new": ("New (first purchase in the period)", "新进入（本期首购）"),
        "up": ("Moved up", "上升"),
        "same": ("Unchanged", "不变"),
        "changed": ("Changed, neither up nor down", "变化（无升降）"),
        "down": ("Moved down", "下降"),
        "gone": ("Gone (no longer in the data)", "已不在（数据中已无此客户）"),
    },
    "read_by": {
        "profile_detected": ("detected from the header", "由表头识别"),
        "profile_chosen": ("chosen with --profile", "由 --profile 指定"),
        "generic_aliases": ("generic header names", "通用表头别名"),
    },
    # a run's clusters: filled per page by ``name_clusters`` (their names come from the data)
    "cluster": {},
    "tag": {
        "new": ("new (90 days)", "新客（90 天）"),
        "returning": ("returning", "回头客"),
        "vip": ("vip", "VIP"),
        "at_risk": ("overdue (2x their usual gap)", "超期未购（超过平常间隔两倍）"),
    },
}
# migration's markers for customers not there before or after, in a column of any kind
_MARKERS = {NEW: ("(new)", "（新进入）"), GONE: ("(gone)", "（已不在）")}
# columns whose values are codes, and their kind (a table's columns named by one of these hold
# codes of that kind as headers, as in ``lifecycle.stage_flow``)
CODE_COLUMNS: dict[str, str] = {
    "segment": "segment",
    "segment_before": "segment",
    "segment_after": "segment",
    "value_tier": "tier",
    "value_tier_before": "tier",
    "churn_risk": "risk",
    "stage": "stage",
    "stage_before": "stage",
    "tag": "tag",
    "cluster": "cluster",
    "cluster_before": "cluster",
    "kind": "line_kind",
    "read_by": "read_by",
    "move": "move",
    "contact_channel": "contact_channel",
    "best_channel": "contact_channel",
    "runner_up_channel": "contact_channel",
    "best_weekday": "weekday",
    "contact_status": "contact_status",
    "ticket_group": "ticket_group",
    "weekday": "weekday",
}

# how each kind of figure is written
SPECS: dict[str, str] = {
    "money": "{:,.0f}",
    "percent": "{:.1%}",
    "count": "{:,.0f}",
    "days": "{:,.0f}",
    "decimal": "{:,.1f}",
    "change": "{:+.1%}",
    "score": "{:.2f}",
}
_KINDS = {
    "percent": """customer_share revenue_share value_share clv_share avg_p_alive clean_share
        filled_share
        support confidence anonymous_revenue_share active_share active_low active_high
        sales_without_customer_share
        data_quality_clean_share active_customer_share value_at_risk_share holdout_error
        hit_rate baseline_hit_rate recommendation_hit_rate breach_share resolution_share
        reopened_share share cumulative_share stopped_share stopped_low stopped_high rate
        rate_low rate_high repeat_contact_share silent_customer_share difference difference_low
        difference_high share_phone share_email
        share_chat share_meeting share_social share_sms share_other""",
    "money": """revenue avg_revenue clv amount period_revenue cancelled_amount returned_amount
        predicted_value recent_spend expected_spend value_moved_out value_at_stake mean_revenue
        revenue_low
        revenue_high mean_predicted_value predicted_low predicted_high""",
    "count": """customers baskets orders new moved_up same moved_down changed rows_in rows_clean
        rows_quarantined rows_merged values_quarantined duplicate_customers_merged count lines
        invoices records_merged customers_affected months months_without_rows missing
        active_customers new_customers period_orders customers_to_date rules
        customers_evaluated customers_moved_up customers_moved_down customers_new_to_segments
        customers_unchanged customers_changed_segment customers_gone customers_modelled
        clusters customers_clustered clusters_continued before after moved_in moved_out
        net_change segment_moved_up segment_moved_down stage_moved_up stage_moved_down
        tickets open_tickets stopped contacts conversions tickets_opened rated_tickets""",
    "days": "recency_days tenure_days days_since_last median_gap_days holdout_days",
    "decimal": """avg_recency_days avg_orders expected_purchases actual predicted lift
        peak_index median_first_response_hours median_resolution_hours p90_resolution_hours
        csat_mean csat_low csat_high slow_hours""",
    "score": """silhouette davies_bouldin calinski_harabasz cluster_stability per_purchase
        per_no_purchase per_went_silent per_bought_again""",
    "change": "change change_year change_share",
}
# column or headline key -> kind of figure (a key of ``SPECS``)
FORMATS: dict[str, str] = {key: kind for kind, keys in _KINDS.items() for key in keys.split()}


# warning code -> (English, Chinese) sentences, ``str.format`` templates over the warning's
# fields. A warning is a dict ``{"code": ..., **fields}`` with JSON values: the runner's run
# warnings (in the manifest) and a template's own (its metrics' ``"warnings"``) are both read
# back through here by the pages, the index and the summary.
WARNINGS: dict[str, tuple[str, str]] = {
    "stale_data": (
        "The data ends on {last_day}, {days} days before the as-of day {as_of}: "
        "figures for the days after {last_day} are missing, not zero.",
        "数据截至 {last_day}，比截止日 {as_of} 早 {days} 天：{last_day} 之后的数字是缺失，不是零。",
    ),
    # clv.not_fitted: no customer with a repeat purchase of positive value up to the as-of day
    "model_degenerate": (
        "The purchase model could not learn from so few repeat buyers: its estimates run to "
        "their limits and predict nothing usable. No predictions are shown; the lifecycle "
        "tables are. It will learn once more customers have bought again.",
        "复购客户太少，购买模型无法从中学习：参数估计趋于极限，无法给出可用的预测。因此不显示预测，"
        "只显示生命周期表。待更多客户再次购买后即可建模。",
    ),
    "model_not_fitted": (
        "The purchase and value models cannot be fitted: no customer bought again, on a later "
        "day and for an amount, up to the as-of day (a short or small export). No predictions "
        "are shown; the lifecycle tables are.",
        "无法拟合购买模型和价值模型：截止日前没有客户在之后的某一天再次购买且金额大于零"
        "（导出的数据太短或太少）。因此不显示预测，只显示生命周期表。",
    ),
    # reporting.engagement: a section the data cannot give
    "section_without_table": (
        "This export has no {table} table: the sections that read it are left out.",
        "本次导出没有 {table} 表：依赖它的部分不显示。",
    ),
    "section_without_column": (
        "The {table} table has no {column} column: the figures that need it are left out.",
        "{table} 表中没有 {column} 列：依赖它的数字不显示。",
    ),
    "no_ticket_targets": (
        "The tickets have no due dates and no targets were given (the ticket_targets "
        "parameter, such as high=24; *=72 in hours): no ticket counts as past due.",
        "工单没有截止时间，也未设定时限（参数 ticket_targets，例如 high=24; *=72，单位小时）："
        "不计算超时。",
    ),
    # reporting.portraits.cluster_for_page: too few buyers for clusters
    "too_few_to_cluster": (
        "Only {customers} customers have bought by the as-of day: clusters need at least "
        "{minimum}, so this page has none yet.",
        "截止日前只有 {customers} 位客户有过购买：聚类至少需要 {minimum} 位，因此本页暂无群组。",
    ),
    # clv.dropout_check: the purchase model sees no drop-out, so its P(alive) says nothing
    "dropout_not_seen": (
        "The purchase model cannot tell which customers have stopped buying: the history is too "
        "short for it to see customers leave (it rates {sure_alive_pct}% of the "
        "{repeat_customers} repeat buyers at least 99% likely still active, and gives a "
        "{dropout_pct}% chance of leaving after a purchase). The share likely active and the "
        "value at risk are left out; the churn-risk figures are not reliable.",
        "购买模型无法判断哪些客户已不再购买：历史太短，模型看不到客户离开"
        "（它认为 {repeat_customers} 位回头客中 {sure_alive_pct}% 仍活跃的概率不低于 99%，"
        "每次购买后离开的概率仅为 {dropout_pct}%）。"
        "因此不显示“可能仍活跃”占比和风险价值；流失风险的数字不可靠。",
    ),
}


_PAGE = {"lang": "en"}  # the language of the page being built: set once by use_language


def use_language(lang: str) -> None:
    """Set the language of the page a kernel builds (``display.notebook_setup`` calls it).

    Every function here and in ``display``, ``plots`` and ``summary`` takes ``lang``; left out
    (None), it means this page language, so a template names its language once.
    """
    _PAGE["lang"] = language(lang)


def language(lang: str | None = None) -> str:
    """The language to use: ``lang`` itself, or the page language when it is None.

    >>> language("zh"), language()
    ('zh', 'en')
    """
    lang = _PAGE["lang"] if lang is None else lang
    if lang not in LANGS:
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    return lang


def _pick(pair: tuple[str, str], lang: str | None) -> str:
    return pair[LANGS.index(language(lang))]


def code_label(kind: str, code, *, lang: str | None = None) -> str:
    """Turn an analysis' code of one kind into its name in English or Chinese.

    Parameters
    ----------
    kind : {"segment", "tier", "risk", "stage", "tag"}
        What the code names (see ``CODES``).
    code : str
        The code (``"cannot_lose_them"``), or ``migration.NEW`` / ``migration.GONE``.
    lang : {"en", "zh"}, optional
        Language of the name; the page language (``use_language``) when omitted.

    Raises
    ------
    KeyError
        For an unknown kind or a code this module has no name for.

    Examples
    --------
    >>> code_label("segment", "cannot_lose_them"), code_label("tier", "high", lang="zh")
    ('Cannot Lose Them', '高价值')
    """
    if kind not in CODES:
        raise KeyError(f"no codes of kind {kind!r}; kinds are {sorted(CODES)}")
    pair = _MARKERS.get(code) or CODES[kind].get(code)
    if pair is None:
        raise KeyError(f"no label for the {kind} code {code!r} in crm_lab.reporting.labels")
    return _pick(pair, lang)


def label(key: str, *, lang: str | None = None, on: str = "table") -> str:
    """Turn a column name or headline key into its display name in English or Chinese.

    Parameters
    ----------
    key : str
        A column name or headline key; ``segment_<code>`` names a segment's customer count.
    lang : {"en", "zh"}, optional
        Language of the name; the page language (``use_language``) when omitted.
    on : {"table", "card", "chart"}
        Where it is shown: cards and charts use their own wording where they have one.

    Raises
    ------
    KeyError
        For a key this module has no label for.

    Examples
    --------
    >>> label("revenue"), label("revenue", on="card"), label("segment_lost", lang="zh")
    ('Revenue', 'Revenue (gross sales)', '分群: 已流失')
    """
    pair = _ON[on].get(key) or LABELS.get(key)
    if pair is not None:
        return _pick(pair, lang)
    code = key.removeprefix("segment_")
    if code != key and code in CODES["segment"]:
        return f"{_pick(_SEGMENT_COUNT, lang)}: {code_label('segment', code, lang=lang)}"
    raise KeyError(f"no label for {key!r}: add it to crm_lab.reporting.labels.LABELS")


def header(column, *, lang: str | None = None) -> str:
    """Turn a table's column name into its header: its label, else the name with spaces.

    Columns an analysis names after data (a completeness matrix's table names) have no label
    and are shown as they are, underscores as spaces.
    """
    lang = language(lang)
    try:
        return label(str(column), lang=lang)
    except KeyError:
        return str(column).replace("_", " ")


def format_spec(key: str) -> str | None:
    """Turn a column name or headline key into its ``str.format`` spec (None if it has none)."""
    kind = FORMATS.get(key)
    if kind is None and key.startswith("segment_"):
        kind = "count"
    return SPECS[kind] if kind else None


def format_value(key: str, value) -> str:
    """Write a figure as text in its key's declared format; missing values as ``MISSING``.

    Raises
    ------
    KeyError
        For a key without a declared format (see ``FORMATS``).

    Examples
    --------
    >>> format_value("revenue", 1234.5), format_value("clean_share", 0.9876)
    ('1,234', '98.8%')
    >>> format_value("holdout_error", None)
    '–'
    """
    spec = format_spec(key)
    if spec is None:
        raise KeyError(f"no format for {key!r}: add it to crm_lab.reporting.labels.FORMATS")
    if value is None or isinstance(value, bool) or not isinstance(value, Number):
        return MISSING
    if isinstance(value, float) and math.isnan(value):
        return MISSING
    return spec.format(value)


def warning_text(warning: dict, *, lang: str | None = None) -> str:
    """Turn a warning (``{"code": ..., **fields}``) into its sentence in English or Chinese.

    Raises
    ------
    ValueError
        For a warning without a known ``code`` (see ``WARNINGS``) or without a field its
        sentence names.

    Examples
    --------
    >>> warning_text({"code": "stale_data", "last_day": "2025-12-31", "days": 30,
    ...               "as_of": "2026-01-30"}).split(":")[0]
    'The data ends on 2025-12-31, 30 days before the as-of day 2026-01-30'
    """
    code = warning.get("code") if isinstance(warning, dict) else None
    if code not in WARNINGS:
        raise ValueError(
            f"warning {warning!r}: expected a dict whose 'code' is one of {sorted(WARNINGS)}"
        )
    try:
        return _pick(WARNINGS[code], lang).format(**warning)
    except (KeyError, IndexError) as exc:
        raise ValueError(f"warning {warning!r} lacks the field {exc} its sentence names") from None


# a customer feature (``segments.features``) -> (English, Chinese) name, and the words for a
# cluster above or below the population in it: (high en, low en, high zh, low zh)
FEATURES: dict[str, tuple[str, str]] = {
    "recency_days": ("Days since the last purchase", "距上次购买天数"),
    "purchase_days": ("Days with a purchase", "有购买的天数"),
    "revenue": ("Revenue to date", "累计收入"),
    "average_order_value": ("Average order value", "平均订单金额"),
    "tenure_days": ("Days since the first purchase", "距首次购买天数"),
    "interactions": ("Contacts in the last year", "近一年联系次数"),
    "days_since_interaction": ("Days since the last contact", "距上次联系天数"),
    "tickets": ("Service tickets in the last year", "近一年服务工单数"),
    "unresolved_tickets": ("Unresolved tickets", "未解决工单数"),
    "satisfaction": ("Service rating (1-5)", "服务评分（1-5）"),
    "campaigns_received": ("Campaigns received in the last year", "近一年收到的营销活动"),
    "open_rate": ("Campaigns opened", "营销打开率"),
    "conversion_rate": ("Campaigns converted", "营销转化率"),
    "age": ("Age", "年龄"),
    "points": ("Loyalty points", "会员积分"),
    "gender": ("Gender", "性别"),
    "occupation": ("Occupation", "职业"),
    "tier": ("Membership tier", "会员等级"),
    "category=": ("Share of spend on {}", "{}消费占比"),
    "channel=": ("Orders placed {}", "{}下单占比"),
    "contact=": ("Contacts by {}", "{}联系占比"),
}
_HIGH_LOW: dict[str, tuple[str, str, str, str]] = {
    "recency_days": ("long since a purchase", "recent buyers", "久未购买", "近期购买"),
    "purchase_days": ("frequent", "infrequent", "高频", "低频"),
    "revenue": ("high spend", "low spend", "高消费", "低消费"),
    "average_order_value": ("large orders", "small orders", "大额订单", "小额订单"),
    "tenure_days": ("long-standing", "recent", "老客户", "新近客户"),
    "interactions": ("often in contact", "rarely in contact", "联系频繁", "很少联系"),
    "days_since_interaction": ("not contacted lately", "contacted lately", "近期未联系",
                               "近期有联系"),
    "tickets": ("many tickets", "few tickets", "工单多", "工单少"),
    "unresolved_tickets": ("unresolved tickets", "tickets resolved", "有未解决工单", "工单已解决"),
    "satisfaction": ("satisfied", "dissatisfied", "满意", "不满意"),
    "campaigns_received": ("much marketing", "little marketing", "营销触达多", "营销触达少"),
    "open_rate": ("open campaigns", "ignore campaigns", "常打开营销", "少打开营销"),
    "conversion_rate": ("respond to campaigns", "rarely respond", "营销响应高", "营销响应低"),
    "age": ("older", "younger", "年长", "年轻"),
    "points": ("many points", "few points", "积分多", "积分少"),
}  # fmt: skip
# the sales channels and contact channels the pages name (others are shown as written)
_CHANNEL_WORDS: dict[str, tuple[str, str]] = {
    "online": ("online", "线上"), "store": ("in store", "门店"), "app": ("in the app", "App"),
    "phone": ("phone", "电话"), "email": ("e-mail", "邮件"), "chat": ("chat", "在线聊天"),
    "meeting": ("meetings", "面谈"), "social": ("social media", "社交媒体"), "sms": ("SMS", "短信"),
    "other": ("other channels", "其他渠道"),
    # classes of the customers table whose codes the pages name
    "F": ("women", "女性"), "M": ("men", "男性"),
}  # fmt: skip


def name_clusters(names: dict) -> None:
    """Make a page's cluster ids codes of kind ``cluster``: ``{id: (English, Chinese)}``.

    >>> name_clusters({1: ("Coffee · online", "Coffee · 线上")})
    >>> code_label("cluster", 1, lang="zh")
    'Coffee · 线上'
    """
    CODES["cluster"].clear()
    CODES["cluster"].update({int(k): tuple(v) for k, v in names.items()})


def channel_label(value: str, *, lang: str | None = None) -> str:
    """A sales or contact channel's code into its name (a code it does not know as written).

    >>> channel_label("store"), channel_label("email", lang="zh"), channel_label("kiosk")
    ('in store', '邮件', 'kiosk')
    """
    return _word(value, lang)


def _word(value: str, lang: str | None) -> str:
    pair = _CHANNEL_WORDS.get(value)
    return _pick(pair, lang) if pair else value


def feature_label(feature: str, *, lang: str | None = None) -> str:
    """A feature's code into its name: ``category=Tea`` -> "Share of spend on Tea";
    a class ``gender=F`` -> "Gender: F".

    >>> feature_label("channel=store"), feature_label("age", lang="zh")
    ('Orders placed in store', '年龄')
    """
    base, _, value = feature.partition("=")
    if value and f"{base}=" in FEATURES:
        return _pick(FEATURES[f"{base}="], lang).format(_word(value, lang))
    if value:
        return f"{_pick(FEATURES[base], lang)}: {value}"
    return _pick(FEATURES[feature], lang)


def trait_text(trait: dict, *, lang: str | None = None) -> str:
    """A trait (a row of ``clusters.portraits``' traits) into a short phrase for a name:
    a share or a class is its value ("Tea", "in store", "teacher"), a number is high or low.

    >>> trait_text({"feature": "category=Tea", "kind": "share", "difference": 1.2})
    'Tea'
    >>> trait_text({"feature": "age", "kind": "number", "difference": -0.8}, lang="zh")
    '年轻'
    """
    base, _, value = str(trait["feature"]).partition("=")
    if value:
        if trait.get("difference", 0) < 0:
            return f"{'少' if language(lang) == 'zh' else 'little '}{_word(value, lang)}"
        if base == "contact":
            return _word(value, lang) + (" contacts" if language(lang) == "en" else "联系")
        return _word(value, lang)
    words = _HIGH_LOW[base]
    zh = language(lang) == "zh"
    return words[(2 if zh else 0) + (0 if trait["difference"] > 0 else 1)]


def cluster_name(traits, *, lang: str | None = None) -> str:
    """A cluster's traits (most distinctive first) into its name: its first two, joined.

    >>> cluster_name([{"feature": "category=Tea", "kind": "share", "difference": 1.5},
    ...               {"feature": "channel=store", "kind": "share", "difference": 1.3}])
    'Tea · in store'
    """
    rows = [dict(t) for t in (traits.to_dict("records") if hasattr(traits, "to_dict") else traits)]
    rows = sorted(rows, key=lambda t: t.get("difference", 0) <= 0)  # what it has more of first
    return " · ".join(trait_text(t, lang=lang) for t in rows[:2]) or MISSING


def _trait_value(kind: str, feature: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if kind in ("share", "class") or feature in ("open_rate", "conversion_rate"):
        return f"{value:.0%}"
    if feature in ("revenue", "average_order_value"):
        return f"{value:,.0f}"
    return f"{value:,.1f}" if feature == "satisfaction" else f"{value:,.0f}"


def cluster_description(portrait: dict, traits, *, lang: str | None = None) -> str:
    """A cluster's portrait row and traits into one or two sentences: its size and shares,
    then each trait against all clustered customers.

    >>> text = cluster_description(
    ...     {"customers": 120, "customer_share": 0.3, "revenue_share": 0.45},
    ...     [{"feature": "category=Tea", "kind": "share", "value": 0.7, "population": 0.2,
    ...       "difference": 1.4}])
    >>> for sentence in text.split(". "):
    ...     print(sentence)
    120 customers (30% of those clustered, 45% of their revenue)
    Share of spend on Tea 70% (all: 20%).
    """
    zh = language(lang) == "zh"
    rows = traits.to_dict("records") if hasattr(traits, "to_dict") else list(traits)
    size = portrait["customers"]
    share, revenue = portrait["customer_share"], portrait.get("revenue_share")
    revenue_text = MISSING if revenue is None or math.isnan(revenue) else f"{revenue:.0%}"
    parts = []
    for t in rows:
        name = feature_label(t["feature"], lang=lang)
        value = _trait_value(t["kind"], t["feature"], t["value"])
        everyone = _trait_value(t["kind"], t["feature"], t["population"])
        parts.append(
            f"{name} {value}（全体：{everyone}）" if zh else f"{name} {value} (all: {everyone})"
        )
    if zh:
        head = f"{size:,} 位客户（占参与聚类客户的 {share:.0%}，收入的 {revenue_text}）。"
        return head + "；".join(parts) + ("。" if parts else "")
    head = f"{size:,} customers ({share:.0%} of those clustered, {revenue_text} of their revenue)."
    return head + (" " + "; ".join(parts) + "." if parts else "")


# the words for a customer's state, one definition each: (kind, code) -> (English definition,
# Chinese definition); the name is ``code_label(kind, code)``. Pages show them (display.glossary)
GLOSSARY: dict[tuple[str, str], tuple[str, str]] = {
    ("segment", "new_customers"): (
        "RFM segment: bought recently, once or twice so far (scores against other customers).",
        "RFM 分群：最近有购买，至今只买过一两次（与其他客户相比的得分）。",
    ),
    ("segment", "loyal"): (
        "RFM segment: buys often, though not the most recently.",
        "RFM 分群：购买频繁，但不是最近购买的。",
    ),
    ("segment", "at_risk"): (
        "RFM segment: bought often and spent well, but not for a while.",
        "RFM 分群：曾经购买频繁、消费不低，但已有一段时间未购买。",
    ),
    ("segment", "lost"): (
        "RFM segment: the least recent, least frequent buyers.",
        "RFM 分群：最久未购买、购买最少的客户。",
    ),
    ("stage", "potential"): ("Lifecycle stage: signed up, no purchase yet.",
                             "生命周期阶段：已注册，尚未购买。"),
    ("stage", "new"): ("Lifecycle stage: first purchase in the last 90 days.",
                       "生命周期阶段：最近 90 天内首次购买。"),
    ("stage", "active"): ("Lifecycle stage: any other customer who bought in the last year.",
                          "生命周期阶段：近一年内有购买的其他客户。"),
    ("stage", "loyal"): ("Lifecycle stage: purchases on four days or more in the last year.",
                         "生命周期阶段：近一年内在四天及以上有购买。"),
    ("stage", "churned"): ("Lifecycle stage: bought before, but not in the last year.",
                           "生命周期阶段：曾经购买，但近一年没有购买。"),
    ("risk", "active"): ("Model: at least a 70% chance the customer still buys (BG/NBD).",
                         "模型：仍在购买的概率至少 70%（BG/NBD）。"),
    ("risk", "at_risk"): ("Model: a 30-70% chance the customer still buys.",
                          "模型：仍在购买的概率为 30%–70%。"),
    ("risk", "likely_lost"): ("Model: under a 30% chance the customer still buys.",
                              "模型：仍在购买的概率低于 30%。"),
    ("tag", "new"): ("Tag: first purchase within the last 90 days.",
                     "标签：最近 90 天内首次购买。"),
    ("tag", "returning"): ("Tag: purchases on two days or more.", "标签：在两天及以上有购买。"),
    ("tag", "vip"): ("Tag: among the top 5% by spend in the last year.",
                     "标签：近一年消费额位列前 5%。"),
    ("tag", "at_risk"): (
        "Tag: a returning customer silent for over twice their own usual gap (and 30 days).",
        "标签：回头客沉默时间超过其平常购买间隔的两倍（且至少 30 天）。",
    ),
}  # fmt: skip
