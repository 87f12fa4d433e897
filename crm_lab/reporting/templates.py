"""Template notebooks into ``Template`` records, and parameter text into typed values.

The report templates are the ``NN-slug.ipynb`` notebooks of the repository's top-level
``notebooks/`` folder. A built wheel carries them inside the package, in
``crm_lab/reporting/_data/notebooks/`` (``setup.py`` copies them there at build time); an
editable install or a checkout has no such folder and reads ``notebooks/`` itself.

A template names what it needs in its ``crm_lab`` metadata, ``requires``: ``"transactions"``
(the table, with at least one row) or ``"transactions.customer_id"`` (the table, with at least
one value in that column) or ``"transactions:items"`` (product lines, not whole orders) or
``"any"`` (any table with a row: the data-quality page reads every export).
``unmet_requirements`` turns the ones a dataset does not meet into
one-line reasons, and the runner skips the template with them.

A template that cannot be read (not valid JSON, not a notebook, metadata that names no table)
is still listed, with the reason in ``Template.error``: the runner fails that report alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from crm_lab import engine
from crm_lab.core.schemas import SCHEMAS

__all__ = [
    "NoTemplatesError",
    "Template",
    "TemplateError",
    "coerce_params",
    "default_templates_dir",
    "find_templates",
    "read_params_file",
    "unmet_requirements",
]

_PACKAGED = Path(__file__).resolve().parent / "_data" / "notebooks"
_CHECKOUT = Path(__file__).resolve().parents[2] / "notebooks"
PATTERN = "[0-9][0-9]-*.ipynb"


class NoTemplatesError(ValueError):
    """A templates folder holds no ``NN-slug.ipynb`` notebook."""


def default_templates_dir() -> Path:
    """The folder of the shipped templates: the wheel's copy, else the checkout's ``notebooks/``.

    Returns
    -------
    Path
        ``crm_lab/reporting/_data/notebooks`` when it holds templates (an installed wheel),
        otherwise ``notebooks/`` beside the package (a checkout or an editable install).
    """
    if any(_PACKAGED.glob(PATTERN)):
        return _PACKAGED
    return _CHECKOUT


@dataclass(frozen=True)
class Template:
    """A report template notebook and what it needs (from its ``crm_lab`` metadata)."""

    path: Path
    slug: str
    title: dict  # {"en": ..., "zh": ...}
    requires: tuple[str, ...]  # "table" or "table.column" (see unmet_requirements)
    summary: bool = False  # the executive summary: runs last, reads the others' metrics
    audience: str = "stakeholders"  # or "analyst": published to the work folder, not the index
    error: str = ""  # why the template could not be read: the report fails with it, alone

    def title_in(self, lang: str) -> str:
        """The title in ``lang``, else in English, else the slug."""
        return self.title.get(lang) or self.title.get("en") or self.slug


def find_templates(directory: str | Path | None = None) -> list[Template]:
    """List a folder's report templates (``NN-slug.ipynb``) as ``Template`` records.

    Parameters
    ----------
    directory : str or Path, optional
        The folder; ``default_templates_dir()`` when omitted.

    Returns
    -------
    list of Template
        In file-name order, the summary template(s) last. Empty when the folder has none.
        A file that cannot be read as a template is listed with the reason in ``error``
        (naming the file, and the line and column of a JSON error), so that it fails alone.
    """
    directory = Path(directory) if directory else default_templates_dir()
    found = []
    for path in sorted(directory.glob(PATTERN)):
        slug = path.stem.split("-", 1)[1]
        try:
            found.append(_read_template(path, slug))
        except TemplateError as exc:
            found.append(Template(path, slug, {"en": slug}, (), error=str(exc)))
    return sorted(found, key=lambda t: t.summary)


class TemplateError(ValueError):
    """A template file that is not a readable notebook or whose ``crm_lab`` metadata is wrong."""


def _read_template(path: Path, slug: str) -> Template:
    # imported here: nbformat loads jsonschema's format checkers, which compile grammars for
    # seconds, and the commands that only call unmet_requirements should not wait for them
    import nbformat

    try:
        text = path.read_text("utf-8")
        json.loads(text)  # for the line and column of an error, which nbformat does not give
        notebook = nbformat.reads(text, as_version=4)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            f"template {path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); expected a Jupyter notebook ({path})"
        ) from None
    except UnicodeDecodeError as exc:
        raise TemplateError(
            f"template {path.name} is not UTF-8 text (byte {exc.start}); expected a Jupyter "
            f"notebook ({path})"
        ) from None
    except OSError as exc:
        raise TemplateError(
            f"template {path.name} cannot be read: {exc.strerror} ({path})"
        ) from None
    except Exception as exc:  # nbformat's own errors: valid JSON that is no notebook
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise TemplateError(
            f"template {path.name} is not a Jupyter notebook ({type(exc).__name__}: "
            f"{first[:200]}) ({path})"
        ) from None
    meta = notebook.get("metadata", {}).get("crm_lab", {})
    if not isinstance(meta, dict):
        raise TemplateError(
            f"{path}: metadata crm_lab is {type(meta).__name__}; expected a mapping "
            "(title, requires, summary, audience)"
        )
    title = meta.get("title", path.stem)
    requires = meta.get("requires", [])
    if not isinstance(requires, list | tuple):
        raise TemplateError(
            f"{path}: metadata crm_lab.requires is {requires!r}; expected a list of tables "
            "or 'table.column' names"
        )
    requires = tuple(requires)
    for requirement in requires:
        _check_requirement(requirement, where=path)
    return Template(
        path=path,
        slug=slug,
        title=title if isinstance(title, dict) else {"en": str(title)},
        requires=requires,
        summary=bool(meta.get("summary", False)),
        audience=meta.get("audience", "stakeholders"),
    )


def _check_requirement(requirement, *, where) -> None:
    if requirement == "any":
        return
    if isinstance(requirement, str) and "|" in requirement:  # one of several, each checked
        for option in requirement.split("|"):
            _check_requirement(option.strip(), where=where)
        return
    name, _, kind = str(requirement).partition(":")
    table, _, column = name.partition(".")
    schema = SCHEMAS.get(table)
    if (
        not isinstance(requirement, str)
        or schema is None
        or (column and column not in [c.name for c in schema.columns])
        or kind not in ("", "items")
        or (kind and (column or table != "transactions"))
    ):
        raise TemplateError(
            f"{where}: metadata crm_lab.requires has {requirement!r}; expected a table "
            f"({', '.join(SCHEMAS)}), 'table.column' naming one of its columns, 'a|b' (either), "
            "'transactions:items' or 'any'"
        )


def unmet_requirements(requires, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Turn a template's ``requires`` and a dataset's tables into the reasons it cannot run.

    ``"table"`` needs the table with at least one row; ``"table.column"`` needs at least one
    value in that column (a transactions file whose customer ids were not found has the column,
    all missing). Each unmet requirement gives one reason; an empty list means the template
    can run. ``"transactions:items"`` needs product lines: an order-level export (every row a
    whole order, ``grain`` "order") cannot feed basket analysis.

    Examples
    --------
    >>> tx = pd.DataFrame({"invoice_id": ["1"], "customer_id": [None]})
    >>> unmet_requirements(["transactions", "transactions.customer_id", "tickets"],
    ...                    {"transactions": tx})
    ['no transactions row has a customer_id', 'no tickets table in the input']
    >>> unmet_requirements(["transactions"], {"transactions": tx.iloc[:0]})
    ['the transactions table is empty']
    >>> unmet_requirements(["transactions:items"], {"transactions": tx.assign(grain="order")})
    ['every transactions row is a whole order (an order-level export): product lines are needed']
    >>> unmet_requirements(["any"], {"tickets": tx}), unmet_requirements(["any"], {})
    ([], ['the input holds no table with a row'])
    >>> unmet_requirements(["tickets|interactions"], {"tickets": tx})
    []
    """
    reasons = []
    for requirement in requires:
        if requirement == "any":
            if not any(engine.row_count(frame) for frame in tables.values()):
                reasons.append("the input holds no table with a row")
            continue
        if "|" in requirement:  # one of several: met when any one is
            options = [r.strip() for r in requirement.split("|")]
            if all(unmet_requirements([r], tables) for r in options):
                reasons.append(f"no {' or '.join(options)} table with a row in the input")
            continue
        requirement, _, kind = requirement.partition(":")
        table, _, column = requirement.partition(".")
        frame = tables.get(table)
        if frame is not None:  # rows, and values filled, on any engine
            wanted = [c for c in (column, "grain") if c]
            counted = engine.filled_counts(frame, columns=wanted)
            filled, rows = counted.set_index("column")["filled"], int(counted["rows"].iloc[0])
        if frame is None:
            reason = f"no {table} table in the input"
        elif not rows:
            reason = f"the {table} table is empty"
        elif kind == "items" and filled["grain"] and _all_orders(frame):
            reason = (
                f"every {table} row is a whole order (an order-level export): product lines "
                "are needed"
            )
        elif column and not filled[column]:
            reason = f"no {table} row has a {column}"
        else:
            continue
        if reason not in reasons:  # "transactions" and "transactions.x" on one missing table
            reasons.append(reason)
    return reasons


def _all_orders(frame) -> bool:
    """Whether every row of an order-lines table is a whole order (``grain`` "order")."""
    if engine.is_table(frame):
        return not frame.filter(frame["grain"].fill_null("item") != "order").count().execute()
    return bool(frame["grain"].fillna("item").eq("order").all())


def read_params_file(path: str | Path) -> dict[str, str]:
    """Read a YAML parameters file into text values kept as written: ``007`` stays ``"007"``.

    YAML would otherwise read ``007`` as the number 7 and ``no`` as False; here each value is
    the text of the scalar, and ``coerce_params`` converts it by the template's declared type.
    """
    data = yaml.load(Path(path).read_text("utf-8"), Loader=yaml.BaseLoader) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected 'name: value' lines, got {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def coerce_params(values: dict[str, str], declared: dict[str, dict], *, where: str) -> dict:
    """Convert text parameters into the types a template's parameters cell declares.

    ``str`` parameters stay exactly as given; ``int``, ``float`` and ``bool`` are parsed and a
    value that does not parse is an error naming the template, parameter and value.
    """
    out = {}
    for name, value in values.items():
        kind = declared[name]["inferred_type_name"] if name in declared else "str"
        if not isinstance(value, str) or kind in ("str", "None"):
            out[name] = value
            continue
        try:
            if kind == "int":
                out[name] = int(value)
            elif kind == "float":
                out[name] = float(value)
            elif kind == "bool":
                if value.lower() not in ("true", "false", "yes", "no", "1", "0"):
                    raise ValueError(value)
                out[name] = value.lower() in ("true", "yes", "1")
            else:
                out[name] = value
        except ValueError:
            raise ValueError(f"{where}: parameter {name!r} must be {kind}, got {value!r}") from None
    return out
