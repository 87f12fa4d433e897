"""Run the ``crm-lab`` command line: ``python -m crm_lab ...``."""

from crm_lab.cli import main

raise SystemExit(main())
