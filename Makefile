# The two front-door commands: `make demo` (set up, release the labs, grade a sample class)
# and `make test` (set up, run the test suite). Both build .venv from requirements.txt first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
WORKERS ?= 2

.PHONY: setup demo test release clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

demo: setup
	$(PY) -m autograder demo

test: setup
	$(PY) -m pytest -n $(WORKERS) --dist loadgroup tests

release: setup
	$(PY) -m autograder release

clean:
	rm -rf out .pytest_cache
