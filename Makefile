# The two front-door commands: `make demo` (set up, release the labs, grade a sample class)
# and `make test` (set up, run the test suite). Both build .venv from requirements.txt first and
# make sure the sandbox's system tool (bubblewrap) is there.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
WORKERS ?= 2

.PHONY: setup sandbox-tools demo test release clean

setup: $(VENV)/.installed sandbox-tools

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Grading runs student code only inside bubblewrap: install it where we can (root on Debian/Ubuntu),
# otherwise name the package. `grade` itself refuses to start without it.
sandbox-tools:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	  else \
	    echo "bubblewrap is missing: install it (sudo apt-get install bubblewrap, or dnf install bubblewrap);" \
	         "grading refuses to run student code without it"; \
	  fi; }

demo: setup
	$(PY) -m autograder demo

# The suite, then the labs against Colab's published versions (.ci/colab_stack.py builds its own
# venv under .cache/, reused by later runs).
test: setup
	$(PY) -m pytest -n $(WORKERS) --dist loadgroup tests
	$(PY) .ci/colab_stack.py

release: setup
	$(PY) -m autograder release

clean:
	rm -rf out .pytest_cache
