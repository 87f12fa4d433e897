"""A report run's JSON files into dataclasses and back: the only module that reads or writes them.

Three kinds of file, all UTF-8 JSON:

``<work>/executed/<slug>.metrics.json``
    Written by each template's last cell (``write_metrics``): a JSON object whose ``headline``
    maps figure keys to numbers; any other keys are the template's own. Its presence is the
    template's success marker.
``<work>/executed/run-plan.json``
    Written by the runner before any template runs (``RunPlan``): the period, the language and
    every planned report's slug, titles, audience and summary flag, and the run's warnings. The
    executive summary reads it (through ``current_metrics`` and ``read_plan``) to name and link
    this run's reports.
``<reports>/<period>/manifest.json``
    Written by the runner at the end (``Manifest``): the period, inputs with their SHA-256,
    parameters, versions, row accounting, the run's warnings and one ``ReportResult`` per
    template (with its own warnings). The index and the summary's comparisons with earlier
    periods read it (``read_manifests``).

A warning is a dict ``{"code": ..., **fields}`` (see ``labels.WARNINGS``); files written before
warnings existed read with none.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from crm_lab.privacy import mask_text
from crm_lab.reporting.export import atomic_write

__all__ = [
    "MANIFEST_FILE",
    "METRICS_SUFFIX",
    "PLAN_FILE",
    "InputFile",
    "Manifest",
    "PlannedReport",
    "ReportResult",
    "RunPlan",
    "current_metrics",
    "metrics_path",
    "read_manifest",
    "read_manifests",
    "read_metrics",
    "read_plan",
    "write_json",
    "write_metrics",
]

MANIFEST_FILE = "manifest.json"
PLAN_FILE = "run-plan.json"
METRICS_SUFFIX = ".metrics.json"


def write_json(path: str | Path, data: dict, *, indent: int | None = 1) -> Path:
    """Write a dict as UTF-8 JSON atomically (``export.atomic_write``): a killed run never
    leaves a half-written file and never replaces the previous one."""
    return atomic_write(path, json.dumps(data, ensure_ascii=False, indent=indent, default=str))


def _read_object(path: str | Path) -> dict:
    data = json.loads(Path(path).read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _warnings(data: dict) -> list[dict]:
    """The ``warnings`` list of a file's object: empty when absent (older files)."""
    found = data.get("warnings") or []
    if not isinstance(found, list) or not all(isinstance(w, dict) for w in found):
        raise ValueError(f"'warnings' must be a list of objects, got {found!r}")
    return [dict(w) for w in found]


# --- metrics ------------------------------------------------------------------------------------
def metrics_path(metrics_dir: str | Path, slug: str) -> Path:
    """The metrics file of report ``slug`` in a run's metrics folder."""
    return Path(metrics_dir) / f"{slug}{METRICS_SUFFIX}"


def write_metrics(metrics: dict, path: str | Path) -> Path:
    """Write a template's metrics (a dict with a ``headline`` dict) as its metrics file."""
    if not isinstance(metrics.get("headline", {}), dict):
        raise ValueError("metrics['headline'] must be a dict of figure keys to numbers")
    return write_json(path, metrics)


def read_metrics(path: str | Path) -> dict:
    """Read a metrics file into a dict whose ``headline`` is a dict (empty when absent).

    Raises
    ------
    ValueError
        The file is not a JSON object or its ``headline`` is not one.
    """
    data = _read_object(path)
    headline = data.setdefault("headline", {})
    if not isinstance(headline, dict):
        raise ValueError(f"{path}: 'headline' must be an object, got {type(headline).__name__}")
    return data


# --- the run plan -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedReport:
    """One report a run will execute: what the summary needs to name and link it."""

    slug: str
    title: dict[str, str]  # by language: {"en": ..., "zh": ...}
    audience: str = "stakeholders"  # or "analyst"
    summary: bool = False

    def to_dict(self) -> dict:
        """This entry as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PlannedReport:
        """An entry from its dict (``to_dict``'s shape)."""
        return cls(
            slug=str(data["slug"]),
            title=dict(data.get("title") or {}),
            audience=data.get("audience", "stakeholders"),
            summary=bool(data.get("summary", False)),
        )


@dataclass(frozen=True)
class RunPlan:
    """What a run will do: the period, the language and the planned reports in run order."""

    period: str
    period_start: str  # YYYY-MM-DD
    as_of: str  # YYYY-MM-DD, inclusive
    lang: str
    reports: tuple[PlannedReport, ...]
    warnings: tuple[dict, ...] = ()  # the run's own (stale data, ...), on every page

    def to_dict(self) -> dict:
        """The plan as a JSON-ready dict."""
        return {**asdict(self), "reports": [r.to_dict() for r in self.reports]}

    @classmethod
    def from_dict(cls, data: dict) -> RunPlan:
        """A plan from its dict (``to_dict``'s shape)."""
        return cls(
            period=data["period"],
            period_start=data["period_start"],
            as_of=data["as_of"],
            lang=data["lang"],
            reports=tuple(PlannedReport.from_dict(r) for r in data["reports"]),
            warnings=tuple(_warnings(data)),
        )

    def write(self, metrics_dir: str | Path) -> Path:
        """Write the plan as ``run-plan.json`` into a run's metrics folder."""
        return write_json(Path(metrics_dir) / PLAN_FILE, self.to_dict())


def read_plan(metrics_dir: str | Path) -> RunPlan | None:
    """Read a metrics folder's ``run-plan.json`` into a ``RunPlan``; None when there is none."""
    path = Path(metrics_dir) / PLAN_FILE
    return RunPlan.from_dict(_read_object(path)) if path.exists() else None


def current_metrics(metrics_dir: str | Path) -> dict[str, dict]:
    """Read this run's metrics files into a dict of metrics by report slug (slug order).

    With a run plan, only its reports count (a metrics file left from an earlier plan does
    not); without one (a folder filled by hand), every ``*.metrics.json`` does.
    """
    metrics_dir = Path(metrics_dir)
    plan = read_plan(metrics_dir)
    if plan is not None:
        slugs = sorted(r.slug for r in plan.reports)
    else:
        slugs = sorted(
            p.name[: -len(METRICS_SUFFIX)] for p in metrics_dir.glob(f"*{METRICS_SUFFIX}")
        )
    return {
        slug: read_metrics(metrics_path(metrics_dir, slug))
        for slug in slugs
        if metrics_path(metrics_dir, slug).exists()
    }


# --- the manifest -------------------------------------------------------------------------------
@dataclass
class ReportResult:
    """What happened to one template in a run: one entry of the manifest's ``reports``."""

    slug: str
    title: str  # in the run's language
    status: str  # "ok", "skipped" or "failed"
    seconds: float = 0.0
    html: str | None = None  # file name inside the period folder
    reason: str = ""
    metrics: dict = field(default_factory=dict)
    summary: bool = False
    audience: str = "stakeholders"
    stale: bool = False  # failed this run; html and metrics are the last good run's
    warnings: list[dict] = field(default_factory=list)  # the template's metrics["warnings"]

    def to_dict(self) -> dict:
        """This result as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ReportResult:
        """A result from its dict (``to_dict``'s shape; missing optional keys take defaults)."""
        return cls(
            slug=data["slug"],
            title=data.get("title", data["slug"]),
            status=data["status"],
            seconds=float(data.get("seconds", 0.0)),
            html=data.get("html"),
            reason=data.get("reason", ""),
            metrics=dict(data.get("metrics") or {}),
            summary=bool(data.get("summary", False)),
            audience=data.get("audience", "stakeholders"),
            stale=bool(data.get("stale", False)),
            warnings=_warnings(data),
        )


@dataclass(frozen=True)
class InputFile:
    """One input file of a run, identified by size and SHA-256."""

    file: str
    bytes: int
    sha256: str


@dataclass
class Manifest:
    """A period's ``manifest.json``: what was read, with what, and what each report did."""

    period: str
    period_start: str
    as_of: str
    lang: str
    inputs: list[InputFile]
    parameters: dict[str, str]
    versions: dict[str, str]
    seconds: float
    rows: dict[str, int]
    accounting: list[dict]
    notes: list[str]
    reports: list[ReportResult]
    warnings: list[dict] = field(default_factory=list)  # the run's, shown on every page

    def to_dict(self) -> dict:
        """The manifest as a JSON-ready dict."""
        return {
            **asdict(self),
            "inputs": [asdict(i) for i in self.inputs],
            "reports": [r.to_dict() for r in self.reports],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        """A manifest from its dict (``to_dict``'s shape)."""
        return cls(
            period=data["period"],
            period_start=data.get("period_start", ""),
            as_of=data["as_of"],
            lang=data.get("lang", "en"),
            inputs=[InputFile(**i) for i in data.get("inputs", [])],
            parameters=dict(data.get("parameters") or {}),
            versions=dict(data.get("versions") or {}),
            seconds=float(data.get("seconds", 0.0)),
            rows=dict(data.get("rows") or {}),
            accounting=list(data.get("accounting") or []),
            notes=list(data.get("notes") or []),
            reports=[ReportResult.from_dict(r) for r in data.get("reports", [])],
            warnings=_warnings(data),
        )

    def masked(self, *, known: dict | None = None) -> Manifest:
        """This manifest with personal data masked in every text it holds (``mask_text``).

        Failure reasons, titles, notes, warnings' fields, parameters, the texts in a report's
        metrics and input file names can quote a value of the input (a cell in an error
        message, a customer's name in a file name); the period, dates, sizes, digests,
        versions and figures are kept as they are.
        """

        def text(value):
            if isinstance(value, str):
                return mask_text(value, known=known)
            if isinstance(value, dict):
                return {k: text(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [text(v) for v in value]
            return value

        def fields(entry: dict) -> dict:
            return {k: text(v) for k, v in entry.items()}

        return replace(
            self,
            inputs=[replace(i, file=text(i.file)) for i in self.inputs],
            parameters=fields(self.parameters),
            notes=[text(n) for n in self.notes],
            warnings=[fields(w) for w in self.warnings],
            reports=[
                replace(
                    r,
                    title=text(r.title),
                    reason=text(r.reason),
                    metrics=text(r.metrics),
                    warnings=[fields(w) for w in r.warnings],
                )
                for r in self.reports
            ],
        )

    def write(self, period_dir: str | Path, *, known: dict | None = None) -> Path:
        """Write the manifest, masked (``masked``), as ``manifest.json`` into the period's
        reports folder: the stakeholders' folder never holds a personal value."""
        data = self.masked(known=known).to_dict()
        return write_json(Path(period_dir) / MANIFEST_FILE, data)

    def headline(self) -> dict:
        """The headline figures of this period's reports, merged (stale reports left out)."""
        merged: dict = {}
        for r in self.reports:
            if not r.stale:  # a failed report's figures would be from an earlier run
                merged.update(r.metrics.get("headline", {}))
        return merged


def read_manifest(path: str | Path) -> Manifest:
    """Read a ``manifest.json`` file (or the period folder holding it) into a ``Manifest``."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_FILE
    return Manifest.from_dict(_read_object(path))


def read_manifests(reports_dir: str | Path) -> list[tuple[Path, Manifest]]:
    """Read every period's manifest in a reports folder into (period folder, manifest) pairs.

    Returns
    -------
    list of (Path, Manifest)
        Oldest first: by ``as_of``, then period name.
    """
    found = [
        (path.parent, read_manifest(path)) for path in Path(reports_dir).glob(f"*/{MANIFEST_FILE}")
    ]
    return sorted(found, key=lambda pair: (pair[1].as_of, pair[1].period))
