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
filled from the others in the same order, its signup date is the group's earliest (the customer
was known from then), and the merge log says which record gave which field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

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
    merged_positions: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))

    @property
    def mapping(self) -> dict[str, str]:
        m = self.master[self.master["customer_id"] != self.master["master_id"]]
        return dict(zip(m["customer_id"], m["master_id"], strict=True))


def _exact_edges(values: pd.Series, max_records: int, rule: str):
    """Link every record to the first record sharing its key; skip keys shared too widely."""
    keyed = values[values.notna() & (values.astype("string") != "")]
    if keyed.empty:
        return [], []
    codes, _ = pd.factorize(keyed, sort=False)
    positions = keyed.index.to_numpy()
    sizes = np.bincount(codes)
    size = sizes[codes]
    hubs = np.unique(codes[size > max_records])
    review = [
        {
            "rule": rule,
            "records": int(sizes[c]),
            "reason": f"{rule} shared by {int(sizes[c])} records: not used",
        }
        for c in hubs
    ]
    use = (size >= 2) & (size <= max_records)
    codes, positions = codes[use], positions[use]
    first = pd.Series(positions).groupby(codes).transform("min").to_numpy()
    linked = positions != first
    edges = [(a, b, rule) for a, b in zip(first[linked], positions[linked], strict=True)]
    return edges, review


def _check_exact(frame: pd.DataFrame, edges: list):
    """Keep shared-key links unless the records contradict each other.

    A shared phone or e-mail is strong evidence, but a family e-mail or an office phone is
    shared by different people: two records with different birth dates, or with names that
    have little in common, are listed for review instead of merged.
    """
    from rapidfuzz import fuzz

    if not edges:
        return [], []
    kept, doubted = [], []
    names = frame["name"].map(normalize_name) if "name" in frame else None
    births = frame["birth_date"] if "birth_date" in frame else None
    ids = frame["customer_id"].to_numpy()
    for a, b, rule in edges:
        reason = None
        if (
            births is not None
            and pd.notna(births.iat[a])
            and pd.notna(births.iat[b])
            and births.iat[a] != births.iat[b]
        ):
            reason = f"same {rule}, different birth dates"
        elif (
            names is not None
            and names.iat[a]
            and names.iat[b]
            and fuzz.token_set_ratio(names.iat[a], names.iat[b]) < 50
        ):
            reason = f"same {rule}, different names"
        if reason:
            doubted.append(
                {
                    "rule": rule,
                    "records": 2,
                    "customer_id": ids[a],
                    "other_id": ids[b],
                    "reason": reason,
                }
            )
        else:
            kept.append((a, b, rule))
    return kept, doubted


def _fuzzy_edges(frame: pd.DataFrame, threshold: float, max_block: int):
    from rapidfuzz import fuzz
    from rapidfuzz.process import cdist

    names = frame["name"].map(normalize_name)
    city = frame["city"].fillna("").map(normalize_name)
    ok = names != ""
    block_key = city + "|" + names.str[:1]
    pairs_i, pairs_j = [], []
    for idx in block_key[ok].groupby(block_key[ok]).groups.values():
        positions = np.asarray(list(idx))
        if len(positions) < 2:
            continue
        if len(positions) > max_block:  # refine an oversized block by the first two letters
            sub = names.iloc[positions].str[:2].to_numpy()
            groups = [positions[sub == k] for k in np.unique(sub)]
        else:
            groups = [positions]
        for pos in groups:
            if len(pos) < 2:
                continue
            block_names = names.iloc[pos].tolist()
            scores = cdist(
                block_names, block_names, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8
            )
            ii, jj = np.nonzero(np.triu(scores, k=1))
            pairs_i.append(pos[ii])
            pairs_j.append(pos[jj])
    if not pairs_i:
        return [], []
    i, j = np.concatenate(pairs_i), np.concatenate(pairs_j)

    def values(column: str, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = frame[column].iloc[pos]
        return s.notna().to_numpy(), s.to_numpy(dtype=object, na_value=None)

    def compare(column: str) -> tuple[np.ndarray, np.ndarray]:
        """(both present and equal, both present and different) for each candidate pair."""
        (has_a, a), (has_b, b) = values(column, i), values(column, j)
        both = has_a & has_b
        equal = np.array([x == y for x, y in zip(a, b, strict=True)], dtype=bool)
        return both & equal, both & ~equal

    contradicted = compare("phone")[1] | compare("email")[1]
    same_birth, other_birth = compare("birth_date")
    merge = ~contradicted & same_birth
    unsure = ~contradicted & ~same_birth & ~other_birth
    edges = [(a, b, "fuzzy_name") for a, b in zip(i[merge], j[merge], strict=True)]
    ids = frame["customer_id"].to_numpy()
    review = [
        {
            "rule": "fuzzy_name",
            "records": 2,
            "customer_id": ids[a],
            "other_id": ids[b],
            "reason": "same name and city, nothing to corroborate",
        }
        for a, b in zip(i[unsure], j[unsure], strict=True)
    ]
    return edges, review


def _components(n: int, edges: list) -> np.ndarray:
    """Label records by connected component of the match graph (scipy's csgraph)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not edges:
        return np.arange(n)
    a = np.array([e[0] for e in edges])
    b = np.array([e[1] for e in edges])
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


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
    edges, review = [], []
    e, _ = _exact_edges(frame["customer_id"], n + 1, "same_id")
    edges += e
    for key in exact_keys:
        e, r = _exact_edges(frame[key], max_records_per_key, key)
        kept, doubted = _check_exact(frame, e)
        edges += kept
        review += r + doubted
    if fuzzy_name_threshold < 100 and {"name", "city", "birth_date"} <= set(frame.columns):
        e, r = _fuzzy_edges(frame, fuzzy_name_threshold, max_block)
        edges += e
        review += r
    rule_of: dict[int, str] = {}
    for a, b, rule in edges:
        rule_of.setdefault(b, rule)
        rule_of.setdefault(a, rule)
    roots = _components(n, edges)

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
    # the customer is known from the earliest of its sign-ups, whichever record is the master
    filled["signup_date"] = frame["signup_date"].groupby(roots).min().reindex(filled.index)
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
            and (
                pd.isna(frame.iat[mpos, frame.columns.get_loc(c)])
                or (
                    c == "signup_date"
                    and frame.iat[mpos, frame.columns.get_loc(c)] > filled.at[root, c]
                )
            )
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
        merged_positions=np.flatnonzero(master_pos != np.arange(n)),
    )


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def repoint(frame: pd.DataFrame, mapping: dict[str, str], *, column: str = "customer_id"):
    """Return a copy of a table with ``column`` re-pointed to master ids (others unchanged).

    Only the values found in ``mapping`` are looked up (a merged customer's lines), and the
    other columns are shared with ``frame`` (copy-on-write): at 20 M order lines a full
    copy and a lookup of every line cost gigabytes and seconds.
    """
    if not mapping or column not in frame:
        return frame.assign()  # a new frame (its columns shared until written, pandas 3)
    values = frame[column].astype("string")
    hit = values.isin(list(mapping)).to_numpy(dtype=bool, na_value=False)
    if hit.any():  # values is astype's copy: writing it leaves frame as it is
        values[hit] = values[hit].map(mapping).astype("string")
    return frame.assign(**{column: values})
