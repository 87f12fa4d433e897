"""Customer records into customers: exact and fuzzy matching, a master id and a merge log.

Matching runs in two passes over clean customer records (phones in E.164, e-mails lower-cased):

1. exact: records that share a normalised phone or e-mail (or the same customer id) are one
   customer. A key shared by more than ``max_records_per_key`` records (a company switchboard,
   a shared family e-mail) is not taken as evidence and is listed for review instead.
2. fuzzy: within blocks of (city, first letter of the normalised name), names are compared with
   ``rapidfuzz``; a pair at or above ``fuzzy_name_threshold`` is merged only when its birth dates
   agree and no phone or e-mail contradicts it. Pairs with a matching name and city but nothing
   to corroborate them go to ``review``, not merged: common names (王伟 in 上海) are not people.

Records linked by either pass form groups (connected components). The master record of a group
is the most complete one (then the earliest signup, then the smallest id); its empty fields are
filled from the others in the same order, and the merge log says which record gave which field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Dedup", "deduplicate_customers", "normalize_name", "repoint"]

_SUFFIXES = re.compile(
    r"\b(ltd|limited|co|company|inc|llc|plc|corp|corporation|gmbh)\b\.?|有限公司|有限责任公司|公司"
)
_NON_WORD = re.compile(r"[\W_]+")


def normalize_name(name: str | None) -> str:
    """Fold a name for matching: NFKC, lower case, no company suffix, spaces or punctuation.

    >>> normalize_name("张 三"), normalize_name("BLUEBAY GAMING LTD.")
    ('张三', 'bluebaygaming')
    """
    if name is None or name is pd.NA or (isinstance(name, float) and np.isnan(name)):
        return ""
    text = unicodedata.normalize("NFKC", str(name)).lower()
    text = _SUFFIXES.sub(" ", text)
    return _NON_WORD.sub("", text)


@dataclass
class Dedup:
    """The result of de-duplicating customer records.

    Attributes
    ----------
    customers : DataFrame
        One row per customer (the master records, with empty fields filled from duplicates).
    master : DataFrame
        ``customer_id`` -> ``master_id`` for every input record (masters map to themselves).
    merge_log : DataFrame
        One row per merged record: ``master_id``, ``customer_id``, ``rule`` (``same_id``,
        ``phone``, ``email``, ``fuzzy_name``), ``filled`` (the fields this record gave to the
        master, comma-separated).
    review : DataFrame
        Pairs that look alike but were not merged, with the reason, for a person to decide.
    """

    customers: pd.DataFrame
    master: pd.DataFrame
    merge_log: pd.DataFrame
    review: pd.DataFrame

    @property
    def mapping(self) -> dict[str, str]:
        m = self.master[self.master["customer_id"] != self.master["master_id"]]
        return dict(zip(m["customer_id"], m["master_id"], strict=True))


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def _exact_edges(values: pd.Series, max_records: int, rule: str):
    edges, review = [], []
    keyed = values.dropna()
    keyed = keyed[keyed != ""]
    for idx in keyed.groupby(keyed).groups.values():
        positions = list(idx)
        if len(positions) < 2:
            continue
        if len(positions) > max_records:
            review.append(
                {
                    "rule": rule,
                    "records": len(positions),
                    "reason": f"{rule} shared by {len(positions)} records: not used",
                }
            )
            continue
        edges += [(positions[0], p, rule) for p in positions[1:]]
    return edges, review


def _conflict(a, b) -> bool:
    return pd.notna(a) and pd.notna(b) and a != b


def _fuzzy_edges(frame: pd.DataFrame, threshold: float, max_block: int):
    from rapidfuzz import fuzz
    from rapidfuzz.process import cdist

    names = frame["name"].map(normalize_name)
    city = frame["city"].fillna("").map(normalize_name)
    ok = names != ""
    block_key = city + "|" + names.str[:1]
    edges, review = [], []
    for _, idx in block_key[ok].groupby(block_key[ok]).groups.items():
        positions = np.asarray(list(idx))
        if len(positions) < 2:
            continue
        if len(positions) > max_block:  # refine an oversized block by the first two letters
            sub = names[positions].str[:2]
            groups = [positions[(sub == k).to_numpy()] for k in sub.unique()]
        else:
            groups = [positions]
        for pos in groups:
            if len(pos) < 2:
                continue
            scores = cdist(
                names[pos].tolist(),
                names[pos].tolist(),
                scorer=fuzz.ratio,
                score_cutoff=threshold,
                dtype=np.uint8,
            )
            ii, jj = np.nonzero(np.triu(scores, k=1))
            for i, j in zip(pos[ii], pos[jj], strict=True):
                a, b = frame.iloc[i], frame.iloc[j]
                if _conflict(a["phone"], b["phone"]) or _conflict(a["email"], b["email"]):
                    continue
                if pd.notna(a["birth_date"]) and a["birth_date"] == b["birth_date"]:
                    edges.append((i, j, "fuzzy_name"))
                elif not _conflict(a["birth_date"], b["birth_date"]):
                    review.append(
                        {
                            "rule": "fuzzy_name",
                            "records": 2,
                            "customer_id": a["customer_id"],
                            "other_id": b["customer_id"],
                            "reason": "same name and city, nothing to corroborate",
                        }
                    )
    return edges, review


def deduplicate_customers(
    customers: pd.DataFrame,
    *,
    exact_keys: tuple[str, ...] = ("phone", "email"),
    max_records_per_key: int = 5,
    fuzzy_name_threshold: float = 92,
    max_block: int = 2000,
) -> Dedup:
    """Group customer records that are the same customer; pick a master record for each group.

    Parameters
    ----------
    customers : DataFrame
        Canonical customers, values already cleaned (``load`` does it). Not modified.
    exact_keys : tuple of str
        Columns whose equal non-empty values make two records one customer.
    max_records_per_key : int
        A key value shared by more records than this is not evidence (listed in ``review``).
    fuzzy_name_threshold : float
        ``rapidfuzz.fuzz.ratio`` (0-100) on normalised names at or above which a pair in the
        same (city, first letter) block is a candidate; ``100`` disables near matches.
    max_block : int
        Blocks larger than this are split further by the first two letters of the name.

    Returns
    -------
    Dedup
    """
    frame = customers.reset_index(drop=True)
    n = len(frame)
    uf = _UnionFind(n)
    edges, review = [], []
    e, _ = _exact_edges(frame["customer_id"], n + 1, "same_id")
    edges += e
    for key in exact_keys:
        e, r = _exact_edges(frame[key], max_records_per_key, key)
        edges += e
        review += r
    if fuzzy_name_threshold < 100 and {"name", "city", "birth_date"} <= set(frame.columns):
        e, r = _fuzzy_edges(frame, fuzzy_name_threshold, max_block)
        edges += e
        review += r
    rule_of: dict[int, str] = {}
    for a, b, rule in edges:
        uf.union(a, b)
        rule_of.setdefault(b, rule)
        rule_of.setdefault(a, rule)
    roots = np.array([uf.find(i) for i in range(n)])

    # master: most complete record, then earliest signup, then smallest id
    completeness = frame.notna().sum(axis=1).to_numpy()
    order = pd.DataFrame(
        {
            "root": roots,
            "complete": -completeness,
            "signup": frame["signup_date"],
            "cid": frame["customer_id"],
            "pos": np.arange(n),
        }
    ).sort_values(["root", "complete", "signup", "cid"], na_position="last", kind="stable")
    ranked = order["pos"].to_numpy()
    first_of_root = order.drop_duplicates("root").set_index("root")["pos"]
    master_pos = first_of_root.reindex(roots).to_numpy()
    master_id = frame["customer_id"].to_numpy()[master_pos]

    # fill each master's empty fields from its group, most complete record first
    ordered = frame.iloc[ranked].assign(_root=roots[ranked])
    filled = ordered.groupby("_root", sort=False).first()  # first non-null per column
    merged = filled.reset_index(drop=True)
    merged["customer_id"] = frame["customer_id"].to_numpy()[first_of_root.loc[filled.index]]
    merged = merged[list(customers.columns)].astype(customers.dtypes.to_dict())

    log_rows = []
    for pos in np.flatnonzero(master_pos != np.arange(n)):
        root = roots[pos]
        mpos = master_pos[pos]
        gave = [
            c
            for c in frame.columns
            if c != "customer_id"
            and pd.isna(frame.iat[mpos, frame.columns.get_loc(c)])
            and pd.notna(frame.iat[pos, frame.columns.get_loc(c)])
            and _same(filled.at[root, c], frame.iat[pos, frame.columns.get_loc(c)])
        ]
        log_rows.append(
            {
                "master_id": master_id[pos],
                "customer_id": frame.at[pos, "customer_id"],
                "rule": rule_of.get(pos, "linked"),
                "filled": ",".join(gave),
            }
        )
    merge_log = pd.DataFrame(log_rows, columns=["master_id", "customer_id", "rule", "filled"])
    master = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype("string"),
            "master_id": pd.Series(master_id, dtype="string"),
        }
    )
    return Dedup(
        customers=merged.sort_values("customer_id", ignore_index=True),
        master=master,
        merge_log=merge_log.astype("string"),
        review=pd.DataFrame(review),
    )


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def repoint(frame: pd.DataFrame, mapping: dict[str, str], *, column: str = "customer_id"):
    """Return a copy of a table with ``column`` re-pointed to master ids (others unchanged)."""
    out = frame.copy()
    if mapping and column in out:
        out[column] = (
            out[column].map(lambda v: mapping.get(v, v), na_action="ignore").astype("string")
        )
    return out
