"""Loaded tables into clean ones: the order-line policies, customer merging and folded responses.

``load`` (``ingest.readers``) has already read every value (``ingest.values``); the policies here
work on whole tables: exact duplicate order lines, lines priced at zero or below, lines whose
amount is not a finite number and sale lines with a negative quantity or amount are
quarantined, fee lines are typed ``non_product``, duplicate customer records are merged
(``ingest.dedup``) and every table's ``customer_id`` follows the master record, the lines of an
invoice that names two customers are quarantined, and repeated campaign responses are folded
into one. The accounting keeps ``rows_in = rows_clean +
rows_quarantined + rows_merged`` per table.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from crm_lab.core.dataset import Dataset, quarantine_frame, quarantine_rows
from crm_lab.core.schemas import conform
from crm_lab.ingest import dedup, eventlog
from crm_lab.ingest.parts import LineParts, row_hashes
from crm_lab.ingest.readers import LoadError, read_yaml_mapping

__all__ = [
    "check_policies",
    "read_tag_rules",
    "clean_dataset",
    "clean_transactions",
    "duplicate_rows",
    "load_policies",
    "shared_invoices",
]


_POLICIES_FILE = Path(__file__).with_name("policies.yaml")
_TAGS_FILE = Path(__file__).with_name("tags.yaml")


def read_tag_rules(path: str | Path | None = None) -> list:
    """Read tag rules (the built-in ``tags.yaml``, or a user's file in its shape) into the
    list ``segments.tags.apply_rules`` reads. The file is read as data (``yaml.safe_load``):
    nothing in it runs. A file that is not YAML, or not ``{tags: [rules]}``, is a
    ``LoadError`` naming it; ``segments.tags.check_rules`` checks each rule.

    >>> [rule["tag"] for rule in read_tag_rules()][:3]
    ['new', 'returning', 'vip']
    """
    if path is None:
        data = yaml.safe_load(_TAGS_FILE.read_text("utf-8"))
    else:
        data = read_yaml_mapping(path, what="tag rules")
    rules = data.get("tags") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        raise LoadError(path or _TAGS_FILE, "expected a mapping with a 'tags' list of rules, "
                        "each {tag: name, all: [conditions]}")  # fmt: skip
    return rules


def load_policies(path: str | Path | None = None) -> dict:
    """Read the cleaning policies (``policies.yaml``, or a user's file merged over it).

    Raises
    ------
    LoadError
        The user's file is missing, not YAML, or holds a policy of the wrong kind (a switch
        that is not true/false, a product code that is not a regular expression, ...).
    """
    policies = yaml.safe_load(_POLICIES_FILE.read_text("utf-8"))
    if path:
        user = dict(read_yaml_mapping(path, what="policies"))
        merged = {}
        for name in ("dedup", "ticket_events"):  # mappings: the user's keys over the shipped
            extra = user.pop(name, None) or {}
            if not isinstance(extra, dict):
                raise LoadError(path, f"{name}: expected a mapping, got {extra!r}")
            merged[name] = {**policies.get(name, {}), **extra}
        policies.update(user)
        policies.update(merged)
        check_policies(policies, source=path)
    return policies


_SWITCHES = (
    "drop_exact_duplicate_lines",
    "quarantine_non_positive_prices",
    "quarantine_negative_sales",
    "quarantine_shared_invoices",
)


def check_policies(policies: dict, *, source: str | Path = "policies") -> None:
    """Check a policies mapping; raise one ``LoadError`` naming the first policy that is wrong.

    >>> try:
    ...     check_policies({"quarantine_negative_sales": "yes"})
    ... except LoadError as exc:
    ...     print(exc)
    policies: quarantine_negative_sales: expected true or false, got 'yes'
    """
    for name in _SWITCHES:
        if name in policies and not isinstance(policies[name], bool):
            raise LoadError(source, f"{name}: expected true or false, got {policies[name]!r}")
    codes = policies.get("non_product_codes") or []
    if not isinstance(codes, list):
        raise LoadError(source, f"non_product_codes: expected a list of patterns, got {codes!r}")
    for code in codes:
        try:
            re.compile(str(code))
        except re.error as exc:
            raise LoadError(
                source, f"non_product_codes: {code!r} is not a regular expression ({exc})"
            ) from None
    settings = policies.get("dedup") or {}
    if not isinstance(settings, dict):
        raise LoadError(source, f"dedup: expected a mapping, got {settings!r}")
    for name in ("max_records_per_key", "fuzzy_name_threshold"):
        value = settings.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise LoadError(source, f"dedup.{name}: expected a number, got {value!r}")
    keys = settings.get("exact_keys")
    if keys is not None and not (
        isinstance(keys, list) and set(keys) <= {"phone", "email", "customer_id"}
    ):
        raise LoadError(source, f"dedup.exact_keys: expected a list of phone, email, got {keys!r}")
    marks = policies.get("ticket_events") or {}
    if not isinstance(marks, dict):
        raise LoadError(source, f"ticket_events: expected a mapping, got {marks!r}")
    for name, names in marks.items():
        if name not in eventlog.MARKS:
            raise LoadError(source, f"ticket_events.{name}: expected one of "
                            f"{', '.join(eventlog.MARKS)}")  # fmt: skip
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise LoadError(source, f"ticket_events.{name}: expected a list of activity names, "
                            f"got {names!r}")  # fmt: skip


def _rows_out(table, provenance, mask, rule, reason, action, frame, column=""):
    idx = np.flatnonzero(mask)
    prov = provenance.iloc[idx] if provenance is not None else None
    return quarantine_rows(
        table=table,
        source_file=prov["source_file"].to_numpy() if prov is not None else "",
        source_line=prov["source_line"].to_numpy() if prov is not None else np.zeros(len(idx)),
        column=column,
        value=frame[column].iloc[idx].to_numpy() if column else "",
        rule=rule,
        reason=reason,
        action=action,
    )


def duplicate_rows(frame: pd.DataFrame) -> np.ndarray:
    """A table into the mask of its rows that repeat an earlier row exactly (all columns).

    The same answer as ``DataFrame.duplicated(keep="first")``, with a fraction of its memory:
    pandas factorizes every column at once (at 20 M order lines, 2.7 GB beside the table and
    15 s), while here one 64-bit hash per row is built column by column
    (``pd.util.hash_pandas_object``) and only the rows whose hash repeats are compared
    exactly, with ``duplicated`` itself. Equal rows always hash alike: floats are normalised
    first (-0.0 is 0.0 and every NaN one NaN, as ``duplicated`` treats them), so a hash
    collision can only add candidates, never lose a duplicate.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.0, -0.0, 1.0, 0.0, np.nan, np.nan], "b": list("xyxyzz")})
    >>> duplicate_rows(frame).tolist()
    [False, False, True, True, False, True]
    """
    if frame.empty:
        return np.zeros(len(frame), dtype=bool)
    hashes = pd.Series(row_hashes(frame))
    candidates = hashes.duplicated(keep=False).to_numpy()
    out = np.zeros(len(frame), dtype=bool)
    if candidates.any():
        out[candidates] = frame[candidates].duplicated(keep="first").to_numpy()
    return out


# the rules clean_transactions applies, in its order (its quarantine lists them so)
LINE_RULES = ("exact_duplicate", "non_positive_price", "amount_not_finite", "negative_sale")


def clean_transactions(
    transactions: pd.DataFrame,
    *,
    policies: dict,
    provenance: pd.DataFrame | None = None,
    duplicates: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Apply the transaction policies: duplicates, non-positive prices, infinite amounts and
    negative sales out, fees typed.

    Returns the cleaned table, the quarantine rows for what left it (with file and line from
    ``provenance``), and the provenance of the rows kept. ``duplicates`` is the mask of the
    rows that repeat an earlier row, when it was found beyond this table (``parts``: a batch
    of a larger one); by default ``duplicate_rows`` finds it here.
    """
    tx = transactions.reset_index(drop=True)  # copy-on-write: the input stays as it is
    prov = provenance.reset_index(drop=True) if provenance is not None else None
    parts = []
    drop = np.zeros(len(tx), dtype=bool)
    if policies.get("drop_exact_duplicate_lines", True):
        dup = duplicate_rows(tx) if duplicates is None else np.asarray(duplicates, dtype=bool)
        parts.append(
            _rows_out(
                "transactions",
                prov,
                dup,
                "exact_duplicate",
                "the same line appears earlier in the data",
                "row_quarantined",
                tx,
            )
        )
        drop |= dup
    if policies.get("quarantine_non_positive_prices", True):
        bad_price = ((tx["unit_price"] <= 0) & (tx["line_type"] != "adjustment")).to_numpy()
        bad_price = bad_price & ~drop
        parts.append(
            _rows_out(
                "transactions",
                prov,
                bad_price,
                "non_positive_price",
                "price is zero or below: not a sale (stock adjustment, damaged "
                "goods or a free sample)",
                "row_quarantined",
                tx,
                "unit_price",
            )
        )
        drop |= bad_price
    # quantity * price beyond the float range (1e200 x 1e200): not an amount
    amount = (tx["amount"] if "amount" in tx else tx["quantity"] * tx["unit_price"]).to_numpy(
        dtype="float64", na_value=np.nan
    )
    infinite = np.isinf(amount) & ~drop
    parts.append(
        _rows_out(
            "transactions",
            prov,
            infinite,
            "amount_not_finite",
            "the amount (quantity x price) is not a finite number; expected an amount",
            "row_quarantined",
            tx.assign(amount=amount),
            "amount",
        )
    )
    drop |= infinite
    if policies.get("quarantine_negative_sales", True):
        # a line typed sale must add to revenue: a negative one is a return typed wrongly
        negative = ((tx["line_type"] == "sale") & (tx["quantity"] < 0)).to_numpy(
            dtype=bool, na_value=False
        ) & ~drop
        negative |= (tx["line_type"] == "sale").to_numpy(dtype=bool, na_value=False) & (amount < 0)
        negative &= ~drop
        parts.append(
            _rows_out(
                "transactions",
                prov,
                negative,
                "negative_sale",
                "typed sale with a negative quantity or amount; expected a positive sale, "
                "or the line typed return or cancellation",
                "row_quarantined",
                tx,
                "quantity",
            )
        )
        drop |= negative
    if drop.any():  # a copy of every column only when a line leaves
        tx = tx[~drop].reset_index(drop=True)
        prov = prov[~drop].reset_index(drop=True) if prov is not None else None
    codes = policies.get("non_product_codes") or []
    if codes:
        pattern = "|".join(f"(?:{c})" for c in codes)
        fee = tx["product_id"].str.fullmatch(pattern, case=False).fillna(False).astype(bool)
        tx.loc[fee & (tx["line_type"] == "sale"), "line_type"] = "non_product"
    return tx, quarantine_frame(parts), prov


def shared_invoices(
    transactions: pd.DataFrame, *, provenance: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Order lines into those whose invoice names one customer, and the quarantine of the rest.

    An invoice is one basket of one customer: when its lines name two or more customer ids
    (after duplicate customers were merged), the basket would mix people, so every line of it
    is quarantined (``shared_invoice``); lines without a customer id do not count as a second
    customer. Returns the table kept, the quarantine rows and the provenance of the rows kept.

    >>> tx = pd.DataFrame({"invoice_id": ["1", "1", "2"], "customer_id": ["a", "b", "a"]})
    >>> kept, q, _ = shared_invoices(tx)
    >>> kept["invoice_id"].tolist(), q["rule"].tolist()
    (['2'], ['shared_invoice', 'shared_invoice'])
    """
    people = transactions[["invoice_id", "customer_id"]].dropna()
    people = people.groupby("invoice_id", observed=True)["customer_id"].nunique()
    return shared_invoice_lines(transactions, set(people.index[people > 1]), provenance=provenance)


def shared_invoice_lines(
    transactions: pd.DataFrame, invoices: set, *, provenance: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Order lines and the invoices found shared (``shared_invoices``, or over every batch of
    a larger table) into the lines kept, the quarantine of the others and their provenance."""
    tx = transactions.reset_index(drop=True)
    prov = provenance.reset_index(drop=True) if provenance is not None else None
    if not invoices:
        return tx, quarantine_frame(), prov
    mask = tx["invoice_id"].isin(invoices).to_numpy(dtype=bool, na_value=False)
    q = _rows_out(
        "transactions",
        prov,
        mask,
        "shared_invoice",
        "the invoice names more than one customer; expected one customer per invoice "
        "(one basket of one person)",
        "row_quarantined",
        tx,
        "invoice_id",
    )
    kept_prov = prov[~mask].reset_index(drop=True) if prov is not None else None
    return tx[~mask].reset_index(drop=True), q, kept_prov


def clean_dataset(dataset: Dataset, *, policies: str | Path | dict | None = None) -> Dataset:
    """Apply the table policies to loaded data: transactions rules and customer de-duplication.

    Values were already cleaned by ``load``. This step removes exact duplicate order lines,
    lines with a non-positive price or an amount that is not finite, and sale lines with a
    negative quantity or amount (quarantined with their file and line), types fee lines as
    ``non_product``, merges duplicate customer records (``dedup``), re-points every table's
    ``customer_id`` to the master id and then quarantines the lines of invoices that name two
    customers (``shared_invoices``). The accounting gains ``rows_quarantined`` and
    ``rows_merged`` so that, per table, ``rows_in = rows_clean + rows_quarantined + rows_merged``.

    Parameters
    ----------
    dataset : Dataset
        As returned by ``load.load_data``. Not modified.
    policies : path or dict, optional
        Cleaning policies; ``policies.yaml`` when omitted.

    Returns
    -------
    Dataset
        A new dataset with the cleaned tables, the quarantine and accounting extended, and the
        merge log.
    """
    pol = policies if isinstance(policies, dict) else load_policies(policies)
    if isinstance(policies, dict):
        check_policies(pol)
    tables = dict(dataset.tables)
    prov = dict(dataset.provenance)
    parts = [dataset.quarantine]
    notes = list(dataset.notes)
    booked: list[pd.DataFrame] = []  # rows that left a table here, with their source file
    parted = isinstance(tables.get("transactions"), LineParts)  # on disk: cleaned further down
    if "transactions" in tables and not parted:
        tx, q, kept = clean_transactions(
            tables["transactions"], policies=pol, provenance=prov.get("transactions")
        )
        tables["transactions"], prov["transactions"] = tx, kept
        parts.append(q)
        booked.append(q.assign(kind="rows_quarantined"))
    merge_log = pd.DataFrame(columns=["master_id", "customer_id", "rule", "filled"])
    review = pd.DataFrame()
    if "customers" in tables:
        settings = pol.get("dedup", {})
        result = dedup.deduplicate_customers(
            tables["customers"],
            exact_keys=tuple(settings.get("exact_keys", ("phone", "email"))),
            max_records_per_key=int(settings.get("max_records_per_key", 5)),
            fuzzy_name_threshold=float(settings.get("fuzzy_name_threshold", 92)),
        )
        tables["customers"], merge_log, review = result.customers, result.merge_log, result.review
        if "customers" in prov and len(result.merged_positions):
            merged = prov["customers"].iloc[result.merged_positions]
            booked.append(merged.assign(table="customers", kind="rows_merged"))
        mapping = result.mapping
        for name in ("transactions", "interactions", "tickets", "campaign_responses"):
            if name in tables and not (parted and name == "transactions"):
                tables[name] = dedup.repoint(tables[name], mapping)
    else:
        mapping = {}
    if parted:  # the same rules on every batch, the rules across rows decided on all of them
        shared = pol.get("quarantine_shared_invoices", True)
        _, q, q_shared = tables["transactions"].clean(
            rules=lambda tx, **kw: clean_transactions(tx, policies=pol, **kw),
            duplicates=pol.get("drop_exact_duplicate_lines", True),
            mapping=mapping,
            shared=shared_invoice_lines if shared else None,
            order=LINE_RULES,
        )
        parts.extend([q, q_shared])
        booked.extend([q.assign(kind="rows_quarantined"), q_shared.assign(kind="rows_quarantined")])
        if shared and len(merge_log):
            notes.append(
                f"customers: {len(merge_log)} duplicate record(s) merged into "
                f"{merge_log['master_id'].nunique()} customer(s)"
            )
    elif "transactions" in tables and pol.get("quarantine_shared_invoices", True):
        tx, q, kept = shared_invoices(tables["transactions"], provenance=prov.get("transactions"))
        tables["transactions"], prov["transactions"] = tx, kept
        parts.append(q)
        booked.append(q.assign(kind="rows_quarantined"))
        if len(merge_log):
            notes.append(
                f"customers: {len(merge_log)} duplicate record(s) merged into "
                f"{merge_log['master_id'].nunique()} customer(s)"
            )
    accounting = dataset.accounting.copy()
    if "ticket_events" in tables and "tickets" not in tables:
        tickets, said = eventlog.tickets_from_events(
            tables["ticket_events"], activities=pol.get("ticket_events") or {}
        )
        tables["tickets"] = conform(tickets, "tickets")
        notes.extend(said)
        derived = {"table": "tickets", "source_file": "derived from ticket_events",
                   "rows_in": len(tickets), "rows_clean": len(tickets), "rows_quarantined": 0,
                   "rows_merged": 0}  # fmt: skip
        row = pd.DataFrame([derived]).astype(accounting.dtypes.to_dict())
        accounting = pd.concat([accounting, row], ignore_index=True)
    elif "ticket_events" in tables:
        notes.append("ticket_events: not read into tickets: the data has a tickets table")
    if "tickets" in tables:
        tables["tickets"], q = ticket_times(tables["tickets"], provenance=prov.get("tickets"))
        parts.append(q)
    if "campaign_responses" in tables:
        cr, folded = _fold_responses(tables["campaign_responses"], prov.get("campaign_responses"))
        tables["campaign_responses"] = cr
        parts.append(folded)
        booked.append(folded.assign(kind="rows_merged"))
    for part in booked:
        for (table, source), n in (
            part.groupby(["table", "source_file"], observed=True).size().items()
        ):
            _book(accounting, table, source, part["kind"].iloc[0], int(n))
    return Dataset(
        tables=tables,
        quarantine=quarantine_frame(parts),
        accounting=accounting,
        fixes=dataset.fixes,
        merge_log=merge_log,
        review=review,
        notes=notes,
        provenance={},
        mappings=dataset.mappings,
    )


TICKET_TIMES = ("first_response_at", "resolved_at", "closed_at")


def ticket_times(tickets: pd.DataFrame, *, provenance: pd.DataFrame | None = None):
    """Tickets into a copy whose response, resolution and closing times are not before the
    ticket was opened, and the quarantine of the times that were (value quarantined: the
    ticket stays, without that time; a negative duration must not enter a median).

    >>> tk = pd.DataFrame({"ticket_id": ["1", "2"],
    ...     "opened_at": pd.to_datetime(["2024-01-02", "2024-01-02"]),
    ...     "resolved_at": pd.to_datetime(["2024-01-01", "2024-01-03"])})
    >>> fixed, q = ticket_times(tk)
    >>> fixed["resolved_at"].isna().tolist(), q["reason"].tolist()
    ([True, False], ['before the ticket was opened (2024-01-02)'])
    """
    out = tickets.copy()
    parts = []
    for column in TICKET_TIMES:
        if column not in out:
            continue
        early = (out[column] < out["opened_at"]).fillna(False).to_numpy(dtype=bool)
        if not early.any():
            continue
        opened = out["opened_at"].iloc[np.flatnonzero(early)].astype("string").to_numpy()
        reasons = [f"before the ticket was opened ({o})" for o in opened]
        parts.append(_rows_out("tickets", provenance, early, "time_before_opened", reasons,
                               "value_quarantined", out, column=column))  # fmt: skip
        out.loc[early, column] = pd.NaT
    return out, quarantine_frame(parts)


def _fold_responses(cr: pd.DataFrame, provenance: pd.DataFrame | None):
    """Fold repeated (campaign, customer) responses into one: a flag set in any row stays set."""
    cr = cr.reset_index(drop=True)
    keys = ["campaign_id", "customer_id"]
    dup = cr.duplicated(keys, keep="first").to_numpy()
    if not dup.any():
        return cr, quarantine_frame()
    flags = [c for c in ("opened", "clicked", "converted") if c in cr]
    agg = {c: ("max" if c in flags else "first") for c in cr.columns if c not in keys}
    folded = cr.groupby(keys, sort=False, dropna=False).agg(agg).reset_index()[list(cr.columns)]
    folded = folded.astype(cr.dtypes.to_dict())
    out = _rows_out(
        "campaign_responses",
        provenance,
        dup,
        "duplicate_response",
        "another response of the same customer to the same campaign; folded into "
        "it (a flag set in either row stays set)",
        "row_merged",
        cr,
    )
    return folded, out


def _book(accounting: pd.DataFrame, table: str, source: str, column: str, n: int) -> None:
    """Move n rows of a table's source file from rows_clean to ``column``."""
    rows = accounting.index[(accounting["table"] == table) & (accounting["source_file"] == source)]
    if not n or not len(rows):
        return  # a derived table (no source file) has no rows in
    accounting.loc[rows[0], column] += n
    accounting.loc[rows[0], "rows_clean"] -= n
