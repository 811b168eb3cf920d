# Fusión multimodal — the two set-up commands are `make course` and `make test`.
# Both create .venv/ and install the project into it when needed (idempotent).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FAST   ?=

.PHONY: install course release run check test bench lab clean

install: $(STAMP)

# Re-install only when the dependency specification changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
	@touch $(STAMP)

## course: regenerate the student release, execute every notebook, print build/report.md
course: install
	$(BIN)/course release
	$(BIN)/course run $(if $(FAST),--fast,)

release: install
	$(BIN)/course release

check: install
	$(BIN)/course check

## test: the whole test suite (pytest exit code 5 = no tests collected is an error here)
test: install
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the suite is misconfigured" >&2; fi; \
	exit $$rc

## bench: sequential nbgrader vs parallel `course grade` on 40 submissions, and a student's
## offline first hour (both into build/report.md)
bench: install
	$(BIN)/course bench grading
	$(BIN)/course bench first-hour

## lab: JupyterLab for students on the release notebooks (course kernel, Validate button)
lab: install
	$(BIN)/course lab

clean:
	rm -rf build gradebook.db .pytest_cache
