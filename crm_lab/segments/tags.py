"""Per-customer figures and declarative rules into tags, each with its evidence.

A rule names a tag and the conditions that must all hold, each on one figure of
``tag_figures``: a comparison with a number (``{"figure": "days_since_last", "op": ">",
"value": 180}``), with a multiple of another figure (``{"figure": "days_since_last", "op":
">", "times": 2, "of": "median_gap_days"}``), or ``top_share`` (the customer is among the top
``value`` share by the figure, of those above zero; ties at the line all in). Rules are data,
never code: ``ingest.read_tag_rules`` reads them from a YAML file the user edits (the shipped
one, ``crm_lab/ingest/tags.yaml``, holds new, returning, VIP, at risk, dormant and frequent
complainer), and ``check_rules`` refuses a rule that names an unknown figure or operator,
saying which rule and what was expected.

``apply_rules`` returns, per customer, the tags that hold and the evidence for each: which
rule, which values ("at_risk: ...; days_since_last 210 > 2 x median_gap_days 45 = 90; ...").
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crm_lab import engine
from crm_lab.core.lines import as_of_day, day_end

__all__ = ["FIGURES", "OPS", "apply_rules", "check_rules", "tag_figures"]

FIGURES = ("purchase_days", "days_since_first", "days_since_last", "median_gap_days",
           "recent_spend", "revenue", "tickets", "unresolved_tickets", "satisfaction")  # fmt: skip
OPS = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal,
       "==": np.equal, "!=": np.not_equal}  # fmt: skip
TOP = "top_share"


def tag_figures(
    transactions: pd.DataFrame,
    *,
    as_of,
    tickets: pd.DataFrame | None = None,
    window_days: int = 365,
) -> pd.DataFrame:
    """Order lines (and service tickets) into the figures tag rules read, per customer who
    has bought, as of a day.

    ``purchase_days``, ``days_since_first``, ``days_since_last``, ``median_gap_days``
    (between purchase days; NaN with one), ``recent_spend`` (the last ``window_days``),
    ``revenue`` (to date); with tickets, ``tickets``, ``unresolved_tickets`` and
    ``satisfaction`` (mean rating) over the same window. Days are whole days, a purchase on
    ``as_of`` 0 days ago, and every sale line counts, as in ``classify.customer_tags``.

    >>> tx = pd.DataFrame({"invoice_id": ["1", "2"], "customer_id": ["a", "a"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-11"]),
    ...     "quantity": [1.0, 1.0], "amount": [5.0, 7.0], "line_type": ["sale", "sale"]})
    >>> tag_figures(tx, as_of="2024-01-31")[["days_since_last", "median_gap_days", "revenue"]]
       days_since_last  median_gap_days  revenue
    0               20             10.0     12.0
    """
    day, end = as_of_day(as_of), day_end(as_of)
    days = engine.purchase_days(transactions, end=end, any_amount=True)
    gaps = days.groupby("customer_id")["day"].diff().dt.days
    per = days.assign(gap=gaps).groupby("customer_id")
    out = pd.DataFrame({
        "purchase_days": per.size(),
        "days_since_first": (day - per["day"].min()).dt.days,
        "days_since_last": (day - per["day"].max()).dt.days,
        "median_gap_days": per["gap"].median(),
        "revenue": per["amount"].sum(),
    })  # fmt: skip
    recent = days[days["day"] > day - pd.Timedelta(days=window_days)]
    out["recent_spend"] = recent.groupby("customer_id")["amount"].sum()
    out["recent_spend"] = out["recent_spend"].fillna(0.0)
    if tickets is not None:
        start = end - pd.Timedelta(days=window_days)
        counts = engine.ticket_counts(tickets, end=end, start=start).set_index("customer_id")
        out["tickets"] = counts["tickets"].reindex(out.index).fillna(0).astype("int64")
        out["unresolved_tickets"] = counts["unresolved"].reindex(out.index).fillna(0)
        out["satisfaction"] = counts["satisfaction"].reindex(out.index)
    return out.rename_axis("customer_id").reset_index()


def check_rules(rules, *, figures=FIGURES, source: str = "tag rules") -> list[dict]:
    """Tag rules (a list of ``{"tag": name, "all": [conditions]}``) into the same list once
    checked, or a ``ValueError`` naming the rule, the condition and what was expected.

    >>> check_rules([{"tag": "x", "all": [{"figure": "age", "op": ">", "value": 1}]}])
    Traceback (most recent call last):
    ...
    ValueError: tag rules, rule 1 (x), condition 1: figure 'age' is not one of ...
    """
    if not isinstance(rules, list) or not rules:
        raise ValueError(f"{source}: expected a list of rules, each {{tag: ..., all: [...]}}")
    seen = set()
    for i, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or not isinstance(rule.get("tag"), str) or not rule["tag"]:
            raise ValueError(f"{source}, rule {i}: expected a mapping with a 'tag' name")
        where = f"{source}, rule {i} ({rule['tag']})"
        if rule["tag"] in ("customer_id", "tags", "evidence", *FIGURES):
            raise ValueError(f"{where}: the name is taken (a column of the tags table)")
        if rule["tag"] in seen:
            raise ValueError(f"{where}: an earlier rule names the same tag")
        seen.add(rule["tag"])
        conditions = rule.get("all")
        if not isinstance(conditions, list) or not conditions:
            raise ValueError(f"{where}: expected 'all' with a list of conditions")
        for j, c in enumerate(conditions, start=1):
            _check_condition(c, at=f"{where}, condition {j}", figures=figures)
    return rules


def _check_condition(c, *, at: str, figures) -> None:
    if not isinstance(c, dict):
        raise ValueError(f"{at}: expected a mapping of figure, op and value")
    unknown = set(c) - {"figure", "op", "value", "times", "of"}
    if unknown:
        raise ValueError(f"{at}: unknown key(s) {sorted(unknown)}; expected figure, op, value "
                         "(or times and of)")  # fmt: skip
    if c.get("figure") not in figures:
        raise ValueError(f"{at}: figure {c.get('figure')!r} is not one of {', '.join(figures)}")
    if c.get("op") not in (*OPS, TOP):
        raise ValueError(f"{at}: op {c.get('op')!r} is not one of {', '.join([*OPS, TOP])}")
    if "of" in c:
        if c["of"] not in figures or not _number(c.get("times", 1)):
            raise ValueError(f"{at}: 'of' must name a figure and 'times' be a number")
        if c["op"] == TOP:
            raise ValueError(f"{at}: top_share compares with a share ('value'), not 'of'")
    elif not _number(c.get("value")):
        raise ValueError(f"{at}: expected a number as 'value', got {c.get('value')!r}")
    if c["op"] == TOP and not 0 < float(c["value"]) <= 1:
        raise ValueError(f"{at}: top_share needs a share above 0 and at most 1")


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(value) -> str:
    return "none" if pd.isna(value) else f"{float(value):g}"


def apply_rules(figures: pd.DataFrame, rules) -> pd.DataFrame:
    """Per-customer figures (``tag_figures``) and checked tag rules into each one's tags.

    Returns ``customer_id``, one boolean column per tag (in the rules' order), ``tags`` (the
    tags that hold, comma-separated, as ``classify.customer_tags`` writes them) and
    ``evidence`` (per tag that holds, its conditions with the customer's values, tags
    separated by " | "). A condition on a missing figure (no ticket table, one purchase day
    and so no gap) does not hold.

    >>> f = pd.DataFrame({"customer_id": ["a", "b"], "days_since_last": [200, 10]})
    >>> rules = [{"tag": "dormant", "all": [
    ...     {"figure": "days_since_last", "op": ">", "value": 180}]}]
    >>> apply_rules(f, rules)["evidence"].tolist()
    ['dormant: days_since_last 200 > 180', '']
    """
    out = pd.DataFrame({"customer_id": figures["customer_id"].to_numpy()})
    evidence = [[] for _ in range(len(figures))]
    for rule in rules:
        holds = np.ones(len(figures), dtype=bool)
        parts = []
        for c in rule["all"]:
            if c["figure"] not in figures or c.get("of", c["figure"]) not in figures:
                holds[:] = False  # a table not given: the condition cannot hold
                continue
            ok, text = _condition(figures, c)
            holds &= ok
            parts.append(text)
        out[rule["tag"]] = holds
        for i in np.flatnonzero(holds):
            evidence[i].append(f"{rule['tag']}: " + "; ".join(p[i] for p in parts))
    names = [r["tag"] for r in rules]
    flags = out[names].to_numpy()
    out["tags"] = [", ".join(t for t, on in zip(names, row, strict=True) if on) for row in flags]
    out["evidence"] = [" | ".join(e) for e in evidence]
    return out


def _condition(figures: pd.DataFrame, c: dict) -> tuple[np.ndarray, list[str]]:
    x = figures[c["figure"]].astype("float64").to_numpy()
    name = c["figure"]
    if c["op"] == TOP:
        share = float(c["value"])
        ok, line = _top_share(x, share)
        text = [f"{name} {_text(v)} in the top {share:.0%} (from {_text(line)})" for v in x]
    elif "of" in c:
        times = float(c.get("times", 1))
        other = figures[c["of"]].astype("float64").to_numpy()
        ok = OPS[c["op"]](x, other * times)
        text = [f"{name} {_text(a)} {c['op']} {_text(times)} x {c['of']} {_text(b)} = "
                f"{_text(b * times)}" for a, b in zip(x, other, strict=True)]  # fmt: skip
        ok = ok & ~np.isnan(other)
    else:
        ok = OPS[c["op"]](x, float(c["value"]))
        text = [f"{name} {_text(v)} {c['op']} {_text(c['value'])}" for v in x]
    return np.asarray(ok, dtype=bool) & ~np.isnan(x), text


def _top_share(x: np.ndarray, share: float) -> tuple[np.ndarray, float]:
    """The customers in the top ``share`` by ``x`` among those above zero, ties at the line
    all in (as ``classify.customer_tags`` picks its VIPs), and the line's value."""
    above = x[x > 0]
    if len(above) == 0:
        return np.zeros(len(x), dtype=bool), np.nan
    # rounded first: 0.07 * 100 is 7.000000000000001, whose ceiling would be 8
    rank = max(1, int(np.ceil(round(share * len(above), 9))))
    line = float(np.sort(above)[::-1][rank - 1])
    return (x >= line) & (x > 0), line
