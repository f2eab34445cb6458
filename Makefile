# gaplab: one word per job. Every target creates .venv first when needed.
VENV := .venv
PYTHON := $(VENV)/bin/python
# nbgrader runs `alembic` from PATH when it creates a gradebook.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
SUBMISSIONS ?= submissions
GRADES ?= grades.csv
JOBS ?= 1

.PHONY: setup system lab formgrader test release grade feedback export bench bench-grading evidence lint

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

# The grader runs every submission under bubblewrap (grader/sandbox.py),
# and a test grades into a PostgreSQL server. As root with apt (CI,
# containers) what is missing is installed here; elsewhere the grader says
# how to install bubblewrap, and those tests are skipped (never under CI).
SYSTEM_PACKAGES := $(if $(shell command -v bwrap),,bubblewrap) \
  $(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql)
system:
	@if [ -n "$(strip $(SYSTEM_PACKAGES))" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && \
	    apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "not installed: $(strip $(SYSTEM_PACKAGES)) (see README)"; \
	  fi; \
	fi

# Jupyter refuses to run as root (containers, some cloud machines) unless
# told that it is on purpose.
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=lessons $(AS_ROOT) $(LAB_ARGS)

# The instructor's JupyterLab: started from grader/, where nbgrader finds
# the course's configuration, so Formgrader lists the lessons and their
# submissions (docs/INSTRUCTOR_GUIDE.md, step 7).
formgrader: setup
	cd grader && ../$(VENV)/bin/jupyter lab $(AS_ROOT) $(LAB_ARGS)

# Two worker processes, one torch thread each (tests/conftest.py): on 2
# cores that beats one process with two threads. Each lesson's tests stay
# in one worker, so its notebook still runs once per seed.
test: setup system
	$(PYTHON) -m pytest -n 2 --dist loadgroup

release: setup
	$(PYTHON) -m grader release

grade: setup system
	$(PYTHON) -m grader autograde $(SUBMISSIONS) --jobs $(JOBS)

feedback: setup
	$(PYTHON) -m grader feedback

export: setup
	$(PYTHON) -m grader export --to $(GRADES)

bench: setup
	$(PYTHON) tests/bench.py

# Grade 20 submissions sequentially and with --jobs 2; print the speedup.
bench-grading: setup
	$(PYTHON) tests/bench_grading.py

# Train every remedy of lessons 05-10 against the overfit baseline on 3
# seeds and rewrite the evidence table the README links.
evidence: setup
	$(PYTHON) -m gaplab.remedies.gap_closure --write EVIDENCE.md

lint: setup
	$(VENV)/bin/ruff check .
