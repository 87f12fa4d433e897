"""Customer features into clusters with stable ids, the evidence for their number, and portraits.

The pipeline (``pipeline``), refit each period: counts, days and amounts on a log scale,
missing numbers filled with the median, missing shares (no interaction: no contact mix) with
the mean and missing classes with "unknown", classes one-hot
encoded, every column standardised, then each feature group (``features.GROUPS``) weighted by
so that its columns' variances add up to one: each group present weighs the same, and nine
occupation columns do not outweigh revenue.

``cluster_customers`` fits KMeans for each number of clusters in ``k_range`` (on a sample of
``search_size`` customers above that many; MiniBatchKMeans for a search on more than ``large``)
and chooses the number by two criteria on a sample: the silhouette
(higher is better) and the Davies-Bouldin index (lower is better), by their mean rank, ties to
the higher silhouette; a large population is then fitted once, from the sample's centres.
The result says how stable it is: the adjusted Rand index between the
clustering and refits on resamples of 80 % of the customers with other seeds. Another
algorithm plugs in with ``model``: any scikit-learn clusterer with ``fit_predict`` and
``n_clusters``.

Ids are stable: given the previous period's ``Clustering``, each cluster takes the id of the
previous cluster whose centre it is nearest (one to one, by the Hungarian method, on the
current scale), when that centre is closer than ``match_distance`` times the median distance
between the current centres; other clusters get new ids. ``portraits`` describes each
cluster by the features that set it apart, as codes that ``reporting.labels`` puts in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_lab import privacy
from crm_lab.core.lines import as_of_day
from crm_lab.segments.features import customer_features, feature_group, feature_kind

__all__ = [
    "DEFAULT_WEIGHTS",
    "MIN_CUSTOMERS",
    "Clustering",
    "PeriodClusters",
    "TooFewCustomersError",
    "cluster_period",
    "cluster_customers",
    "feature_matrix",
    "pipeline",
    "portraits",
    "profile_table",
]

UNKNOWN = "unknown"
MIN_CUSTOMERS = 30  # fewer buying customers than this are not clustered: too few to tell groups
# what customers buy, where and how they are reached, and who they are weigh 1; how much,
# how long and how recently (value, tenure, loyalty, interaction counts) and service and
# campaign figures a quarter of the scale (a sixteenth of the variance, of the squared
# distances KMeans adds up): those mostly order customers along one line from active to
# lapsed, which the RFM segments and value tiers already show, and at full weight every
# population splits along it (on the demo data the planted groups are then not found:
# adjusted Rand index 0.4 instead of 0.9, tests/segments/test_clusters.py)
DEFAULT_WEIGHTS = {"value": 0.25, "tenure": 0.25, "loyalty": 0.25, "interactions": 0.25,
                   "service": 0.25, "campaigns": 0.25}  # fmt: skip


@dataclass
class Clustering:
    """Clustered customers and what the clustering found.

    ``labels``: ``customer_id`` and ``cluster`` (an int id, stable across periods);
    ``centres``: per cluster id, the mean of each expanded feature before scaling (log values,
    shares, the share of the cluster in each class), the table later periods match against;
    ``selection``: per number of clusters tried, ``silhouette``, ``davies_bouldin``,
    ``calinski_harabasz`` and ``chosen``; ``stability``: the adjusted Rand index of each refit
    on a resample; ``matched``: per cluster id, the previous id it continues (or None);
    ``projection``: a sample of customers' first two principal components with their cluster;
    ``explained``: the share of variance the two components hold.
    """

    labels: pd.DataFrame
    centres: pd.DataFrame
    selection: pd.DataFrame
    stability: list[float]
    algorithm: str
    random_state: int
    matched: dict = field(default_factory=dict)
    projection: pd.DataFrame | None = None
    explained: tuple[float, float] = (0.0, 0.0)

    @property
    def k(self) -> int:
        """The number of clusters."""
        return int(self.labels["cluster"].nunique())


class _GroupScale:
    """Centre every column, divide counts and numbers by their standard deviation (shares and
    one-hot classes keep their 0-1 scale, so a share of 0.3 means the same in any category),
    then weigh each group so that its columns' variances add up to 1.

    scikit-learn's ``StandardScaler`` scales every column alike, which splits a composition
    (the share of tea against teaware) along its smallest columns; hence this step.
    """

    # a plain class with scikit-learn's step interface (fit, transform, get_params): importing
    # scikit-learn sets environment variables, and importing crm_lab must change nothing
    def __init__(self, columns=(), weights=None, expand=None):
        self.columns = columns
        self.weights = weights
        self.expand = expand  # the step before, fitted first: the names of its columns

    def get_params(self, deep=True):
        return {"columns": self.columns, "weights": self.weights, "expand": self.expand}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit_transform(self, x, y=None):
        return self.fit(x, y).transform(x)

    def fit(self, x, y=None):
        names = list(self.expand.get_feature_names_out())
        self.groups_ = [_expanded_group(n, self.columns) for n in names]
        scaled = [n in self.columns and feature_kind(n) in ("log", "number") for n in names]
        x = np.asarray(x, dtype=float)
        self.mean_ = x.mean(axis=0)
        raw = x.var(axis=0)
        std = np.sqrt(raw)
        self.scale_ = np.where(np.asarray(scaled, bool) & (std > 0), std, 1.0)
        variance = raw / self.scale_**2
        groups = pd.Series(self.groups_)
        total = pd.Series(variance).groupby(groups.to_numpy()).transform("sum").to_numpy()
        weight = groups.map(self.weights or {}).fillna(1.0).to_numpy(float)
        self.scale_ = self.scale_ * np.sqrt(np.where(total > 0, total, 1.0)) / weight
        return self

    def transform(self, x):
        return (np.asarray(x, dtype=float) - self.mean_) / self.scale_


def pipeline(features: pd.DataFrame, *, weights: dict | None = None):
    """A feature table's columns into an unfitted pipeline: ``expand`` (log, fill, one-hot)
    and ``scale`` (centre, standardise counts and numbers, each group weighs the same).

    A class held by fewer than 5 customers joins the infrequent ones (here the 4 unknown):

    >>> f = pd.DataFrame({"customer_id": list("abcdefghij"),
    ...                   "revenue": [10.0] * 5 + [1000.0] * 5, "gender": ["F"] * 6 + [None] * 4})
    >>> pipe = pipeline(f)
    >>> pipe.fit_transform(f).shape, list(pipe.named_steps["expand"].get_feature_names_out())
    ((10, 3), ['revenue', 'gender_F', 'gender_infrequent_sklearn'])
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    columns = [c for c in features.columns if c != "customer_id"]
    kinds = {c: feature_kind(c) for c in columns}
    parts = []
    for kind, steps in (
        ("log", [FunctionTransformer(_log1p, feature_names_out="one-to-one"),
                 SimpleImputer(strategy="median", keep_empty_features=True)]),
        ("number", [SimpleImputer(strategy="median", keep_empty_features=True)]),
        ("share", [SimpleImputer(strategy="mean", keep_empty_features=True)]),
        ("category", [FunctionTransformer(_as_text, feature_names_out="one-to-one"),
                      OneHotEncoder(handle_unknown="infrequent_if_exist", sparse_output=False,
                                    max_categories=12, min_frequency=5)]),
    ):  # fmt: skip
        chosen = [c for c in columns if kinds[c] == kind]
        if chosen:
            parts.append((kind, make_pipeline(*steps), chosen))
    expand = ColumnTransformer(parts, verbose_feature_names_out=False)
    scale = _GroupScale(columns=tuple(columns), weights=weights, expand=expand)
    return Pipeline([("expand", expand), ("scale", scale)])


def feature_matrix(features: pd.DataFrame, *, weights: dict | None = None):
    """A feature table into ``(expanded, matrix)``: the table after logs, fills and one-hot
    columns (what cluster centres are kept in), and the scaled, weighted matrix the clusters
    are fitted on (``weights`` as in ``cluster_customers``; None: ``DEFAULT_WEIGHTS``).

    >>> f = pd.DataFrame({"customer_id": ["a", "b"], "revenue": [0.0, np.e - 1]})
    >>> expanded, matrix = feature_matrix(f, weights={})
    >>> expanded["revenue"].round(3).tolist(), matrix.ravel().round(3).tolist()
    ([0.0, 1.0], [-1.0, 1.0])
    """
    _, expanded, matrix = _fit_pipeline(
        features, weights=DEFAULT_WEIGHTS if weights is None else weights
    )
    return expanded, matrix


def _as_text(x):
    """Classes into a NumPy text array, a missing class as ``UNKNOWN``.

    scikit-learn one-hot encodes NumPy text with NumPy's sort; Python objects (what a pandas
    column of classes becomes) go through a Python loop over every value, 5 s of the 10 s
    the pipeline took on a million customers (bench/bench_clusters.py).
    """
    frame = pd.DataFrame(x).astype("object")
    return frame.where(frame.notna(), UNKNOWN).to_numpy(dtype=str)


def _log1p(x):
    return np.log1p(np.clip(np.asarray(x, dtype=float), 0, None))


def _fit_pipeline(features: pd.DataFrame, *, weights=None) -> tuple:
    """Fit the pipeline: the fitted pipeline, the expanded table and the final matrix."""
    pipe = pipeline(features, weights=weights)
    data = features.drop(columns="customer_id")
    expand = pipe.named_steps["expand"]
    expanded = np.asarray(expand.fit_transform(data), dtype=float)
    matrix = pipe.named_steps["scale"].fit_transform(expanded)
    names = list(expand.get_feature_names_out())
    return pipe, pd.DataFrame(expanded, columns=names, index=features.index), matrix


def _expanded_group(name: str, columns) -> str:
    """An expanded column's group: a one-hot column ``gender_F`` is in gender's group."""
    if name in columns:
        return feature_group(name)
    base = next(c for c in columns if name.startswith(f"{c}_"))
    return feature_group(base)


def _model(k: int, *, n: int, large: int, random_state: int, init=None):
    """KMeans from four k-means++ starts, or from ``init`` centres once; MiniBatchKMeans for a
    cold start on more than ``large`` rows.

    The final fit on a large population starts from the centres found on the sample, and
    then plain KMeans is the faster: on a million customers (bench/bench_clusters.py) it
    converged in 2 passes, 0.6 s, where MiniBatchKMeans from the same centres took 1.6 s.
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if init is not None:
        return KMeans(n_clusters=k, random_state=random_state, init=init, n_init=1)
    if n > large:
        return MiniBatchKMeans(n_clusters=k, random_state=random_state, batch_size=4096,
                               n_init=3)  # fmt: skip
    return KMeans(n_clusters=k, random_state=random_state, n_init=4)


def cluster_customers(
    features: pd.DataFrame,
    *,
    k: int | None = None,
    k_range=range(2, 9),
    random_state: int = 0,
    sample_size: int = 5_000,
    search_size: int = 20_000,
    large: int = 50_000,
    stability_runs: int = 4,
    previous: Clustering | None = None,
    match_distance: float = 0.5,
    weights: dict | None = None,
    model=None,
) -> Clustering:
    """A feature table (``features.customer_features``) into clusters with stable ids.

    Parameters
    ----------
    features : DataFrame
        ``customer_id`` and one column per feature.
    k : int, optional
        The number of clusters; by default chosen from ``k_range`` (see the module).
    random_state : int
        Seeds every fit, sample and resample: the same input gives the same clusters.
    sample_size : int
        Customers the silhouette, the Davies-Bouldin index and the projection read.
    search_size : int
        Above this many customers, the number of clusters is chosen and its stability checked
        on a sample of this many, then the clusters are fitted once on every customer.
    large : int
        A search (a fit from k-means++ starts) on more than this many customers uses
        MiniBatchKMeans (only when ``search_size`` is above it).
    stability_runs : int
        Refits on resamples whose agreement is reported (0: none).
    previous : Clustering, optional
        The previous period's clustering, whose ids the clusters found again keep.
    model : callable, optional
        ``model(k, random_state)`` returning a scikit-learn clusterer, instead of KMeans.

    Returns
    -------
    Clustering

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = pd.DataFrame({"customer_id": [f"c{i}" for i in range(60)],
    ...     "revenue": np.r_[rng.normal(10, 1, 30), rng.normal(1000, 50, 30)]})
    >>> result = cluster_customers(f, k_range=range(2, 4), stability_runs=1)
    >>> result.k, result.labels.groupby("cluster").size().tolist()
    (2, [30, 30])
    """
    from sklearn.decomposition import PCA
    from sklearn.metrics import adjusted_rand_score

    n = len(features)
    if n < 3:
        raise ValueError(f"clustering needs at least 3 customers, got {n}")
    weights = DEFAULT_WEIGHTS if weights is None else weights
    pipe, expanded, matrix = _fit_pipeline(features, weights=weights)
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(n, size=min(sample_size, n), replace=False))

    def fit(k_: int, x: np.ndarray, seed: int, init=None) -> tuple[object, np.ndarray]:
        if model is not None:
            m = model(k_, seed)
        else:
            m = _model(k_, n=len(x), large=large, random_state=seed, init=init)
        return m, np.asarray(m.fit_predict(x))

    candidates = [k] if k is not None else [c for c in k_range if 2 <= c < n]
    if not candidates:
        raise ValueError(f"no number of clusters to try for {n} customers in {k_range!r}")
    # above search_size customers, k is chosen and its stability checked on a sample of them
    # (as the scores are computed on one anyway); then one fit on every customer
    search = np.arange(n) if n <= search_size else np.sort(
        rng.choice(n, size=search_size, replace=False))  # fmt: skip
    x = matrix[search]
    scored = np.searchsorted(search, sample) if n <= search_size else np.sort(
        rng.choice(len(search), size=min(sample_size, len(search)), replace=False))  # fmt: skip
    rows, fitted, models = [], {}, {}
    for k_ in candidates:
        models[k_], found = fit(k_, x, random_state)
        fitted[k_] = found
        rows.append({"k": k_, **_scores(x[scored], found[scored], random_state=random_state)})
    selection = pd.DataFrame(rows)
    rank = (selection["silhouette"].rank(ascending=False) + selection["davies_bouldin"].rank()) / 2
    best = selection.assign(rank=rank).sort_values(["rank", "silhouette"], ascending=[True, False])
    chosen = int(best["k"].iloc[0])
    selection["chosen"] = selection["k"] == chosen

    stability = []
    for run in range(stability_runs):
        part = np.sort(rng.choice(len(x), size=max(int(0.8 * len(x)), chosen), replace=False))
        _, again = fit(chosen, x[part], random_state + 1 + run)
        stability.append(float(adjusted_rand_score(fitted[chosen][part], again)))
    if n <= search_size:
        labels = fitted[chosen]
    else:  # every customer, from the sample's centres: a few passes, not a search
        start = getattr(models[chosen], "cluster_centers_", None)
        labels = fit(chosen, matrix, random_state, init=start)[1]

    centres = expanded.groupby(labels).mean()
    ids, matched = _ids(centres, labels, previous=previous, pipe_scale=_scaler(pipe),
                        match_distance=match_distance)  # fmt: skip
    centres.index = [ids[c] for c in centres.index]
    centres = centres.sort_index().rename_axis("cluster")
    out = pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "cluster": np.asarray([ids[c] for c in labels], dtype="int64"),
    })  # fmt: skip
    pca = PCA(n_components=min(2, matrix.shape[1]), random_state=random_state)
    points = pca.fit_transform(matrix[sample])
    projection = pd.DataFrame(
        {"x": points[:, 0], "y": points[:, 1] if points.shape[1] > 1 else 0.0,
         "cluster": out["cluster"].to_numpy()[sample]}
    )  # fmt: skip
    explained = tuple(float(v) for v in np.pad(pca.explained_variance_ratio_, (0, 2))[:2])
    name = type(model(chosen, random_state)).__name__ if model is not None else "KMeans"
    if model is None and n > search_size:
        name = f"KMeans (k chosen on a sample of {search_size:,})"
    return Clustering(
        labels=out, centres=centres, selection=selection, stability=stability, algorithm=name,
        random_state=random_state, matched=matched, projection=projection, explained=explained,
    )  # fmt: skip


def _scores(x: np.ndarray, labels: np.ndarray, *, random_state: int) -> dict:
    """A sample's matrix and labels into the silhouette, Davies-Bouldin and Calinski-Harabasz."""
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    if len(set(labels)) < 2:
        return {"silhouette": -1.0, "davies_bouldin": np.inf, "calinski_harabasz": 0.0}
    return {
        "silhouette": float(silhouette_score(x, labels, random_state=random_state)),
        "davies_bouldin": float(davies_bouldin_score(x, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(x, labels)),
    }


def _scaler(pipe):
    """The current period's scale: a function from expanded rows to the weighted matrix."""
    names = list(pipe.named_steps["expand"].get_feature_names_out())

    def scale(table: pd.DataFrame) -> np.ndarray:
        aligned = table.reindex(columns=names).fillna(0.0).to_numpy(float)
        return pipe.named_steps["scale"].transform(aligned)

    return scale


def _ids(centres, labels, *, previous, pipe_scale, match_distance) -> tuple[dict, dict]:
    """Fitted labels into stable ids: the previous cluster found again keeps its id; the
    others get new ones. Without a previous clustering, ids 1, 2, ... by size (largest 1)."""
    from scipy.optimize import linear_sum_assignment

    sizes = pd.Series(labels).value_counts()
    order = sorted(centres.index, key=lambda c: (-sizes[c], c))
    if previous is None or previous.centres.empty:
        return {c: i + 1 for i, c in enumerate(order)}, {i + 1: None for i in range(len(order))}
    now = pipe_scale(centres)
    before = pipe_scale(previous.centres)
    distance = np.linalg.norm(now[:, None, :] - before[None, :, :], axis=2)
    between = np.linalg.norm(now[:, None, :] - now[None, :, :], axis=2)
    spread = np.median(between[np.triu_indices(len(now), 1)]) if len(now) > 1 else 1.0
    rows, cols = linear_sum_assignment(distance)
    ids, matched = {}, {}
    for r, c in zip(rows, cols, strict=True):
        if distance[r, c] <= match_distance * spread:
            ids[centres.index[r]] = int(previous.centres.index[c])
    fresh = int(max(previous.centres.index)) + 1
    for c in order:
        if c not in ids:
            ids[c] = fresh
            fresh += 1
    for c in centres.index:
        matched[ids[c]] = ids[c] if ids[c] in previous.centres.index else None
    return ids, matched


def profile_table(features: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Features and cluster labels into one row per cluster and feature: the cluster's value
    against the population's and how far apart they are.

    A number's value is its median; a share's its mean (0 to 1); a class is one row per class
    (``gender=F``), its value the share of customers in it. ``difference`` is the difference
    of the means in population standard deviations, on the log scale for counts and amounts.
    """
    data = features.merge(labels, on="customer_id", validate="one_to_one")
    clusters = data["cluster"]
    rows = []
    for column in features.columns:
        if column == "customer_id":
            continue
        kind = feature_kind(column)
        if kind == "category":
            values = data[column].astype("object").fillna(UNKNOWN)
            for level in sorted(set(values)):
                rows += _rows(f"{column}={level}", column, (values == level).astype(float),
                              clusters, kind="class")  # fmt: skip
            continue
        raw = data[column].astype("float64")
        scaled = np.log1p(raw.clip(lower=0)) if kind == "log" else raw
        rows += _rows(column, column, raw, clusters, kind=kind, scaled=scaled)
    return pd.DataFrame(rows)


def _rows(feature, base, values, clusters, *, kind, scaled=None) -> list[dict]:
    scaled = values if scaled is None else scaled
    spread = scaled.std(ddof=0)
    typical = values.median() if kind in ("log", "number") else values.mean()
    out = []
    for cluster, part in values.groupby(clusters):
        value = part.median() if kind in ("log", "number") else part.mean()
        gap = scaled[part.index].mean() - scaled.mean()
        out.append({
            "cluster": int(cluster), "feature": feature, "group": feature_group(base),
            "kind": kind, "value": float(value) if pd.notna(value) else np.nan,
            "population": float(typical) if pd.notna(typical) else np.nan,
            "difference": float(gap / spread) if spread > 0 and pd.notna(gap) else 0.0,
        })  # fmt: skip
    return out


def portraits(
    features: pd.DataFrame,
    clustering: Clustering,
    *,
    top: int = 4,
    min_group: int = privacy.MIN_GROUP,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features and a clustering into portraits: one row per cluster, and the features that
    set each apart.

    Returns ``(clusters, traits)``. ``clusters``: ``cluster``, ``customers``,
    ``customer_share``, ``revenue_share`` (of the revenue feature), ``top_categories`` and
    ``top_channels`` (codes, by mean share, most first), ``typical`` (per class column its most
    common class and the share holding it: ``{"gender": ("F", 0.62)}``) and ``withheld`` (a
    cluster of fewer than ``min_group`` customers: its figures are not shown and it has no
    traits). ``traits``: per cluster the ``top`` rows of ``profile_table`` with the largest
    difference (positive first, then negative), ``rank`` 1 the strongest; the name of a
    cluster is made from its first two (``reporting.labels.cluster_name``). A class
    (``gender=F``) is a trait, or the typical class, only when at least ``min_group`` customers
    of the cluster hold it and at least as many do not (all of them holding it is fine).
    """
    profile = profile_table(features, clustering.labels)
    sizes = clustering.labels["cluster"].value_counts().sort_index()
    data = features.merge(clustering.labels, on="customer_id")
    revenue = data.groupby("cluster")["revenue"].sum() if "revenue" in data else None
    total = float(revenue.sum()) if revenue is not None else 0.0
    rows, traits = [], []
    for cluster, size in sizes.items():
        withheld = bool(size < min_group)
        mine = profile[profile["cluster"] == cluster]
        shares = mine[mine["kind"] == "share"]
        row = {
            "cluster": int(cluster),
            "customers": int(size),
            "customer_share": float(size / sizes.sum()),
            "revenue_share": float(revenue[cluster] / total) if total > 0 else np.nan,
            "top_categories": _top(shares, "category="),
            "top_channels": _top(shares, "channel="),
            "typical": _typical(mine, size=int(size), min_group=min_group),
            "withheld": withheld,
        }
        rows.append(row)
        if withheld:
            continue
        # a class row and its column's other classes say the same: one per column
        ranked = mine.assign(base=mine["feature"].str.split("=").str[0].where(
            mine["kind"] == "class", mine["feature"]))  # fmt: skip
        ranked = ranked.assign(size=ranked["difference"].abs()).sort_values(
            ["size", "feature"], ascending=[False, True])  # fmt: skip
        # a class is a trait only when at least min_group of the cluster hold it and as many
        # do not: "doctors 20 %" of five customers would be one person
        held = (ranked["value"] * size).round()
        safe = (held >= min_group) & ((size - held >= min_group) | (held == size))
        chosen = ranked.loc[(ranked["kind"] != "class") | ((ranked["difference"] > 0) & safe)]
        chosen = chosen.drop_duplicates("base").head(top)
        chosen = chosen.sort_values(["size", "feature"], ascending=[False, True])
        traits.append(chosen.drop(columns=["base", "size"]).assign(rank=range(1, len(chosen) + 1)))
    traits_table = (
        pd.concat(traits, ignore_index=True) if traits
        else pd.DataFrame(columns=[*profile.columns, "rank"])
    )  # fmt: skip
    return pd.DataFrame(rows), traits_table


def _top(shares: pd.DataFrame, prefix: str, n: int = 3) -> list[str]:
    part = shares[shares["feature"].str.startswith(prefix) & (shares["value"] > 0)]
    part = part.sort_values(["value", "feature"], ascending=[False, True]).head(n)
    return [f.removeprefix(prefix) for f in part["feature"]]


def _typical(rows: pd.DataFrame, *, size: int, min_group: int) -> dict:
    """Per class column, the cluster's most common class and its share; a class held by
    fewer than ``min_group`` of the cluster, or by all but fewer, is not shown."""
    classes = rows[rows["kind"] == "class"]
    out = {}
    for feature, value in zip(classes["feature"], classes["value"], strict=True):
        column, level = feature.split("=", 1)
        held = round(value * size)
        if held < min_group or (size - held < min_group and held < size):
            continue
        if level != UNKNOWN and (column not in out or value > out[column][1]):
            out[column] = (level, float(value))
    return out


class TooFewCustomersError(ValueError):
    """Fewer buying customers than ``MIN_CUSTOMERS``: no clusters (``customers`` says how many)."""

    def __init__(self, message: str, *, customers: int):
        super().__init__(message)
        self.customers = customers


@dataclass
class PeriodClusters:
    """The clusters on the day before a period and on its as-of day, with their features.

    ``before`` is None when too few customers had bought by then (``MIN_CUSTOMERS``); ``now``
    keeps the ids of the clusters ``before`` it finds again.
    """

    now: Clustering
    features: pd.DataFrame
    before: Clustering | None = None
    features_before: pd.DataFrame | None = None


def cluster_period(
    transactions: pd.DataFrame,
    *,
    as_of,
    period_start,
    customers: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    campaign_responses: pd.DataFrame | None = None,
    previous: Clustering | None = None,
    random_state: int = 0,
    **options,
) -> PeriodClusters:
    """Every table present into the customers' clusters on the day before ``period_start``
    and on ``as_of``, the later with the earlier's ids (``cluster_customers``, ``options``).

    ``previous`` (the clusters stored for that day or the latest day before it,
    ``reporting.states``) gives the day before's clusters their ids, and through them the
    as-of day's: the ids of the store, the pages and the scores are the same.

    Raises ``ValueError`` when fewer than ``MIN_CUSTOMERS`` customers have bought by ``as_of``.
    """
    tables = {"customers": customers, "interactions": interactions, "tickets": tickets,
              "campaign_responses": campaign_responses}  # fmt: skip
    day_before = as_of_day(period_start) - pd.Timedelta(days=1)
    features_now = customer_features(transactions, as_of=as_of, **tables)
    if len(features_now) < MIN_CUSTOMERS:
        raise TooFewCustomersError(
            f"{len(features_now)} customers have bought by {as_of_day(as_of).date()}: "
            f"clusters need at least {MIN_CUSTOMERS}",
            customers=len(features_now),
        )
    features_before = customer_features(transactions, as_of=day_before, **tables)
    before = None
    if len(features_before) >= MIN_CUSTOMERS:
        before = cluster_customers(features_before, random_state=random_state,
                                   previous=previous, **options)  # fmt: skip
    now = cluster_customers(features_now, random_state=random_state,
                            previous=before if before is not None else previous,
                            **options)  # fmt: skip
    kept = features_before if before is not None else None
    return PeriodClusters(now=now, features=features_now, before=before, features_before=kept)
