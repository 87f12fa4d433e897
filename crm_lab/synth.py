"""Seeded demo data for all five canonical tables, with planted dirt and its ground truth.

The demo business sells coffee, tea, stationery, electronics, skincare and snacks online and in
stores in China and abroad. Purchase rates are heavy-tailed (a few customers buy most), demand is
seasonal (Double 11, 618, December; a dip at Spring Festival), some categories are bought together
(so association rules find something), customers fall into four planted behavioural groups (what
they buy most and where they order: ``truth["personas"]``), customers go silent (churn), and the
files carry the dirt
that real CRM exports carry: duplicate customers with variant spellings and phone formats, missing
values, cancellations and returns, anonymous sales and a few malformed dates. ``DemoData.truth``
records what was planted so tests can check that crm_lab finds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crm_lab.core.schemas import conform

__all__ = ["DemoData", "make_demo", "write_demo", "DEMO_FILES"]

_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
)
_GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "晨",
    "欣怡",
    "子涵",
    "浩然",
    "雨桐",
    "梓萱",
    "宇轩",
]
_FIRST = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Susan",
    "Oliver",
    "Emma",
    "Lucas",
    "Sophie",
    "Daniel",
    "Chloe",
]
_LAST = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Evans",
    "Walker",
    "Wright",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Lee",
    "Tan",
    "Ng",
    "Wong",
]
_COMPANY = [
    "Bluebay Gaming",
    "Northwind Traders",
    "Golden Lotus Trading",
    "Harbour Lights",
    "Silver Birch Studio",
    "Red Lantern Foods",
    "Apex Office Supply",
    "Jade River Tea",
]
_CN_CITIES = ["上海", "北京", "广州", "深圳", "杭州", "成都", "南京", "武汉", "西安", "苏州"]
_EN_CITIES = [
    ("London", "United Kingdom"),
    ("Manchester", "United Kingdom"),
    ("New York", "United States"),
    ("Singapore", "Singapore"),
    ("Sydney", "Australia"),
    ("Hong Kong", "China"),
]
_OCCUPATIONS = [
    "engineer",
    "teacher",
    "student",
    "sales",
    "doctor",
    "designer",
    "civil servant",
    "business owner",
    "retired",
    "finance",
]
_CHANNELS = ["web_form", "social", "email", "phone", "offline_event", "store"]
_CHANNEL_P = [0.30, 0.25, 0.10, 0.08, 0.07, 0.20]

# category -> products (name, base price)
_CATALOG: dict[str, list[tuple[str, float]]] = {
    "Coffee": [
        ("Espresso Beans", 68),
        ("Drip Coffee Bags", 39),
        ("Cold Brew Pack", 45),
        ("Decaf Beans", 72),
    ],
    "Coffee Gear": [
        ("Milk Frother", 129),
        ("Pour-over Kettle", 199),
        ("Coffee Filters", 19),
        ("Ceramic Dripper", 89),
    ],
    "Tea": [
        ("Longjing Green Tea", 158),
        ("Oolong Tea", 98),
        ("Jasmine Tea", 56),
        ("Pu'er Cake", 220),
    ],
    "Teaware": [("Gaiwan Set", 168), ("Glass Teapot", 88), ("Tea Tray", 239)],
    "Stationery": [
        ("Notebook A5", 25),
        ("Gel Pens (10)", 18),
        ("Desk Planner", 49),
        ("Washi Tape", 12),
    ],
    "Electronics": [
        ("Wireless Earbuds", 399),
        ("Phone Charger", 79),
        ("Power Bank", 149),
        ("USB-C Cable", 29),
    ],
    "Phone Accessories": [("Phone Case", 59), ("Screen Protector", 29), ("Phone Stand", 39)],
    "Skincare": [("Face Cream", 189), ("Sunscreen", 99), ("Cleanser", 69), ("Sheet Masks (5)", 49)],
    "Snacks": [
        ("Dried Mango", 25),
        ("Mixed Nuts", 59),
        ("Rice Crackers", 15),
        ("Dark Chocolate", 32),
    ],
}
_CATEGORY_P = {
    "Coffee": 0.2,
    "Tea": 0.16,
    "Stationery": 0.14,
    "Electronics": 0.14,
    "Skincare": 0.14,
    "Snacks": 0.14,
    "Coffee Gear": 0.03,
    "Teaware": 0.03,
    "Phone Accessories": 0.02,
}
# categories bought together: (primary, companion, probability the companion is added)
_COMPANIONS = [
    ("Coffee", "Coffee Gear", 0.35),
    ("Tea", "Teaware", 0.30),
    ("Electronics", "Phone Accessories", 0.40),
    ("Skincare", "Snacks", 0.10),
]
# product pairs planted with a strong rule: (if bought, also bought, probability)
_PLANTED_PAIRS = [
    ("Espresso Beans", "Milk Frother", 0.55),
    ("Longjing Green Tea", "Gaiwan Set", 0.5),
    ("Wireless Earbuds", "Phone Case", 0.5),
]
# planted behavioural groups (personas): what each buys most and where it orders
# (online, store, app); clustering must find them (tests/segments/test_clusters.py)
_PERSONAS = {
    "coffee_online": (("Coffee",), (0.85, 0.05, 0.10)),
    "tea_store": (("Tea",), (0.10, 0.85, 0.05)),
    "gadgets_app": (("Electronics",), (0.10, 0.05, 0.85)),
    "skincare_mixed": (("Skincare",), (0.45, 0.45, 0.10)),
}
_PERSONA_P = (0.3, 0.25, 0.25, 0.2)
# and who they are and how they are reached: ages (low, high), main occupations, the channel
# most of their contacts use, and how likely they open a campaign
_PERSONA_PEOPLE = {
    "coffee_online": ((28, 45), ("engineer", "finance", "designer"), "email", 0.5),
    "tea_store": ((50, 70), ("retired", "teacher", "civil servant"), "phone", 0.15),
    "gadgets_app": ((18, 30), ("student", "engineer"), "chat", 0.3),
    "skincare_mixed": ((24, 40), ("sales", "designer", "doctor"), "social", 0.6),
}
_ORDER_CHANNELS = ("online", "store", "app")
# relative demand by month (Spring Festival dip in Feb, 618 in June, Double 11, December)
_MONTH_WEIGHT = np.array([1.0, 0.7, 0.95, 0.95, 1.0, 1.35, 0.95, 0.9, 1.0, 1.05, 1.9, 1.5])
_WEEKDAY_WEIGHT = np.array([0.9, 0.9, 0.95, 1.0, 1.1, 1.2, 1.15])

DEMO_FILES = {
    "customers": "customers.csv",
    "transactions": "transactions.csv",
    "interactions": "interactions.csv",
    "tickets": "tickets.csv",
    "campaign_responses": "campaign_responses.csv",
}
# The customers file is written as an Excel-style export: Chinese headers, UTF-8 with BOM.
CUSTOMERS_ZH_HEADERS = {
    "customer_id": "客户ID",
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "occupation": "职业",
    "city": "城市",
    "country": "国家",
    "phone": "手机号",
    "email": "邮箱",
    "signup_date": "注册日期",
    "acquisition_channel": "获客渠道",
    "tier": "会员等级",
    "points": "积分",
}


@dataclass
class DemoData:
    """Canonical demo tables plus the ground truth of what was planted in them."""

    tables: dict[str, pd.DataFrame]
    truth: dict = field(default_factory=dict)


def _cn_mobile(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = np.array(["138", "139", "136", "150", "158", "186", "188", "135", "177", "199"])
    pre = rng.choice(prefixes, n)
    rest = rng.choice(10**8, size=n, replace=False)  # distinct people, distinct numbers
    return np.array([f"{p}{r:08d}" for p, r in zip(pre, rest, strict=True)])


def _make_customers(rng: np.random.Generator, n: int, start: pd.Timestamp, end: pd.Timestamp):
    ids = np.array([f"{10001 + i:08d}" for i in range(n)])  # leading zeros: ids are strings
    kind = rng.choice(["cn", "en", "company"], n, p=[0.62, 0.32, 0.06])
    names, cities, countries, phones, emails = [], [], [], [], []
    mobiles = _cn_mobile(rng, n)
    uk = rng.choice(900_000, size=n, replace=False) + 100_000
    for i in range(n):
        if kind[i] == "cn":
            names.append(rng.choice(_SURNAMES) + rng.choice(_GIVEN))
            cities.append(rng.choice(_CN_CITIES))
            countries.append("China")
            phones.append(mobiles[i])
            emails.append(f"u{int(ids[i])}@example.cn")
        else:
            if kind[i] == "en":
                first, last = rng.choice(_FIRST), rng.choice(_LAST)
                names.append(f"{first} {last}")
                emails.append(f"{first.lower()}.{last.lower()}{int(ids[i])}@example.com")
            else:
                base = rng.choice(_COMPANY)
                names.append(f"{base} Ltd")
                emails.append(f"info{int(ids[i])}@{base.split()[0].lower()}.example.com")
            city, country = _EN_CITIES[rng.integers(len(_EN_CITIES))]
            cities.append(city)
            countries.append(country)
            phones.append(f"+44 7400 {uk[i]}")
    span = (end - start).days
    signup = start - pd.Timedelta(days=365) + pd.to_timedelta(rng.integers(0, span + 300, n), "D")
    age = rng.integers(18, 70, n)
    birth = pd.to_datetime(
        [
            f"{end.year - a}-{m:02d}-{d:02d}"
            for a, m, d in zip(age, rng.integers(1, 13, n), rng.integers(1, 29, n), strict=True)
        ]
    )
    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "name": names,
            "gender": rng.choice(["F", "M"], n),
            "birth_date": birth,
            "occupation": rng.choice(_OCCUPATIONS, n),
            "city": cities,
            "country": countries,
            "phone": phones,
            "email": emails,
            "signup_date": signup.normalize(),
            "acquisition_channel": rng.choice(_CHANNELS, n, p=_CHANNEL_P),
        }
    )
    return frame


def _day_weights(days: pd.DatetimeIndex, start: pd.Timestamp) -> np.ndarray:
    trend = 1.0 + 0.15 * (days - start).days / 365.0  # the business grows ~15% a year
    return _MONTH_WEIGHT[days.month - 1] * _WEEKDAY_WEIGHT[days.day_of_week] * trend


def _make_orders(rng, customers, start, end):
    """Draw each customer's order dates from a seasonal Poisson process over their active life."""
    n = len(customers)
    days = pd.date_range(start, end, freq="D")
    cum = np.concatenate([[0.0], np.cumsum(_day_weights(days, start))])
    mean_weight = cum[-1] / len(days)

    rate = rng.gamma(shape=0.55, scale=6.0, size=n)  # orders / year: heavy-tailed
    buyer = rng.random(n) > 0.08  # ~8% are leads who never buy (lifecycle stage "potential")
    born = np.maximum((customers["signup_date"] - start).dt.days.to_numpy(), 0)
    life = rng.exponential(scale=420.0, size=n)  # days until the customer goes silent
    dies = np.minimum(born + life, len(days)).astype(int)
    dies = np.maximum(dies, np.minimum(born + 1, len(days)))
    active_weight = (cum[dies] - cum[np.minimum(born, len(days))]) / mean_weight  # weighted days
    expected = np.where(buyer, rate * active_weight / 365.0, 0.0)
    count = rng.poisson(expected)
    # every buyer whose life starts inside the window buys at least once (the first order)
    count = np.where(buyer & (born < len(days) - 1) & (count == 0), 1, count)

    who = np.repeat(np.arange(n), count)
    lo, hi = cum[born[who]], cum[dies[who]]
    u = lo + rng.random(len(who)) * (hi - lo)
    day_idx = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(days) - 1)
    minutes = rng.normal(14 * 60, 180, len(who)).clip(8 * 60, 23 * 60).astype(int)
    ordered_at = days[day_idx] + pd.to_timedelta(minutes, "min")
    orders = pd.DataFrame({"cust": who, "ordered_at": ordered_at}).sort_values(
        ["ordered_at", "cust"], kind="stable", ignore_index=True
    )
    last_day = pd.Series(days[np.maximum(dies - 1, 0)], index=customers.index)
    return orders, rate, buyer, last_day


def _persona_people(rng, customers, persona, end) -> None:
    """Give each customer the ages and occupations of their persona (four in five do)."""
    n = len(customers)
    typical = rng.random(n) < 0.8
    for code, ((low, high), jobs, _, _) in _PERSONA_PEOPLE.items():
        mine = np.flatnonzero((persona == code) & typical)
        age = rng.integers(low, high + 1, len(mine))
        born = [f"{end.year - a}-{m:02d}-{d:02d}" for a, m, d in
                zip(age, rng.integers(1, 13, len(mine)), rng.integers(1, 29, len(mine)),
                    strict=True)]  # fmt: skip
        customers.loc[customers.index[mine], "birth_date"] = pd.to_datetime(born)
        customers.loc[customers.index[mine], "occupation"] = rng.choice(jobs, len(mine))


def _make_lines(rng, orders, persona):
    """Fill each order with lines: a primary category, companions and planted product pairs.
    ``persona`` (a code of ``_PERSONAS`` per customer) decides which categories a customer's
    tastes lean to."""
    cats = list(_CATALOG)
    cat_p = np.array([_CATEGORY_P[c] for c in cats])
    cat_p /= cat_p.sum()
    companions = {p: (c, q) for p, c, q in _COMPANIONS}
    pairs = {a: (b, q) for a, b, q in _PLANTED_PAIRS}
    rows = []
    # customers have tastes: each draws category preferences leaning to its persona's
    # categories and keeps buying mostly from them (which is what makes their history
    # predictive, and the personas findable); a Dirichlet draw per customer, by gammas
    favourite = np.array([[c in _PERSONAS[p][0] for c in cats] for p in _PERSONAS], dtype=float)
    alpha = cat_p * 0.3 + 5.0 * favourite[persona]
    taste = rng.gamma(alpha)
    taste /= taste.sum(axis=1, keepdims=True)
    cum = np.cumsum(taste[orders["cust"].to_numpy()], axis=1)
    draw = rng.random(len(orders))[:, None]
    picks = np.minimum((cum < draw).sum(axis=1), len(cats) - 1)
    primary = np.asarray(cats, dtype=object)[picks]
    for o, cat in enumerate(primary):
        names = [p for p, _ in _CATALOG[cat]]
        k = 1 + rng.binomial(2, 0.3)
        chosen = list(rng.choice(names, min(k, len(names)), replace=False))
        if cat in companions and rng.random() < companions[cat][1]:
            comp = [p for p, _ in _CATALOG[companions[cat][0]]]
            chosen.append(rng.choice(comp))
        for p in list(chosen):
            if p in pairs and rng.random() < pairs[p][1]:
                chosen.append(pairs[p][0])
        if rng.random() < 0.12:  # an impulse snack
            chosen.append(rng.choice([p for p, _ in _CATALOG["Snacks"]]))
        for p in dict.fromkeys(chosen):  # unique, in order
            rows.append((o, p))
    lines = pd.DataFrame(rows, columns=["order", "product_name"])
    product_cat = {p: c for c, items in _CATALOG.items() for p, _ in items}
    price = {p: float(v) for items in _CATALOG.values() for p, v in items}
    product_id = {p: f"P{i + 1:03d}" for i, p in enumerate(price)}
    lines["category"] = lines["product_name"].map(product_cat)
    lines["product_id"] = lines["product_name"].map(product_id)
    lines["quantity"] = (1 + rng.geometric(0.65, len(lines)) - 1).astype(float)
    discount = np.where(rng.random(len(lines)) < 0.2, 0.85, 1.0)
    lines["unit_price"] = (lines["product_name"].map(price) * discount).round(2)
    return lines


def make_demo(
    *,
    n_customers: int = 5000,
    start: str | pd.Timestamp = "2024-01-01",
    end: str | pd.Timestamp = "2025-12-31",
    seed: int = 0,
    duplicate_share: float = 0.03,
) -> DemoData:
    """Generate seeded demo tables for a retail business and the ground truth of planted dirt.

    Parameters
    ----------
    n_customers : int
        Number of distinct real customers (duplicate records come on top).
    start, end : str or Timestamp
        First and last day of the order history (inclusive).
    seed : int
        Seed of the random generator; the same seed gives the same tables.
    duplicate_share : float
        Share of customers that get a second, variant record.

    Returns
    -------
    DemoData
        ``tables`` holds the five canonical tables (they pass ``schemas.validate``); ``truth``
        holds the planted duplicates, churned customers, bundles and the rows that
        ``write_demo`` will corrupt.

    Examples
    --------
    >>> demo = make_demo(n_customers=50, seed=1)
    >>> sorted(demo.tables)
    ['campaign_responses', 'customers', 'interactions', 'tickets', 'transactions']
    """
    if n_customers < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers!r}")
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end <= start:
        raise ValueError(f"end {end.date()} must be after start {start.date()}")
    rng = np.random.default_rng(seed)
    customers = _make_customers(rng, n_customers, start, end)
    # the planted groups, from a stream of their own
    codes = list(_PERSONAS)
    persona_rng = np.random.default_rng([seed, 14])
    persona = persona_rng.choice(len(codes), n_customers, p=_PERSONA_P)
    _persona_people(persona_rng, customers, np.asarray(codes)[persona], end)
    orders, rate, buyer, last_day = _make_orders(rng, customers, start, end)

    # tier and points follow the latent purchase rate
    tier = pd.cut(rate, [-1, 2, 5, 10, np.inf], labels=["Bronze", "Silver", "Gold", "Platinum"])
    customers["tier"] = np.asarray(tier, dtype=object)
    customers["points"] = (rate * 120 + rng.integers(0, 200, len(rate))).round(0)

    lines = _make_lines(rng, orders, persona)
    invoice_no = np.arange(len(orders)) + 500001
    lines["invoice_id"] = invoice_no[lines["order"]].astype(str)
    lines["cust_idx"] = orders["cust"].to_numpy()[lines["order"]]
    lines["ordered_at"] = orders["ordered_at"].to_numpy()[lines["order"]]
    lines["customer_id"] = customers["customer_id"].to_numpy()[lines["cust_idx"]]
    # each order's channel follows its customer's persona
    channel_cum = np.cumsum([_PERSONAS[c][1] for c in codes], axis=1)[persona[orders["cust"]]]
    pick = (rng.random(len(orders))[:, None] > channel_cum).sum(axis=1)
    order_channel = np.asarray(_ORDER_CHANNELS)[np.minimum(pick, 2)]
    order_pay = rng.choice(
        ["alipay", "wechat_pay", "card", "cash"], len(orders), p=[0.4, 0.35, 0.2, 0.05]
    )
    lines["channel"] = order_channel[lines["order"]]
    lines["payment_method"] = order_pay[lines["order"]]
    lines["country"] = customers["country"].to_numpy()[lines["cust_idx"]]
    # anonymous store sales: some store orders carry no customer id
    anon_orders = np.flatnonzero((order_channel == "store") & (rng.random(len(orders)) < 0.08))
    lines.loc[lines["order"].isin(anon_orders), "customer_id"] = None
    lines["line_type"] = "sale"

    # cancellations: whole invoices reversed ("C" + invoice), returns: single lines given back
    cancel_orders = rng.choice(len(orders), size=max(1, len(orders) // 60), replace=False)
    cancel = lines[lines["order"].isin(cancel_orders)].copy()
    cancel["invoice_id"] = "C" + cancel["invoice_id"]
    cancel["quantity"] = -cancel["quantity"]
    cancel["ordered_at"] = cancel["ordered_at"] + pd.to_timedelta(
        rng.integers(30, 60 * 24 * 3, len(cancel)), "min"
    )
    cancel["line_type"] = "cancellation"
    ret_idx = rng.choice(lines.index, size=max(1, len(lines) // 80), replace=False)
    ret = lines.loc[ret_idx].copy()
    ret["invoice_id"] = "R" + ret["invoice_id"]
    ret["quantity"] = -ret["quantity"]
    ret["ordered_at"] = ret["ordered_at"] + pd.to_timedelta(rng.integers(1, 30, len(ret)), "D")
    ret["line_type"] = "return"
    tx = pd.concat([lines, cancel, ret], ignore_index=True)
    tx = tx[tx["ordered_at"] <= end + pd.Timedelta(days=1) - pd.Timedelta(minutes=1)]
    tx = tx.sort_values(["ordered_at", "invoice_id", "product_id"], kind="stable")
    tx["amount"] = (tx["quantity"] * tx["unit_price"]).round(2)

    # missing values of the kind real exports have
    for col, share in [
        ("email", 0.08),
        ("city", 0.03),
        ("birth_date", 0.2),
        ("gender", 0.05),
        ("occupation", 0.1),
    ]:
        customers.loc[rng.random(n_customers) < share, col] = None

    # duplicate customer records: variant spelling and phone format, some orders re-pointed;
    # a fifth of them carry no phone or e-mail, so only name + city + birth date can find them
    n_dup = int(round(duplicate_share * n_customers))
    dup_src = np.sort(rng.choice(n_customers, size=n_dup, replace=False))
    dups = customers.iloc[dup_src].copy()
    dups["customer_id"] = [f"{10001 + n_customers + i:08d}" for i in range(n_dup)]
    dups["name"] = [_variant_name(nm, rng) for nm in dups["name"]]
    dups["phone"] = [_variant_phone(ph, rng) for ph in dups["phone"]]
    dups["email"] = np.where(rng.random(n_dup) < 0.5, dups["email"].str.upper(), None)
    dups["signup_date"] = dups["signup_date"] + pd.to_timedelta(rng.integers(10, 200, n_dup), "D")
    findable_by_name = (dups["birth_date"].notna() & dups["city"].notna()).to_numpy()
    name_only = findable_by_name & (rng.random(n_dup) < 0.2)
    dups.loc[name_only, ["phone", "email"]] = None
    dup_map = dict(zip(customers["customer_id"].iloc[dup_src], dups["customer_id"], strict=True))
    moved = tx["customer_id"].isin(dup_map) & (rng.random(len(tx)) < 0.3)
    # move whole invoices, not single lines
    moved_invoices = set(tx.loc[moved & (tx["line_type"] == "sale"), "invoice_id"])
    base_inv = tx["invoice_id"].str.lstrip("CR")
    moved = base_inv.isin(moved_invoices) & tx["customer_id"].isin(dup_map)
    tx.loc[moved, "customer_id"] = tx.loc[moved, "customer_id"].map(dup_map)
    all_customers = pd.concat([customers, dups], ignore_index=True)

    tables = {
        "customers": conform(all_customers, "customers"),
        "transactions": conform(tx, "transactions").reset_index(drop=True),
    }
    tables["interactions"] = conform(
        _make_interactions(rng, customers, last_day, end, np.asarray(codes)[persona]),
        "interactions",
    )
    tables["tickets"] = conform(_make_tickets(rng, customers, end), "tickets")
    tables["campaign_responses"] = conform(
        _make_campaigns(rng, customers, start, end, np.asarray(codes)[persona]),
        "campaign_responses",
    )

    # the effects the engagement and service analyses must find, from a stream of their own
    effects = _plant_service_effects(np.random.default_rng([seed, 15]), tables, customers,
                                     np.asarray(codes)[persona], last_day, start, end)  # fmt: skip
    silenced = pd.Series(effects.pop("silenced_at"), dtype="datetime64[ns]")
    last_day = last_day.copy()
    index = pd.Series(customers.index, index=customers["customer_id"])
    last_day.loc[index[silenced.index].to_numpy()] = np.minimum(
        last_day.loc[index[silenced.index].to_numpy()].to_numpy(), silenced.to_numpy()
    )
    churned = customers.loc[
        buyer & (last_day < end - pd.Timedelta(days=180)).to_numpy(), "customer_id"
    ]
    truth = {
        "duplicates": [
            {"duplicate_id": d, "original_id": o, "name_only": bool(f)}
            for (o, d), f in zip(dup_map.items(), name_only, strict=True)
        ],
        "churned": sorted(churned),
        "never_bought": sorted(customers.loc[~buyer, "customer_id"]),
        "planted_pairs": [[a, b] for a, b, _ in _PLANTED_PAIRS],
        "companion_categories": [[a, b] for a, b, _ in _COMPANIONS],
        "malformed_dates": _pick_malformed(rng, tables),
        # each real customer's planted group (duplicate records share their original's)
        "personas": dict(
            zip(customers["customer_id"], np.asarray(codes)[persona].tolist(), strict=True)
        ),
        # a channel that converts better for one persona, a problem type rated low, and slow
        # tickets after which customers stop buying (service.interactions, service.support)
        "service_effects": effects,
    }
    truth["file_dirt"] = _pick_file_dirt(rng, tables, truth["malformed_dates"])
    return DemoData(tables=tables, truth=truth)


# the planted effects: tea_store customers contacted by e-mail buy within a week more often;
# refund tickets are rated lower; after a slow or unresolved ticket most customers stop buying
_CONVERTING = ("tea_store", "email", 0.45)  # persona, channel, chance of a purchase after it
_LOW_CSAT = ("refund", 2.0)  # problem type, points off its rating (kept within 1-5)
_SLOW = (48.0, 0.7)  # hours past which a ticket is slow, chance its customer stops buying


def _plant_service_effects(rng, tables, customers, persona, last_day, start, end) -> dict:
    """Plant the effects the engagement and service pages must find, in place.

    - a purchase 1-5 days after a ``_CONVERTING`` contact (one of the customer's own order
      lines, repeated in a new order), while the customer is still active;
    - ``_LOW_CSAT``: that problem type's ratings lowered;
    - ``_SLOW``: a customer whose first ticket is slow (unresolved, or resolved after the
      hours) stops buying three days after it, by the chance given (their later orders go).

    Returns the truth: the converting persona and channel, the low-rated problem type, the
    slow line, the customers silenced with their day (``silenced_at``: id -> day).
    """
    tx = tables["transactions"]
    who = dict(zip(customers["customer_id"], persona, strict=True))
    alive = dict(zip(customers["customer_id"], last_day, strict=True))
    ix = tables["interactions"]
    code, channel, chance = _CONVERTING
    hit = (ix["channel"].astype("string") == channel).to_numpy() & (
        ix["customer_id"].map(who).to_numpy() == code)  # fmt: skip
    hit &= (ix["interacted_at"] < ix["customer_id"].map(alive)).to_numpy()
    hit &= rng.random(len(ix)) < chance
    sales = tx[(tx["line_type"] == "sale") & tx["customer_id"].notna()]
    first_line = sales.drop_duplicates("customer_id").set_index("customer_id")
    added = []
    for k, (cid, at) in enumerate(zip(ix.loc[hit, "customer_id"], ix.loc[hit, "interacted_at"],
                                       strict=True)):  # fmt: skip
        if cid not in first_line.index:
            continue
        day = at.normalize() + pd.Timedelta(days=int(rng.integers(1, 6)), hours=14)
        if day > end + pd.Timedelta(hours=23) or day < start:  # inside the order history
            continue
        row = first_line.loc[cid].copy()
        row["invoice_id"], row["ordered_at"] = f"E{k + 1:06d}", day
        added.append(row.rename(cid))
    if added:
        extra = pd.DataFrame(added).rename_axis("customer_id").reset_index()
        tx = pd.concat([tx, extra[tx.columns]], ignore_index=True)
    # a problem type rated lower
    tk = tables["tickets"]
    kind, points = _LOW_CSAT
    low = (tk["problem_type"] == kind).to_numpy()
    tk.loc[low, "satisfaction"] = (tk.loc[low, "satisfaction"] - points).clip(lower=1.0)
    # slow tickets silence their customers
    hours, stop = _SLOW
    first = tk.sort_values("opened_at").drop_duplicates("customer_id")
    took = (first["resolved_at"] - first["opened_at"]) / pd.Timedelta(hours=1)
    slow = first[~(took <= hours).fillna(False).to_numpy(dtype=bool)]
    slow = slow[rng.random(len(slow)) < stop]
    silenced = dict(zip(slow["customer_id"], slow["opened_at"].dt.normalize()
                        + pd.Timedelta(days=3), strict=True))  # fmt: skip
    after = pd.to_datetime(tx["customer_id"].map(silenced)).astype("datetime64[ns]")
    tx = tx[~(tx["ordered_at"] > after).fillna(False).to_numpy(dtype=bool)]
    tables["transactions"] = conform(
        tx.sort_values(["ordered_at", "invoice_id", "product_id"], kind="stable"), "transactions"
    ).reset_index(drop=True)
    tables["tickets"] = tk
    return {"converting": {"persona": code, "channel": channel, "added_orders": len(added)},
            "low_csat_problem": kind, "slow_hours": hours,
            "silenced": sorted(silenced), "silenced_at": silenced}  # fmt: skip


def _variant_name(name: str, rng: np.random.Generator) -> str:
    if name.isascii():
        return name.lower() if rng.random() < 0.5 else name.upper().replace(" LTD", " LTD.")
    return name[0] + " " + name[1:]  # 张三 -> 张 三


def _variant_phone(phone: str, rng: np.random.Generator) -> str:
    if phone.startswith("+44"):
        return phone.replace(" ", "")
    forms = [
        f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}",
        f"86{phone}",
        f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
    ]
    return forms[rng.integers(len(forms))]


def _make_interactions(rng, customers, last_day, end, persona):
    n = len(customers)
    count = rng.poisson(3.0, n)
    who = np.repeat(np.arange(n), count)
    signup = customers["signup_date"].to_numpy()[who]
    # interactions happen between signup and shortly after the customer went silent
    stop = np.minimum(last_day.to_numpy()[who] + np.timedelta64(60, "D"), np.datetime64(end))
    span = np.maximum((stop - signup).astype("timedelta64[m]").astype(np.int64), 60)
    at = signup + (rng.random(len(who)) * span).astype("timedelta64[m]")
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy()[who],
            "interacted_at": at,
            # seven in ten contacts use the persona's channel
            "channel": np.where(
                rng.random(len(who)) < 0.7,
                np.asarray([_PERSONA_PEOPLE[p][2] for p in persona[who]], dtype=object),
                rng.choice(
                    ["phone", "email", "chat", "meeting", "social", "sms"],
                    len(who),
                    p=[0.2, 0.25, 0.3, 0.05, 0.15, 0.05],
                ),
            ),
            "direction": rng.choice(["inbound", "outbound"], len(who), p=[0.45, 0.55]),
            "outcome": rng.choice(["reached", "no_answer", "follow_up", "resolved"], len(who)),
        }
    ).sort_values(["interacted_at", "customer_id"], ignore_index=True)


_PROBLEMS = ["delivery", "billing", "product_quality", "account", "refund"]
_COMMENTS = {
    "good": ["处理很快，满意", "客服态度很好", "Quick and helpful", "Solved on the first call"],
    "bad": ["等了太久", "问题没有解决", "Nobody answered my email", "Still waiting for the refund"],
}


def _make_tickets(rng, customers, end):
    n = len(customers)
    count = rng.poisson(0.25, n)
    who = np.repeat(np.arange(n), count)
    signup = customers["signup_date"].to_numpy()[who]
    span = np.maximum((np.datetime64(end) - signup).astype("timedelta64[m]").astype(np.int64), 60)
    opened = signup + (rng.random(len(who)) * span).astype("timedelta64[m]")
    first = opened + (rng.lognormal(1.0, 1.0, len(who)) * 60).astype("timedelta64[m]")
    hours = rng.lognormal(3.0, 1.0, len(who))
    resolved = opened + (hours * 60).astype("timedelta64[m]")
    open_now = rng.random(len(who)) < 0.05
    sat = np.clip(np.round(5.2 - 0.012 * hours + rng.normal(0, 0.8, len(who))), 1, 5)
    good = sat >= 4
    comment = np.where(
        good, rng.choice(_COMMENTS["good"], len(who)), rng.choice(_COMMENTS["bad"], len(who))
    )
    frame = pd.DataFrame(
        {
            "ticket_id": [f"T{i + 1:06d}" for i in range(len(who))],
            "customer_id": customers["customer_id"].to_numpy()[who],
            "opened_at": opened,
            "first_response_at": first,
            "resolved_at": pd.Series(resolved).where(~open_now),
            "problem_type": rng.choice(_PROBLEMS, len(who), p=[0.35, 0.15, 0.25, 0.1, 0.15]),
            "resolution": np.where(open_now, None, "resolved"),
            "satisfaction": np.where(open_now, np.nan, sat),
            "comment": np.where(open_now, None, comment),
        }
    )
    return frame.sort_values("opened_at", ignore_index=True)


def _make_campaigns(rng, customers, start, end, persona):
    frames = []
    campaigns = pd.date_range(start + pd.Timedelta(days=20), end, periods=6)
    for i, sent in enumerate(campaigns):
        eligible = np.flatnonzero(customers["signup_date"].to_numpy() <= sent.to_datetime64())
        reach = rng.choice(eligible, size=int(0.3 * len(eligible)), replace=False)
        opens = np.asarray([_PERSONA_PEOPLE[p][3] for p in persona[np.sort(reach)]])
        opened = rng.random(len(reach)) < opens
        clicked = opened & (rng.random(len(reach)) < 0.3)
        converted = clicked & (rng.random(len(reach)) < 0.25)
        surveyed = rng.random(len(reach)) < 0.15
        score = np.where(
            surveyed, np.clip(np.round(rng.normal(7.5, 2.0, len(reach))), 0, 10), np.nan
        )
        frames.append(
            pd.DataFrame(
                {
                    "campaign_id": f"CMP{i + 1:02d}",
                    "customer_id": customers["customer_id"].to_numpy()[np.sort(reach)],
                    "channel": ["email", "social", "sms", "email", "offline_form", "social"][i],
                    "sent_at": sent + pd.Timedelta(hours=10),
                    "opened": opened.astype(int),
                    "clicked": clicked.astype(int),
                    "converted": converted.astype(int),
                    "survey_score": score,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _pick_malformed(rng, tables) -> list[dict]:
    """Choose a few rows whose dates ``write_demo`` writes as impossible calendar dates."""
    tx = tables["transactions"]
    picks = []
    for pos in rng.choice(len(tx), size=min(4, len(tx)), replace=False):
        picks.append(
            {
                "table": "transactions",
                "column": "ordered_at",
                "row": int(pos),
                "value": "2025-02-30 10:15",
            }
        )
    cu = tables["customers"]
    for pos in rng.choice(len(cu), size=min(3, len(cu)), replace=False):
        picks.append(
            {"table": "customers", "column": "signup_date", "row": int(pos), "value": "2024-13-01"}
        )
    return sorted(picks, key=lambda p: (p["table"], p["row"]))


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _pick_file_dirt(rng, tables, malformed) -> dict:
    """Choose the export dirt ``write_demo`` plants: duplicate lines, zero prices, null words."""
    tx, cu = tables["transactions"], tables["customers"]
    taken = {p["row"] for p in malformed if p["table"] == "transactions"}
    sale_rows = np.flatnonzero((tx["line_type"] == "sale").to_numpy())
    free = np.array([r for r in sale_rows if r not in taken])
    picks = rng.choice(free, size=min(len(free), 11), replace=False)
    no_job = np.flatnonzero(cu["occupation"].isna().to_numpy())
    cn_phone = np.flatnonzero(cu["phone"].str.fullmatch(r"1\d{10}").fillna(False).to_numpy())
    words = ["无", "N/A", "未知", "NULL", "-", "暂无"]
    null_rows = rng.choice(no_job, size=min(len(no_job), 30), replace=False)
    return {
        "duplicate_lines": sorted(int(r) for r in picks[:6]),
        "zero_price_lines": sorted(int(r) for r in picks[6:]),
        "null_words": [
            {"row": int(r), "column": "occupation", "value": words[i % len(words)]}
            for i, r in enumerate(sorted(null_rows))
        ],
        "fullwidth_phones": sorted(
            int(r) for r in rng.choice(cn_phone, size=min(10, len(cn_phone)), replace=False)
        ),
    }


def write_demo(demo: DemoData, out_dir: str | Path) -> dict[str, Path]:
    """Write demo tables as CRM-style export files (and the ground truth) into a folder.

    The customers file has Chinese headers and a UTF-8 BOM, as Excel writes it; the others are
    plain UTF-8 CSV with canonical headers. The dirt listed in the truth is planted: impossible
    dates (``malformed_dates``), and in ``file_dirt`` repeated order lines (appended at the end of
    the file), zero prices, null words ("无", "N/A", ...) and phones in full-width digits.
    Returns the written paths by table name.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table, filename in DEMO_FILES.items():
        frame = demo.tables[table].copy()
        for col in frame.columns:
            if pd.api.types.is_datetime64_dtype(frame[col].dtype):
                fmt = "%Y-%m-%d" if col.endswith("_date") else "%Y-%m-%d %H:%M"
                frame[col] = frame[col].dt.strftime(fmt).astype(object)
        for pick in demo.truth.get("malformed_dates", []):
            if pick["table"] == table:
                frame.iloc[pick["row"], frame.columns.get_loc(pick["column"])] = pick["value"]
        dirt = demo.truth.get("file_dirt", {})
        if table == "transactions" and dirt:
            zero = dirt["zero_price_lines"]
            frame.iloc[zero, frame.columns.get_loc("unit_price")] = 0.0
            frame.iloc[zero, frame.columns.get_loc("amount")] = 0.0
            frame = pd.concat([frame, frame.iloc[dirt["duplicate_lines"]]], ignore_index=True)
        if table == "customers" and dirt:
            for pick in dirt["null_words"]:
                frame.iloc[pick["row"], frame.columns.get_loc(pick["column"])] = pick["value"]
            col = frame.columns.get_loc("phone")
            for row in dirt["fullwidth_phones"]:
                frame.iloc[row, col] = str(frame.iloc[row, col]).translate(_FULLWIDTH)
        encoding = "utf-8"
        if table == "customers":
            frame = frame.rename(columns=CUSTOMERS_ZH_HEADERS)
            encoding = "utf-8-sig"
        path = out / filename
        frame.to_csv(path, index=False, encoding=encoding)
        paths[table] = path
    (out / "_truth.json").write_text(json.dumps(demo.truth, ensure_ascii=False, indent=1), "utf-8")
    return paths
