"""Build step: ship the report templates of notebooks/ inside the wheel.

The templates live at the top of the repository (the project's layout), outside the package,
and package data cannot name files outside a package. So ``build_py`` copies every
``notebooks/NN-slug.ipynb`` into the built package as ``crm_lab/reporting/_data/notebooks/``,
where ``crm_lab.reporting.templates.default_templates_dir`` finds them in an installed wheel.
An editable install (``pip install -e .``) skips the copy: the package then sits in the
checkout and reads ``notebooks/`` directly. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithTemplates(build_py):
    """``build_py`` that also copies the report templates into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib, "crm_lab", "reporting", "_data", "notebooks")
        self.mkpath(str(target))
        for notebook in sorted(Path("notebooks").glob("[0-9][0-9]-*.ipynb")):
            self.copy_file(str(notebook), str(target / notebook.name))


setup(cmdclass={"build_py": BuildPyWithTemplates})
