# gaplab: one word per job. Every target creates .venv first when needed.
VENV := .venv
PYTHON := $(VENV)/bin/python
# nbgrader runs `alembic` from PATH when it creates a gradebook.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
SUBMISSIONS ?= submissions
GRADES ?= grades.csv

.PHONY: setup lab test release grade feedback export bench evidence lint

setup: $(VENV)/.installed

# Without CUDA, install torch's CPU build first: a plain `torch` requirement
# would pull a CUDA build of several GB.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	if ! command -v nvidia-smi >/dev/null 2>&1; then \
	  $(PYTHON) -m pip install --quiet torch==2.13.0; \
	fi
	$(PYTHON) -m pip install --quiet -r requirements.txt -e .
	touch $@

# Jupyter refuses to run as root (containers, some cloud machines) unless
# told that it is on purpose.
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=lessons $(AS_ROOT) $(LAB_ARGS)

test: setup
	$(PYTHON) -m pytest

release: setup
	$(PYTHON) -m grader release

grade: setup
	$(PYTHON) -m grader autograde $(SUBMISSIONS)

feedback: setup
	$(PYTHON) -m grader feedback

export: setup
	$(PYTHON) -m grader export --to $(GRADES)

bench: setup
	$(PYTHON) tests/bench.py

# Train every remedy of lessons 05-07 against the overfit baseline on 3
# seeds and rewrite the evidence table the README links.
evidence: setup
	$(PYTHON) -m gaplab.remedies.gap_closure --write EVIDENCE.md

lint: setup
	$(VENV)/bin/ruff check .
