# Fusión multimodal — a thin alias of `python run.py COMMAND` (run.py works on Linux, macOS and
# Windows without make; see the README). `make course FAST=1` = `python run.py course --fast`.

PYTHON ?= $(shell command -v python3 || command -v python)
FAST   ?=

.PHONY: install course release check test test-fast lint bench lab dist lock clean

course:
	$(PYTHON) run.py course $(if $(FAST),--fast,)

install release check lint bench lab dist lock clean:
	$(PYTHON) run.py $@

test test-fast:
	$(PYTHON) run.py $@ $(PYTEST_ARGS)
