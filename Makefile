# Two commands for a fresh machine: `make run` (the whole pipeline on the embedded default)
# and `make test` (lint + pytest). Both create .venv from requirements.lock on first use.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.lmlab-installed
export PATH := $(abspath $(BIN)):$(PATH)
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TRANSFORMERS_NO_ADVISORY_WARNINGS ?= 1

.PHONY: venv run test lint format dvc-yaml report figures clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --profile profiles/default

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint --profile profiles/default

format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/snakefmt Snakefile workflow/rules

dvc-yaml: $(STAMP)
	$(BIN)/python -m lmlab workflow dvc-yaml --output dvc.yaml

# Redraw every figure of one seed from existing measurements (never trains): make figures SEED=1
# (`lmlab workflow figures` prints the files, then --forcerun/--allowed-rules with the figure rules)
figures: $(STAMP)
	test -n "$(SEED)" || { echo "usage: make figures SEED=N"; exit 2; }
	$(BIN)/snakemake --profile profiles/default \
	  $$($(BIN)/python -m lmlab workflow figures --seed $(SEED))

report: $(STAMP)
	$(BIN)/snakemake --profile profiles/default --report results/report.html

clean:
	rm -rf results .snakemake
