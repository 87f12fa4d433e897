"""Export profiles: detection, the column each header goes to, the user's override, bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_lab import ingest
from crm_lab.core.lines import sale_lines
from crm_lab.ingest import LoadError, ProfileError, load_data, read_clean
from crm_lab.ingest.profiles import MIN_CONFIDENCE, detect, load_profiles
from crm_lab.reporting.templates import unmet_requirements

EXPORTS = Path(__file__).with_name("exports")
CONTACTS = EXPORTS / "salesforce" / "contacts"
SHOPIFY = ["Name", "Email", "Financial Status", "Paid at", "Lineitem quantity"]
SHOPIFY += ["Lineitem name", "Lineitem price", "Lineitem sku"]


def test_every_built_in_profile_reads_and_names_its_source():
    profiles = load_profiles()
    systems = {"salesforce", "hubspot", "zoho", "fxiaoke", "shopify", "woocommerce"}
    systems |= {"taobao", "pinduoduo", "jd", "youzan"}
    assert systems <= set(profiles)
    for profile in profiles.values():
        assert profile.source, profile.name  # where the layout comes from
        for spec in profile.tables:
            assert len(spec.signature) >= 3, (profile.name, spec.object)


def test_a_salesforce_contacts_export_keys_on_the_person_not_the_company():
    data = read_clean(CONTACTS)
    customers = data["customers"]
    # two contacts at one account stay two customers: Id is the key, AccountId the company
    assert customers["customer_id"].str.startswith("0035").all()
    assert len(customers) == 10
    note = next(n for n in data.notes if "customers.customer_id read from" in n)
    assert "read from 'Id'; also possible: 'AccountId'" in note  # said, and how to choose
    mapped = data.mappings.set_index("header")
    assert mapped.loc["Id", "column"] == "customer_id"
    assert mapped.loc["AccountId", "status"] == "ignored"


def test_the_user_chooses_another_header_for_a_column(tmp_path):
    data = load_data(CONTACTS, columns={"customers.customer_id": "AccountId"})
    ids = data["customers"]["customer_id"]
    assert ids.str.startswith("0015").all() and ids.nunique() < len(ids)  # one per company
    with pytest.raises(LoadError, match="no header 'AcountId'"):
        load_data(CONTACTS, columns={"customers.customer_id": "AcountId"})
    with pytest.raises(LoadError, match="--column customer_id=Nope: no file has"):
        load_data(CONTACTS, columns={"customer_id": "Nope"})


def test_several_candidates_for_a_column_are_said_and_the_first_alias_wins(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("id,name,phone,mobile\n1,Ann,+44 20 7946 0018,+44 7700 900123\n", "utf-8")
    read = ingest.read_table(path)
    assert read.frame["phone"].tolist() == ["+442079460018"]
    assert any(
        "customers.phone read from 'phone'; also possible: 'mobile'" in n for n in read.notes
    )


def test_a_zoho_contact_is_named_by_first_and_last_name_not_the_company():
    data = load_data(EXPORTS / "zoho" / "contacts")
    names = data["customers"].set_index("customer_id")["name"]
    assert names["5725767000000412001"] == "Ava Morgan"
    assert not names.str.contains("Rocky Ridge").any()


def test_an_accounts_file_is_named_by_its_company_when_no_person_is_named(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,account_name,city\nA1,Rocky Ridge Gear,Denver\n", "utf-8")
    read = ingest.read_table(path)
    assert read.frame["name"].tolist() == ["Rocky Ridge Gear"]


def test_detection_needs_most_of_a_signature_and_a_named_profile_must_fit():
    profiles = load_profiles()
    match = detect(SHOPIFY, profiles)
    assert (match.profile.name, match.table.grain) == ("shopify", "items")
    assert match.confidence >= MIN_CONFIDENCE
    few = SHOPIFY[:2] + ["Total"]
    assert detect(few, profiles) is None  # Name and Email are everybody's headers
    assert MIN_CONFIDENCE == 0.8
    with pytest.raises(ProfileError, match="no profile named 'shopfy'"):
        detect(SHOPIFY, profiles, name="shopfy")
    with pytest.raises(ProfileError, match="match none of profile taobao's exports"):
        detect(["customer_id", "name"], profiles, name="taobao")


def test_a_file_that_looks_like_an_export_says_which_profile_to_try(tmp_path):
    path = tmp_path / "orders.csv"
    head = "Name,Paid at,Lineitem quantity,Lineitem price,Lineitem sku,Email,Financial Status"
    path.write_text(f"{head}\n#1,2024-01-01,1,2.5,A,a@example.com,paid\n", "utf-8")
    with pytest.raises(LoadError) as err:
        ingest.read_table(path)
    text = str(err.value)
    assert "did you mean 'Lineitem sku' -> product_id, 'Lineitem quantity' -> quantity" in text
    assert "try --profile shopify" in text
    assert "a@example.com" not in text  # never a value
    # and read with that profile, it loads (the order number is Name, the date Paid at)
    read = ingest.read_table(path, profile="shopify")
    assert read.frame[["invoice_id", "quantity", "unit_price"]].values.tolist() == [["#1", 1, 2.5]]


def test_a_long_header_row_is_counted_not_listed(tmp_path):
    path = tmp_path / "orders.csv"
    headers = [f"col{i}" for i in range(40)]
    path.write_text(",".join(headers) + "\n" + ",".join("x" * 40) + "\n", "utf-8")
    with pytest.raises(LoadError, match="40 headers found, starting"):
        ingest.read_table(path, table="transactions")


def test_an_order_level_export_is_one_line_per_order_and_not_a_basket():
    data = read_clean(EXPORTS / "taobao" / "orders")
    tx = data["transactions"]
    assert (tx["grain"] == "order").all() and (tx["product_id"] == "(order)").all()
    # unit price is what was paid over the items: amount / quantity, by hand for one order
    row = tx.set_index("invoice_id").loc["3712024030500001001"]
    assert row["unit_price"] * row["quantity"] == pytest.approx(row["amount"])
    assert len(sale_lines(tx, products_only=True)) == 0 and len(sale_lines(tx)) > 0
    assert unmet_requirements(["transactions:items"], data.tables) == [
        "every transactions row is a whole order (an order-level export): product lines are needed"
    ]
    assert unmet_requirements(["transactions"], data.tables) == []


def test_a_folder_of_monthly_vendor_files_is_read_whole(tmp_path):
    for f in (EXPORTS / "taobao" / "monthly").glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", "utf-8")  # not a table, not an export
    data = load_data(tmp_path)
    assert data["transactions"]["ordered_at"].dt.month.nunique() == 2
    assert any("notes.csv: not a table name, ignored" in n for n in data.notes)


def test_a_profile_from_the_user_is_read_and_a_broken_one_is_one_clear_error(tmp_path):
    mine = tmp_path / "profiles"
    mine.mkdir()
    (mine / "shop.yaml").write_text(
        "name: myshop\nsystem: My shop\nsource: our own export\ntables:\n"
        "  - table: transactions\n    grain: orders\n"
        "    signature: [Beleg, Kunde, Datum, Summe]\n"
        "    columns: {invoice_id: Beleg, customer_id: Kunde, ordered_at: Datum, amount: Summe}\n",
        "utf-8",
    )
    path = tmp_path / "export.csv"
    path.write_text("Beleg,Kunde,Datum,Summe\nB1,K1,2024-01-05,20\n", "utf-8")
    read = ingest.read_table(path, profiles=mine)
    assert read.frame[["invoice_id", "quantity", "unit_price", "grain"]].values.tolist() == [
        ["B1", 1.0, 20.0, "order"]
    ]
    (mine / "bad.yaml").write_text("name: bad\ntables:\n  - table: orders\n", "utf-8")
    with pytest.raises(ProfileError, match=r"bad.yaml: tables\[0\]\.table: 'orders'"):
        load_profiles(mine)


def test_shop_picklists_and_statuses_map_onto_crm_lab_words():
    data = load_data(EXPORTS / "salesforce" / "contacts")
    channels = set(data["customers"]["acquisition_channel"].dropna())
    assert {"referral", "web_form", "phone"} <= channels
    assert not (data.quarantine["rule"] == "not_allowed").any()  # no picklist value refused


def test_a_snapshot_keeps_the_mappings(tmp_path):
    data = read_clean(CONTACTS)
    ingest.save_tables(data, tmp_path / "snap")
    back = read_clean(tmp_path / "snap")
    pd.testing.assert_frame_equal(
        back.mappings.reset_index(drop=True), data.mappings.reset_index(drop=True)
    )


def test_an_export_without_the_column_that_tells_records_apart_is_refused(tmp_path):
    """A Salesforce Opportunity export without IsWon and StageName cannot say which deals were
    won: read whole, every open and lost deal would be a purchase."""
    source = EXPORTS / "salesforce" / "dataloader_opportunities" / "opportunityData.csv"
    frame = pd.read_csv(source, dtype=str, encoding="cp1252", keep_default_na=False)
    stage = [c for c in frame.columns if c.lower() in ("iswon", "stagename")]
    assert stage  # the real file has them
    path = tmp_path / "opportunityData.csv"
    frame.drop(columns=stage).to_csv(path, index=False)
    with pytest.raises(LoadError, match="none of the header.* that tell which rows are records"):
        ingest.read_table(path, profile="salesforce")


def test_a_customers_file_wins_over_the_customer_fields_of_an_order_export(tmp_path):
    for case in ("orders", "customers"):
        for f in (EXPORTS / "shopify" / case).glob("*.csv"):
            shutil.copy(f, tmp_path / f.name)
    data = load_data(tmp_path)
    assert len(data["customers"]) == 8  # the customers export's 8 records
    assert any("customer fields of the order export were not used" in n for n in data.notes)
    # the two files join: every order's customer is a record of the customers export
    known = set(data["customers"]["customer_id"])
    assert set(data["transactions"]["customer_id"].dropna()) <= known


def _shopify(tmp_path, rows: list[str], name: str = "orders_export.csv") -> Path:
    head = "Name,Email,Financial Status,Paid at,Lineitem quantity,Lineitem name,Lineitem price"
    path = tmp_path / name
    path.write_text("\n".join([f"{head},Lineitem sku,Billing Name", *rows]) + "\n", "utf-8")
    return path


def test_a_line_without_a_sku_is_named_by_its_product_name_row_by_row(tmp_path):
    path = _shopify(
        tmp_path,
        [
            "#1,a@example.com,paid,2024-03-01 10:00,1,Mug,12.5,MUG-1,Ann Lee",
            "#1,,,,2,Tea towel,4.0,,",  # Shopify writes no SKU for a product without one
            "#2,b@example.com,paid,2024-03-02 11:00,1,Plate,8.0,,Bo Chan",
        ],
    )
    data = read_clean(path)
    assert data["transactions"]["product_id"].tolist() == ["MUG-1", "Tea towel", "Plate"]
    assert data.quarantine.empty
    mapped = data.mappings[data.mappings["table"] == "transactions"]
    assert set(mapped.loc[mapped["column"] == "product_id", "header"]) == {
        "Lineitem sku",
        "Lineitem name",
    }


def test_customer_records_come_only_from_rows_read_and_a_blank_order_fills_nothing(tmp_path):
    path = _shopify(
        tmp_path,
        [
            "#1,a@example.com,paid,2024-03-01 10:00,1,Mug,12.5,MUG-1,Ann Lee",
            "#2,b@example.com,paid,2024-03-02 11:00,abc,Plate,8.0,PLT,Bo Chan",  # bad quantity
            ",c@example.com,paid,2024-03-03 12:00,1,Bowl,5.0,BWL,Cy Dee",
            ",,,,1,Cup,3.0,CUP,",  # no order name: not a line of the row above
        ],
    )
    data = read_clean(path)
    assert sorted(data["customers"]["customer_id"]) == ["a@example.com"]
    assert "b@example.com" not in set(data["transactions"]["customer_id"].dropna())
    assert not any("filled in" in n for n in data.notes)


def test_a_masked_phone_is_no_customer_id(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id,name\n138****8000,王小明\n138****8000,林晓\n13800138001,陈静\n", "utf-8"
    )
    read = ingest.read_table(path)
    assert read.frame["customer_id"].tolist() == ["13800138001"]
    assert set(read.quarantine["rule"]) == {"masked_id"}


def test_a_column_choice_may_supply_a_required_column_and_follows_the_customer_records(tmp_path):
    path = tmp_path / "transactions.csv"
    head = "Invoice Nr,customer_id,ordered_at,product_id,quantity,unit_price"
    path.write_text(f"{head}\ni1,c1,2024-01-02,p1,1,2.5\n", "utf-8")
    read = ingest.read_table(path, columns={"invoice_id": "Invoice Nr"})
    assert read.frame["invoice_id"].tolist() == ["i1"]
    orders = _shopify(tmp_path, ["#1,a@example.com,paid,2024-03-01 10:00,1,Mug,12.5,M,Ann Lee"])
    data = read_clean(orders, columns={"customer_id": "Billing Name"})
    assert data["transactions"]["customer_id"].tolist() == ["Ann Lee"]
    assert data["customers"]["customer_id"].tolist() == ["Ann Lee"]  # the orders' customer


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("    split: [x]\n", r"split: expected column: one value"),
        ("    split: {customer_id: ''}\n", r"split: expected column: one value"),
        ("    constants: {category: [1, 2]}\n", r"constants: expected column: one value"),
        ("    keep: {header: K, values: [null], reason: 'r: x'}\n", r"keep.values"),
        ("    keep: {header: K, values: [a], reason: ': x'}\n", r"keep.reason"),
        ("    customers: cid\n", r"customers: expected a mapping"),
    ],
)
def test_a_profile_with_a_malformed_key_is_one_clear_error(tmp_path, change, message):
    mine = tmp_path / "p.yaml"
    mine.write_text(
        "name: mine\nsystem: Mine\ntables:\n  - table: transactions\n"
        "    signature: [A, B, C]\n    columns: {invoice_id: A}\n" + change,
        "utf-8",
    )
    with pytest.raises(ProfileError, match=message):
        load_profiles(mine)
    for top, why in (("phone_region: XX", "phone_region"), ("day_first: 'false'", "day_first")):
        mine.write_text(
            f"name: mine\n{top}\ntables:\n  - table: transactions\n"
            "    signature: [A, B, C]\n    columns: {invoice_id: A}\n",
            "utf-8",
        )
        with pytest.raises(ProfileError, match=why):
            load_profiles(mine)
    mine.write_text("name: mine\ntables:\n  - table: [transactions]\n", "utf-8")
    with pytest.raises(ProfileError, match=r"tables\[0\]\.table"):
        load_profiles(mine)
