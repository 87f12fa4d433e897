# crm_lab — `make` lists the targets. Everything installs into .venv from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := data/demo
AS_OF  ?= 2025-12-31
SCALE_ARGS ?=  # e.g. SCALE_ARGS="--sizes 5M --spark --report"
LANG_REPORT ?= en

.DEFAULT_GOAL := help
.PHONY: help install browser java demo-data report report-retail test lint format docs bench bench-scale clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv if missing and install crm_lab with its dependencies

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

demo-data: $(DEMO)/transactions.csv ## Write the seeded demo data to data/demo (if missing)

$(DEMO)/transactions.csv: | $(STAMP)
	$(BIN)/crm-lab demo-data --out $(DEMO)

report: install demo-data ## Build the HTML reports on the demo data into reports/
	$(BIN)/crm-lab report --data $(DEMO) --as-of $(AS_OF) --out reports --lang $(LANG_REPORT)

report-retail: install ## Build the HTML reports on UCI Online Retail (data/external) into reports/
	$(BIN)/crm-lab report --data data/external/online_retail/online_retail.parquet --as-of 2011-12-09 --out reports

browser: ## Install Debian's chromium and CJK fonts for the browser test (as root; never fails)
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi cjk; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "browser: not root, chromium and fonts-noto-cjk not installed; the browser test will be skipped"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "browser: no apt-get, chromium and fonts-noto-cjk not installed; the browser test will be skipped"; \
	else \
	  echo "browser: installing chromium and fonts-noto-cjk with apt-get"; \
	  if log=$$( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk) 2>&1 ); then :; \
	  else echo "browser: apt-get failed ($$(printf '%s\n' "$$log" | tail -n 1)); the browser test will be skipped"; fi; \
	fi

java: ## Install Debian's Java runtime for the Spark engine's tests (as root; never fails)
	@if java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "java: not root, no Java 17+ installed; the Spark engine's tests will be skipped"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "java: no apt-get, no Java 17+ installed; the Spark engine's tests will be skipped"; \
	else \
	  echo "java: installing default-jre-headless with apt-get"; \
	  if log=$$( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends default-jre-headless) 2>&1 ); then :; \
	  else echo "java: apt-get failed ($$(printf '%s\n' "$$log" | tail -n 1)); the Spark engine's tests will be skipped"; fi; \
	fi

test: install browser java ## Run the tests and every docstring example (after `make browser java`)
	$(BIN)/python -m pytest

lint: install ## ruff lint and format check (notebooks included)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Apply ruff formatting
	$(BIN)/ruff format .

docs: install ## Regenerate docs/data_dictionary.md from crm_lab/core/schemas.py
	$(BIN)/python -c "from crm_lab.core.schemas import data_dictionary; open('docs/data_dictionary.md', 'w', encoding='utf-8').write(data_dictionary())"

bench: install ## Run the benchmarks in bench/ (they print ratios against peers)
	$(BIN)/python bench/bench_rfm.py
	$(BIN)/python bench/bench_dedup.py
	$(BIN)/python bench/bench_predict.py
	$(BIN)/python bench/bench_recommend.py
	$(BIN)/python bench/bench_clusters.py
	$(BIN)/python bench/bench_service.py

bench-scale: install ## The scale benchmark: 5M and 20M generated order lines, DuckDB engine vs plain SQL (long; not in `make bench`)
	$(BIN)/python bench/bench_scale.py $(SCALE_ARGS)

clean: ## Remove generated reports, demo data and interim snapshots (keeps .venv)
	rm -rf reports/[0-9]* reports/index.html reports/_work $(DEMO) data/interim
