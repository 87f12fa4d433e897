"""The store of customers' states: one snapshot per day, the same on a rerun, others untouched,
cluster ids carried from day to day; Online Retail month by month for its 13 months."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_lab import privacy
from crm_lab.reporting import moves, portraits
from crm_lab.reporting import states as stored
from crm_lab.segments import migration, states

MONTHS = [*pd.date_range("2010-12-31", "2011-11-30", freq="ME"), pd.Timestamp("2011-12-09")]


@pytest.fixture(scope="module")
def retail_store(retail, tmp_path_factory):
    folder = tmp_path_factory.mktemp("retail-states")
    stored.backfill(retail.tables, folder, days=MONTHS, say=lambda _: None)
    return folder


def test_online_retail_month_by_month(retail, retail_store):
    assert stored.stored_days(retail_store) == MONTHS  # 13 snapshots, Dec 2010 to Dec 2011
    lines = retail["transactions"]
    for day in MONTHS:
        table = stored.load_states(retail_store, as_of=day)
        assert table["customer_id"].is_unique
        # every customer who bought by that day (any sale line of a positive quantity), once
        bought = lines[(lines["line_type"] == "sale") & (lines["quantity"] > 0)
                       & lines["customer_id"].notna()
                       & (lines["ordered_at"] < day + pd.Timedelta(days=1))]  # fmt: skip
        buyers = table[table["lifecycle_stage"] != "potential"]
        assert set(buyers["customer_id"]) == set(bought["customer_id"]), day
        assert buyers["segment"].notna().all() and table["lifecycle_stage"].notna().all()
    # the classification period after period: each day's counts
    over = stored.states_over(retail_store, column="lifecycle_stage")
    assert over.columns.tolist() == [d.date().isoformat() for d in MONTHS]
    last = stored.load_states(retail_store, as_of=MONTHS[-1])["lifecycle_stage"].value_counts()
    assert over[MONTHS[-1].date().isoformat()].to_dict() == last.to_dict()


def test_two_consecutive_snapshots_migrate_as_computed_on_the_day(retail, retail_store):
    before = stored.load_states(retail_store, as_of="2011-10-31")
    after = stored.load_states(retail_store, as_of="2011-11-30")
    fresh = states.customer_states(
        retail["transactions"], as_of="2011-11-30", customers=retail.tables.get("customers")
    ).table
    common = [c for c in states.STATE_COLUMNS if c not in ("cluster",)]

    def plain(frame):  # missing as None and text as objects, whatever the Parquet round trip
        return frame.astype("object").where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(after[common]), plain(fresh[common]), check_dtype=False)
    views = moves.migration_views(before, after)
    for column in ("segment", "lifecycle_stage", "value_tier"):
        moved = migration.between(before, after, column=column)
        counts = migration.flow_matrix(moved, order=list(views[column]["hidden"].columns))
        assert counts.to_numpy().sum() == after[column].notna().sum()
        assert counts.drop(index=migration.NEW).to_numpy().sum() == before[column].notna().sum()
        assert len(moved) == counts.to_numpy().sum()


def test_cluster_ids_carry_from_day_to_day(retail_store):
    kept = []
    for earlier, later in zip(MONTHS[-4:-1], MONTHS[-3:], strict=True):
        a = stored.load_clusters(retail_store, as_of=earlier)
        b = stored.load_clusters(retail_store, as_of=later)
        kept.append(len(set(a.centres.index) & set(b.centres.index)) / len(b.centres))
    assert min(kept) >= 0.5, kept  # most clusters are found again and keep their ids


def test_a_rerun_gives_the_same_snapshot_and_leaves_other_days(demo, tmp_path):
    tables = demo.tables
    folder = tmp_path / "states"
    first = stored.record_states(tables, folder, as_of="2025-11-30")
    second = stored.record_states(tables, folder, as_of="2025-12-31")
    kept = first.read_bytes(), second.read_bytes()
    stored.record_states(tables, folder, as_of="2025-12-31")  # the same day again
    assert second.read_bytes() == kept[1] and first.read_bytes() == kept[0]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert oct(second.stat().st_mode & 0o777) == "0o600"
    # later rows in the input change no stored day
    later = dict(tables)
    extra = tables["transactions"].assign(ordered_at=pd.Timestamp("2026-03-01 12:00"))
    later["transactions"] = pd.concat([tables["transactions"], extra], ignore_index=True)
    stored.record_states(later, folder, as_of="2025-12-31")
    assert second.read_bytes() == kept[1]
    table = stored.load_states(folder, as_of="2025-12-31")
    assert table["cluster_name"].notna().sum() == table["cluster"].notna().sum()


def test_a_report_run_stores_its_day(demo_run):
    code, root = demo_run
    assert code == 0
    folder = root / "work" / "states"
    assert stored.stored_days(folder) == [pd.Timestamp("2025-12-31")]


def test_the_pages_the_scores_and_the_store_share_cluster_ids(demo, tmp_path):
    """With November's states stored, December's clusters on the segments page, in the
    migration page's states, in ``crm-lab scores`` and in the store are the same customers
    under the same ids, and the page's day before is November as stored."""
    tables, folder = demo.tables, tmp_path / "states"
    stored.record_states(tables, folder, as_of="2025-11-30")
    stored.record_states(tables, folder, as_of="2025-12-31", period_start="2025-12-01")

    def ids(frame):
        out = frame.set_index(frame["customer_id"].astype("object"))["cluster"]
        return out.dropna().astype(int).sort_index()

    november = ids(stored.load_states(folder, as_of="2025-11-30"))
    december = ids(stored.load_states(folder, as_of="2025-12-31"))
    page, warnings = portraits.cluster_for_page(
        tables, as_of="2025-12-31", period_start="2025-12-01", states_dir=folder
    )
    assert warnings == []
    pd.testing.assert_series_equal(ids(page.now.labels), december, check_names=False)
    pd.testing.assert_series_equal(ids(page.before.labels), november, check_names=False)
    earlier, now = stored.period_states(tables, as_of="2025-12-31", period_start="2025-12-01",
                                        states_dir=folder)  # fmt: skip
    pd.testing.assert_series_equal(ids(now.table), december, check_names=False)
    pd.testing.assert_series_equal(ids(earlier.table), november, check_names=False)
    scores = stored.scores_table(tables, as_of="2025-12-31", states_dir=folder)
    pd.testing.assert_series_equal(ids(scores), december, check_names=False)
    # the ids come from the store: relabel November's stored clusters and December follows
    centres = stored.load_clusters(folder, as_of="2025-11-30").centres
    shifted = {int(c): int(c) + 10 for c in centres.index}
    moved_store = tmp_path / "shifted"
    table = stored.load_states(folder, as_of="2025-11-30")
    table["cluster"] = table["cluster"].map(shifted).astype("Int64")
    from crm_lab.reporting import store

    store.save_day(moved_store, table, centres.rename(index=shifted), as_of="2025-11-30")
    again, _ = portraits.cluster_for_page(
        tables, as_of="2025-12-31", period_start="2025-12-01", states_dir=moved_store
    )
    expected = december.map(lambda c: shifted.get(c, c))
    pd.testing.assert_series_equal(ids(again.now.labels), expected, check_names=False)


def test_with_a_data_key_the_store_is_encrypted(demo, tmp_path):
    key = privacy.new_data_key(tmp_path / "keys" / "data.key")
    folder, plain = tmp_path / "states", tmp_path / "plain"
    stored.record_states(demo.tables, plain, as_of="2025-11-30")
    stored.record_states(demo.tables, folder, as_of="2025-11-30")  # an earlier plain run
    stored.record_states(demo.tables, folder, as_of="2025-11-30", key_file=key)
    assert sorted(p.name for p in folder.iterdir()) == [
        "clusters-2025-11-30.parquet.enc", "customers-2025-11-30.parquet.enc"]  # fmt: skip
    sealed = (folder / "customers-2025-11-30.parquet.enc").read_bytes()
    ids = stored.load_states(plain, as_of="2025-11-30")["customer_id"]
    assert not any(i.encode() in sealed for i in ids.head(50))
    with pytest.raises(ValueError, match="is encrypted: give the data key"):
        stored.load_states(folder, as_of="2025-11-30")
    pd.testing.assert_frame_equal(
        stored.load_states(folder, as_of="2025-11-30", key_file=key),
        stored.load_states(plain, as_of="2025-11-30"),
    )
    assert stored.stored_days(folder) == [pd.Timestamp("2025-11-30")]
    over = stored.states_over(folder, key_file=key)
    pd.testing.assert_frame_equal(over, stored.states_over(plain))
    # December matches November's encrypted centres as it would the plain ones
    december = stored.record_states(demo.tables, folder, as_of="2025-12-31", key_file=key)
    assert december.name == "customers-2025-12-31.parquet.enc"
    stored.record_states(demo.tables, plain, as_of="2025-12-31")
    pd.testing.assert_frame_equal(
        stored.load_states(folder, as_of="2025-12-31", key_file=key),
        stored.load_states(plain, as_of="2025-12-31"),
    )


def test_moves_lists_who_moved_between_two_stored_days(demo, tmp_path, capsys):
    from crm_lab import cli

    folder = tmp_path / "states"
    stored.record_states(demo.tables, folder, as_of="2025-11-30")
    stored.record_states(demo.tables, folder, as_of="2025-12-31", period_start="2025-12-01")
    out = tmp_path / "moves.csv"
    argv = ["moves", "--states", str(folder), "--from", "2025-11-30", "--to", "2025-12-31",
            "--column", "lifecycle_stage", "--out", str(out), "--raw-ids"]  # fmt: skip
    assert cli.main(argv) == 0
    listed = pd.read_csv(out, dtype={"customer_id": str})
    before = stored.load_states(folder, as_of="2025-11-30").set_index("customer_id")
    after = stored.load_states(folder, as_of="2025-12-31").set_index("customer_id")
    # every customer whose stage is not the same on both days, once, and nobody else
    common = before.index.intersection(after.index)
    changed = common[(before.loc[common, "lifecycle_stage"]
                      != after.loc[common, "lifecycle_stage"]).to_numpy()]  # fmt: skip
    assert set(listed["customer_id"]) == set(changed) and listed["customer_id"].is_unique
    assert set(listed["move"]) <= {"up", "down", "changed"}
    # moved down first, most value at stake first; the value is November's predicted value
    kinds = listed["move"].map({"down": 0, "up": 1, "changed": 2})
    assert kinds.is_monotonic_increasing
    for _, part in listed.groupby("move"):
        assert part["value"].is_monotonic_decreasing
    first = listed.iloc[0]
    assert first["value"] == pytest.approx(before.loc[first["customer_id"], "predicted_value"])
    assert "moved in lifecycle_stage" in capsys.readouterr().out
    # pseudonyms by default; a day the store does not hold is a clear error
    argv_pseudo = [a for a in argv if a != "--raw-ids"]
    assert cli.main(argv_pseudo) == 0
    assert not set(pd.read_csv(out, dtype=str)["customer_id"]) & set(changed)
    missing = [*argv_pseudo[:4], "2025-10-31", *argv_pseudo[5:]]
    assert cli.main(missing) == 2
    err = capsys.readouterr().err
    assert "holds no states of 2025-10-31" in err and "2025-11-30, 2025-12-31" in err
