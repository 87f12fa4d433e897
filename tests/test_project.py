"""Project hygiene: dependency lists agree, notebooks carry no outputs and no logic."""

import ast
import re
from pathlib import Path

import nbformat
import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = {r.replace(" ", "") for r in project["dependencies"]}
    wanted |= {r.replace(" ", "") for r in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))
    listed = {d.replace(" ", "") for d in env["dependencies"] if isinstance(d, str)}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):  # the pip: section
            listed |= {d.replace(" ", "") for d in entry.get("pip", [])}
    listed = {d for d in listed if _name(d) not in ("python", "pip")}
    assert listed == wanted


def _templates():
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_are_committed_without_outputs():
    assert _templates()
    for path in _templates():
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


def test_templates_have_a_literal_parameters_cell_and_no_logic():
    for path in _templates():
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        for node in ast.parse(tagged[0].source).body:
            assert isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Constant), (
                path.name
            )
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
        for cell in code:
            for node in ast.walk(ast.parse(cell.source)):
                assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While)), (
                    path.name
                )
        assert "write_metrics" in code[-1].source, path.name
        meta = nb.metadata["crm_lab"]
        assert meta["title"] and meta["requires"]


def test_narrative_never_shows_a_parameter_name_for_its_value():
    """Markdown is not run: `holdout_days` in a template's text reaches the page as that word,
    not as 182. Narrative names what a parameter means; its value is shown by a cell."""
    for path in _templates():
        nb = nbformat.read(path, as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        names = [node.target.id for node in ast.parse(params.source).body]
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            for name in names:
                named = f"`{name}`" in cell.source or (
                    "_" in name and re.search(rf"\b{name}\b", cell.source)
                )
                assert not named, (path.name, name)


def test_ruff_lint_and_format_are_clean():
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is a dev dependency: pip install -e .[dev]"
    for args in (["check", "--quiet", "."], ["format", "--check", "--quiet", "."]):
        done = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
