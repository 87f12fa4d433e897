"""The engines agree: order lines into per-customer, per-day, per-month and period totals.

Known answers on a hand-made table, then pandas against DuckDB and Spark on the demo data and
Online Retail, for the engine's totals and for the analyses built on them.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from crm_lab import clv, engine, ingest
from crm_lab.core.lines import day_end
from crm_lab.ingest.snapshot import save_tables
from crm_lab.segments import classify, features, lifecycle, migration
from crm_lab.value import kpi, rfm
from tests.quality.test_quality import record_figures

# a: two sale lines on one day, one later, a cancellation; b: a free item and a return;
# an anonymous sale; a zero-quantity line; a whole-order row; a line after the end
LINES = pd.DataFrame(
    {
        "invoice_id": ["1", "1", "2", "C2", "3", "4", "R4", "5", "6", "7", "8"],
        "customer_id": ["a", "a", "a", "a", "b", "b", "b", None, "b", "a", "a"],
        "ordered_at": pd.to_datetime(
            [
                "2024-01-01 09:00",
                "2024-01-01 09:00",
                "2024-01-15 10:00",
                "2024-01-16 10:00",
                "2024-02-03 12:00",
                "2024-02-20 12:00",
                "2024-02-21 12:00",
                "2024-02-22 12:00",
                "2024-02-23 12:00",
                "2024-02-24 12:00",
                "2024-03-01 00:00",
            ]
        ),
        "quantity": [1.0, 2.0, 1.0, -1.0, 1.0, 3.0, -1.0, 1.0, 0.0, 1.0, 1.0],
        "amount": [10.0, 20.0, 5.5, -5.5, 0.0, 30.0, -10.0, 7.0, 0.0, 12.0, 99.0],
        "line_type": [
            "sale",
            "sale",
            "sale",
            "cancellation",
            "sale",
            "sale",
            "return",
            "sale",
            "sale",
            "sale",
            "sale",
        ],
        "grain": ["item"] * 9 + ["order", "item"],
    }
)
END = pd.Timestamp("2024-03-01")  # exclusive: the line of 1 March is after the window


@pytest.fixture(scope="module", params=["pandas", "duckdb"])
def lines(request):
    return engine.connect(request.param).lines(LINES)


def test_customer_totals_known_answer(lines):
    out = engine.customer_totals(lines, end=END)
    assert out["customer_id"].tolist() == ["a", "b"]
    # a: invoices 1, 2 and the whole-order row 7 (an order still counts as a purchase)
    assert out["orders"].tolist() == [3, 2]
    assert out["revenue"].tolist() == [47.5, 30.0]
    assert out["first_purchase_at"].tolist() == [
        pd.Timestamp("2024-01-01 09:00"),
        pd.Timestamp("2024-02-03 12:00"),
    ]
    assert out["last_purchase_at"].iloc[0] == pd.Timestamp("2024-02-24 12:00")
    later = engine.customer_totals(lines, end=END, start=pd.Timestamp("2024-02-01"))
    assert later["orders"].tolist() == [1, 2]


def test_purchase_days_known_answer(lines):
    out = engine.purchase_days(lines, end=END)
    assert list(zip(out["customer_id"], out["day"].dt.day, out["amount"], strict=True)) == [
        ("a", 1, 30.0),  # two lines of 1 January: one purchase
        ("a", 15, 5.5),
        ("a", 24, 12.0),
        ("b", 3, 0.0),  # a free item is a purchase
        ("b", 20, 30.0),
    ]
    after = engine.purchase_days(lines, end=END, after=pd.Timestamp("2024-02-04"))
    assert after["day"].dt.day.tolist() == [24, 20]


def test_monthly_totals_known_answer(lines):
    out = engine.monthly_totals(lines, end=END)
    assert out["month"].astype(str).tolist() == ["2024-01", "2024-02"]
    assert out["revenue"].tolist() == [35.5, 49.0]
    assert out["orders"].tolist() == [2, 4]
    assert out["customers"].tolist() == [1, 2]  # the anonymous sale has no buyer


def test_headline_totals_known_answer(lines):
    t = engine.headline_totals(lines, end=END)
    assert t == {
        "lines": 10,
        "revenue": 84.5,
        "anonymous_revenue": 7.0,
        "anonymous_invoices": 1,
        "buyers": 2,
        "orders": 6,
        "cancelled_amount": -5.5,
        "cancelled_invoices": 1,
        "returned_amount": -10.0,
        "returned_invoices": 1,
        "first_order": pd.Timestamp("2024-01-01 09:00"),
        "last_order": pd.Timestamp("2024-02-24 12:00"),
    }
    empty = engine.headline_totals(lines, end=pd.Timestamp("2023-01-01"))
    assert empty["lines"] == 0 and empty["revenue"] == 0.0
    assert empty["first_order"] is None and empty["buyers"] == 0


ITEMS = LINES.assign(
    product_id=["p1", "p2", "p1", "p1", "p3", "p2", "p2", "p1", "p3", None, "p1"],
    product_name=["Mug", None, "Mug", "Mug", None, None, None, "Mug", None, None, "Mug"],
)


@pytest.mark.parametrize("name", ["pandas", "duckdb"])
def test_item_lines_known_answer(name):
    out = engine.item_lines(engine.connect(name).lines(ITEMS), end=END)
    # kept: the sales with a positive quantity (the whole-order row 7 too) and the
    # cancellation; gone: the return R4, the zero-quantity line 6 and the line of 1 March
    assert out["invoice_id"].tolist() == ["1", "1", "2", "C2", "3", "4", "5", "7"]
    # the item label: the name, else the id; the whole-order row has neither
    assert out["product_name"].tolist()[:7] == ["Mug", "p2", "Mug", "Mug", "p3", "p2", "Mug"]
    assert pd.isna(out["product_name"].iloc[7]) and "product_id" not in out.columns
    assert out["customer_id"].isna().tolist() == [False] * 6 + [True, False]
    assert out["amount"].tolist() == [10.0, 20.0, 5.5, -5.5, 0.0, 30.0, 7.0, 12.0]
    for text in ("invoice_id", "customer_id", "line_type", "grain", "product_name"):
        categories = out[text].cat.categories.tolist()
        assert categories == sorted(categories), text
    assert out["line_type"].cat.categories.tolist() == ["cancellation", "sale"]
    assert out["ordered_at"].dtype == "datetime64[ns]" and out.index.equals(pd.RangeIndex(8))
    pd.testing.assert_frame_equal(out, engine.item_lines(ITEMS, end=END))


def test_item_lines_are_texts_alike_from_any_frame():
    # ids as numbers, columns of nothing but nulls, a line without a type: the engine's
    # lines and the frame's give the same texts, in the same order
    odd = ITEMS.assign(
        invoice_id=[10, 10, 2, 9, 3, 4, 40, 5, 6, 7, 8],
        product_id=[1, 2, 1, 1, 3, 2, 2, 1, 3, None, 1],
        product_name=None,
        category=None,
        grain=None,
    )
    odd["line_type"] = odd["line_type"].astype("string").mask(odd.index == 10)
    expected = engine.item_lines(odd, end=END)
    assert expected["invoice_id"].cat.categories.tolist() == ["10", "2", "3", "4", "5", "7", "9"]
    assert expected["product_name"].cat.categories.tolist() == ["1.0", "2.0", "3.0"]
    assert expected["grain"].isna().all() and expected["category"].isna().all()
    got = engine.item_lines(engine.connect("duckdb").lines(odd), end=END)
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("change", [-1, 1])
def test_item_lines_that_change_while_they_are_read_are_an_error(change, monkeypatch):
    from crm_lab.engine import session

    read = session.arrow_batches

    def fewer_or_more(table, **kwargs):
        batches = list(read(table, **kwargs))
        yield from batches[:-1] if change < 0 else [*batches, batches[-1]]

    monkeypatch.setattr(session, "arrow_batches", fewer_or_more)
    with pytest.raises(engine.EngineError, match="changed while they were read"):
        engine.item_lines(engine.connect("duckdb").lines(ITEMS), end=END)


def test_a_purchase_log_without_quantities_counts_every_line(lines):
    log = LINES.drop(columns=["quantity"])
    days = engine.purchase_days(engine.connect("duckdb").lines(log), end=END)
    # without quantities b's zero-quantity line of 23 February is a purchase too: 3 days each
    assert len(days) == len(engine.purchase_days(log, end=END)) == 6


def test_sums_agree_to_the_last_digit_whatever_the_order_of_addition():
    many = pd.DataFrame(
        {
            "invoice_id": [str(i) for i in range(3000)],
            "customer_id": ["a", "b", "c"] * 1000,
            "ordered_at": pd.Timestamp("2024-01-01"),
            "quantity": 1.0,
            "amount": [0.1, 0.2, 0.3] * 1000,
            "line_type": "sale",
        }
    )
    shuffled = many.sample(frac=1.0, random_state=3)
    a = engine.customer_totals(many, end=END)
    b = engine.customer_totals(engine.connect("duckdb").lines(shuffled), end=END)
    pd.testing.assert_frame_equal(a, b)
    assert a["revenue"].tolist() == [100.0, 200.0, 300.0]


def _billions(low: int = 10**11, high: int = 10**12):
    """Lines of ``low`` to ``high`` cents each and their exact totals per customer and in all.

    Float sums of such amounts differ in the cents with the order of addition. By default
    (1e9 to 1e10 a line) the totals, about 2e13, are past a 64-bit sum of millionths; with
    10**9 to 10**10 cents they are past 2**53 millionths but inside 64 bits.
    """
    from decimal import Decimal

    cents = np.random.default_rng(7).integers(low, high, size=4000)
    lines = pd.DataFrame(
        {
            "invoice_id": [str(i) for i in range(4000)],
            "customer_id": ["a", "b"] * 2000,
            "ordered_at": pd.Timestamp("2024-01-01"),
            "quantity": 1.0,
            "amount": cents / 100,
            "line_type": "sale",
        }
    )
    each = [float(sum(Decimal(int(c)) for c in cents[k::2]) / 100) for k in (0, 1)]
    return lines, each, float(sum(Decimal(int(c)) for c in cents) / 100)


def _assert_exact(on, each, total):
    assert engine.customer_totals(on, end=END)["revenue"].tolist() == each
    assert engine.headline_totals(on, end=END)["revenue"] == total
    assert engine.monthly_totals(on, end=END)["revenue"].tolist() == [total]
    assert engine.purchase_days(on, end=END)["amount"].tolist() == each


@pytest.mark.parametrize("cents", [(10**9, 10**10), (10**11, 10**12)])
def test_sums_are_exact_decimals_above_a_billion_in_any_order(cents):
    many, each, total = _billions(*cents)
    duck = engine.connect("duckdb", threads=2)
    for frame in (many, many.sample(frac=1.0, random_state=1), many.iloc[::-1]):
        _assert_exact(frame, each, total)
        _assert_exact(duck.lines(frame), each, total)


def test_choose_and_connect_refuse_what_is_not_an_engine():
    assert engine.choose("auto", lines=engine.AUTO_LINES - 1) == "pandas"
    assert engine.choose("auto", lines=engine.AUTO_LINES) == "duckdb"
    with pytest.raises(ValueError, match="engine must be one of"):
        engine.choose("polars", lines=1)
    with pytest.raises(ValueError, match="engine must be pandas, duckdb or spark"):
        engine.connect("auto")


def test_lines_reads_only_a_runs_plain_snapshot_and_names_what_is_wrong(tmp_path):
    e = engine.connect("duckdb")
    with pytest.raises(engine.EngineError, match="not a run's snapshot"):
        e.lines(tmp_path)  # an empty folder
    LINES.to_parquet(tmp_path / "transactions.parquet")  # a raw export, not cleaned
    with pytest.raises(engine.EngineError, match=r"not a run's snapshot .*ingest.read_clean"):
        e.lines(tmp_path)
    (tmp_path / "_snapshot.yaml").write_text("tables: [transactions]\n", "utf-8")
    (tmp_path / "transactions.parquet").write_bytes(b"PAR1 broken")
    with pytest.raises(engine.EngineError, match="not a readable Parquet file"):
        e.lines(tmp_path)
    (tmp_path / "transactions.parquet").unlink()
    with pytest.raises(engine.EngineError, match="no such Parquet file$"):
        e.lines(tmp_path)
    (tmp_path / "_snapshot.yaml").write_text("encrypted: true\n", "utf-8")
    (tmp_path / "transactions.parquet.enc").write_bytes(b"x")
    with pytest.raises(engine.EngineError, match="encrypted"):
        e.lines(tmp_path)
    assert not engine.is_plain_snapshot(tmp_path)


def test_lines_below_a_microsecond_are_truncated_not_refused():
    fine = LINES.assign(ordered_at=LINES["ordered_at"] + pd.Timedelta(nanoseconds=1))
    on = engine.connect("duckdb").lines(fine)
    pd.testing.assert_frame_equal(
        engine.customer_totals(on, end=END), engine.customer_totals(LINES, end=END)
    )


# --- the engines agree on real data ------------------------------------------------------------


def _analyses(lines, *, as_of, period_start):
    """Every figure built on the engine's totals, for one engine's lines."""
    return {
        "rfm": rfm.rfm_table(lines, as_of=as_of),
        "monthly": kpi.monthly_sales(lines, as_of=as_of),
        "headline": kpi.headline(lines, as_of=as_of),
        "period": kpi.period_headline(lines, start=period_start, as_of=as_of),
        "last_30_days": kpi.headline(lines, as_of=as_of, period_days=30),
        "summary": clv.purchase_summary(lines, as_of=as_of),
        "holdout": clv.holdout_check(lines, as_of=as_of, holdout_days=91),
        "tags": classify.customer_tags(lines, as_of=as_of),
        "stages": lifecycle.stages(lines, as_of=as_of),
        "stage_flow": lifecycle.stage_flow(lines, as_of=as_of, period_start=period_start),
        "moves": migration.compare_period(lines, as_of=as_of, period_start=period_start),
        "item_lines": engine.item_lines(lines, end=day_end(as_of)),
        **{
            f"mix_{column}": engine.customer_mix(lines, end=day_end(as_of), column=column)
            for column in ("category", "channel", "country")
            if column in lines.columns
        },
        "features": features.customer_features(lines, as_of=as_of),
    }


def _assert_same(expected: dict, got: dict, *, engine_name: str):
    for key, value in expected.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, got[key], obj=f"{engine_name} {key}")
        else:
            assert got[key] == value, (engine_name, key)


@pytest.fixture(scope="module")
def demo_snapshot(demo_dir, tmp_path_factory):
    return save_tables(ingest.read_clean(demo_dir), tmp_path_factory.mktemp("demo-snapshot"))


@pytest.fixture(scope="module")
def retail_snapshot(retail, tmp_path_factory):
    return save_tables(retail, tmp_path_factory.mktemp("retail-snapshot"))


def test_duckdb_equals_pandas_on_the_demo_data(demo_snapshot):
    expected = _analyses(
        engine.connect("pandas").lines(demo_snapshot), as_of="2025-12-31", period_start="2025-12-01"
    )
    assert len(expected["rfm"]) > 300 and expected["headline"]["revenue"] > 0
    got = _analyses(
        engine.connect("duckdb").lines(demo_snapshot), as_of="2025-12-31", period_start="2025-12-01"
    )
    _assert_same(expected, got, engine_name="duckdb")


def test_duckdb_equals_pandas_on_online_retail(retail_snapshot):
    args = {"as_of": "2011-12-09", "period_start": "2011-11-01"}
    expected = _analyses(engine.connect("pandas").lines(retail_snapshot), **args)
    assert len(expected["rfm"]) > 4000 and expected["holdout"]["customers"].sum() > 3000
    got = _analyses(engine.connect("duckdb").lines(retail_snapshot), **args)
    _assert_same(expected, got, engine_name="duckdb")


def test_a_dataframe_on_duckdb_equals_its_snapshot(demo_snapshot):
    frame = engine.connect("pandas").lines(demo_snapshot)
    on_duckdb = engine.connect("duckdb").lines(frame)
    end = day_end("2025-12-31")
    pd.testing.assert_frame_equal(
        engine.customer_totals(frame, end=end), engine.customer_totals(on_duckdb, end=end)
    )


# --- Spark, in local mode ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java runtime (17+): `make java` installs one (as root)")
    pytest.importorskip("pyspark", reason="Spark needs pyspark: pip install 'crm_lab[spark]'")
    e = engine.connect("spark", spark_master="local[2]", memory_gb=2)
    yield e


def test_spark_sums_are_exact_decimals_above_a_billion(spark):
    many, each, total = _billions()
    _assert_exact(spark.lines(many.sample(frac=1.0, random_state=2)), each, total)


def test_spark_tables_of_frames_freed_at_once_keep_their_own_rows(spark):
    # each frame is freed as soon as it is copied: its id() is reused by the next one
    jan = spark.lines(LINES.assign(amount=10.0))
    feb = spark.lines(LINES.assign(amount=99.0))
    assert spark.to_pandas(jan.amount.max().name("m").as_table())["m"][0] == 10.0
    assert spark.to_pandas(feb.amount.max().name("m").as_table())["m"][0] == 99.0


def test_spark_equals_pandas_on_the_hand_made_lines(spark):
    on_spark = spark.lines(LINES)
    for name in ("customer_totals", "purchase_days", "monthly_totals"):
        function = getattr(engine, name)
        pd.testing.assert_frame_equal(function(LINES, end=END), function(on_spark, end=END))
    assert engine.headline_totals(on_spark, end=END) == engine.headline_totals(LINES, end=END)


def test_spark_equals_pandas_on_the_demo_data(spark, demo_snapshot):
    args = {"as_of": "2025-12-31", "period_start": "2025-12-01"}
    expected = _analyses(engine.connect("pandas").lines(demo_snapshot), **args)
    _assert_same(expected, _analyses(spark.lines(demo_snapshot), **args), engine_name="spark")


@pytest.mark.slow
def test_spark_equals_pandas_on_online_retail(spark, retail_snapshot):
    args = {"as_of": "2011-12-09", "period_start": "2011-11-01"}
    expected = _analyses(engine.connect("pandas").lines(retail_snapshot), **args)
    _assert_same(expected, _analyses(spark.lines(retail_snapshot), **args), engine_name="spark")


def test_spark_without_java_is_a_clear_error(tmp_path):
    pytest.importorskip("pyspark")
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java"), "PATH": "/nonexistent"}
    code = "from crm_lab import engine; engine.connect('spark', spark_master='local[1]')"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("crm_lab.engine.session.EngineError: Spark could not start")
    assert "Java runtime" in last and "--engine duckdb" in last


@pytest.mark.parametrize("name", ["pandas", "duckdb"])
def test_times_with_a_zone_are_refused_alike_on_every_engine(name):
    zoned = LINES.assign(ordered_at=LINES["ordered_at"].dt.tz_localize("Europe/London"))
    with pytest.raises(ValueError, match=r"column ordered_at has times with a time zone"):
        engine.customer_totals(engine.connect(name).lines(zoned), end=END)
    with pytest.raises(ValueError, match=r"Europe/London.*tz_localize\(None\)"):
        engine.purchase_days(zoned, end=END)


# --- contacts: interactions and service tickets ------------------------------------------------

# a: an email and a phone call in January, a chat after the end; b: a meeting with no direction;
# a row without a customer id
CONTACTS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", None],
        "interacted_at": pd.to_datetime(
            ["2024-01-02", "2024-01-31 23:59", "2024-03-01", "2024-02-10", "2024-02-11"],
            format="ISO8601",
        ),
        "channel": ["email", "phone", "chat", "meeting", "email"],
        "direction": ["outbound", "inbound", "inbound", None, "inbound"],
    }
)
# a: answered and resolved in the window and rated 4.5; answered, resolved only after the end
# and rated 1 (not known yet); b: never answered, rated though not resolved (no date): not
# counted; answered only after the end; c: opened after the end
TICKETS = pd.DataFrame(
    {
        "ticket_id": ["1", "2", "3", "4", "5"],
        "customer_id": ["a", "a", "b", "c", "b"],
        "opened_at": pd.to_datetime(
            ["2024-01-05", "2024-02-20", "2024-02-01", "2024-03-02", "2024-02-25"]
        ),
        "first_response_at": pd.to_datetime(
            ["2024-01-05 10:00", "2024-02-21", None, None, "2024-03-01"], format="ISO8601"
        ),
        "resolved_at": pd.to_datetime(["2024-01-06", "2024-03-05", None, None, None]),
        "satisfaction": [4.5, 1.0, 3.0, 5.0, None],
    }
)


@pytest.fixture(scope="module", params=["pandas", "duckdb"])
def on(request):
    return engine.connect(request.param)


def test_interaction_counts_known_answer(on):
    got = engine.interaction_counts(on.lines(CONTACTS, table="interactions"), end=END)
    assert got["customer_id"].tolist() == ["a", "b"]  # the anonymous row is nobody's
    assert got["interactions"].tolist() == [2, 1]  # a's chat of 1 March is after the end
    assert got[["email", "phone", "chat", "meeting"]].to_numpy().tolist() == [
        [1, 1, 0, 0],
        [0, 0, 0, 1],
    ]
    assert got[["inbound", "outbound"]].to_numpy().tolist() == [[1, 1], [0, 0]]
    assert got["last_interaction_at"][0] == pd.Timestamp("2024-01-31 23:59")
    since = engine.interaction_counts(
        on.lines(CONTACTS, table="interactions"), end=END, start=pd.Timestamp("2024-01-15")
    )
    assert since["interactions"].tolist() == [1, 1]
    undirected = engine.interaction_counts(
        on.lines(CONTACTS.drop(columns="direction"), table="interactions"), end=END
    )
    assert "inbound" not in undirected and undirected["interactions"].tolist() == [2, 1]


def test_ticket_counts_known_answer(on):
    got = engine.ticket_counts(on.lines(TICKETS, table="tickets"), end=END)
    assert got["customer_id"].tolist() == ["a", "b"]  # c's ticket is after the end
    assert got[["tickets", "responded", "resolved", "unresolved", "rated"]].to_numpy().tolist() == [
        [2, 2, 1, 1, 1],
        [2, 0, 0, 2, 0],  # b's answer came on the end day, after the window
    ]
    assert got["satisfaction"][0] == 4.5 and np.isnan(got["satisfaction"][1])
    later = engine.ticket_counts(on.lines(TICKETS, table="tickets"), end=pd.Timestamp("2024-04-01"))
    assert later["resolved"].tolist() == [2, 0, 0] and later["satisfaction"][0] == 2.75
    # without resolution dates every rating counts; without response dates nobody is answered
    bare = TICKETS.drop(columns=["resolved_at", "first_response_at"])
    got = engine.ticket_counts(on.lines(bare, table="tickets"), end=END)
    assert got["rated"].tolist() == [2, 1] and got["satisfaction"].tolist() == [2.75, 3.0]
    assert got["responded"].tolist() == [0, 0] and got["unresolved"].tolist() == [2, 2]


def test_monthly_events_known_answer(on):
    table = on.lines(CONTACTS, table="interactions")
    got = engine.monthly_events(table, at="interacted_at", end=END)
    assert got["month"].astype(str).tolist() == ["2024-01", "2024-02"]
    assert got["events"].tolist() == [2, 1] and got["customers"].tolist() == [1, 1]
    by = engine.monthly_events(table, at="interacted_at", end=END, by="direction")
    assert by[["direction", "events"]].to_numpy().tolist() == [
        ["inbound", 1],
        ["outbound", 1],
        [None, 1],  # a missing value is its own group
    ]


def _contacts(on, folder, *, end):
    return {
        "interactions": engine.interaction_counts(on.lines(folder, table="interactions"), end=end),
        "tickets": engine.ticket_counts(on.lines(folder, table="tickets"), end=end),
        "by_channel": engine.monthly_events(
            on.lines(folder, table="interactions"), at="interacted_at", end=end, by="channel"
        ),
        "by_problem": engine.monthly_events(
            on.lines(folder, table="tickets"), at="opened_at", end=end, by="problem_type"
        ),
    }


def test_contacts_on_duckdb_equal_pandas_on_the_demo_data(demo_snapshot):
    end = day_end("2025-12-31")
    expected = _contacts(engine.connect("pandas"), demo_snapshot, end=end)
    assert len(expected["interactions"]) > 300 and expected["tickets"]["tickets"].sum() > 100
    _assert_same(expected, _contacts(engine.connect("duckdb"), demo_snapshot, end=end),
                 engine_name="duckdb")  # fmt: skip


def test_spark_equals_pandas_on_the_demo_contacts(spark, demo_snapshot):
    end = day_end("2025-12-31")
    expected = _contacts(engine.connect("pandas"), demo_snapshot, end=end)
    _assert_same(expected, _contacts(spark, demo_snapshot, end=end), engine_name="spark")


@pytest.mark.parametrize("name", ["pandas", "duckdb"])
def test_contacts_after_the_end_change_nothing(name, demo_snapshot):
    on, pandas = engine.connect(name), engine.connect("pandas")
    end = day_end("2025-06-30")
    whole = _contacts(on, demo_snapshot, end=end)
    contacts = pandas.lines(demo_snapshot, table="interactions")
    cut = contacts[contacts["interacted_at"] < end]
    assert len(cut) < len(contacts)
    pd.testing.assert_frame_equal(
        whole["interactions"], engine.interaction_counts(on.lines(cut), end=end)
    )
    # what happened to a ticket after the end is not known then, whatever the export says now
    tickets = pandas.lines(demo_snapshot, table="tickets")
    before = tickets.assign(
        first_response_at=tickets["first_response_at"].where(tickets["first_response_at"] < end),
        resolved_at=tickets["resolved_at"].where(tickets["resolved_at"] < end),
        satisfaction=tickets["satisfaction"].where(tickets["resolved_at"] < end),
    )
    assert (before["first_response_at"].isna() & tickets["first_response_at"].notna()).any()
    assert (before["resolved_at"].isna() & tickets["resolved_at"].notna()).any()
    pd.testing.assert_frame_equal(whole["tickets"], engine.ticket_counts(on.lines(before), end=end))


def test_spark_equals_pandas_on_the_demo_quality_counts(spark, demo_snapshot):
    data = ingest.read_clean(demo_snapshot)
    on_spark = dataclasses.replace(
        data, tables={**data.tables, "transactions": spark.lines(demo_snapshot)}
    )
    expected = record_figures(data, as_of="2025-12-31")
    assert expected["kinds"]["lines"].sum() > 1000
    _assert_same(expected, record_figures(on_spark, as_of="2025-12-31"), engine_name="spark")


def test_a_date_span_over_nanosecond_parquet_on_duckdb(tmp_path):
    # DuckDB's perfect-hash aggregate overflowed on year * 12 + month over nanosecond times
    file = tmp_path / "ns.parquet"
    at = pd.to_datetime(["2024-01-05", "2024-03-01", "2025-02-01"]).astype("datetime64[ns]")
    pd.DataFrame({"at": at}).to_parquet(file)
    end = pd.Timestamp("2025-01-01")
    expected = {"first": at[0], "last": at[1], "months_with_rows": 2}
    assert engine.date_span(engine.connect("duckdb").lines(file), at="at", end=end) == expected
    assert engine.date_span(pd.read_parquet(file), at="at", end=end) == expected


def test_filled_counts_need_the_end_of_a_dated_window():
    with pytest.raises(ValueError, match="needs the end of the window"):
        engine.filled_counts(CONTACTS, columns=["channel"], at="interacted_at")
    assert engine.filled_counts(CONTACTS, columns=["channel"])["rows"].tolist() == [5]
