# Hookline: two commands for a newcomer, `make run` and `make test`.
# Every target bootstraps what it needs, so a fresh clone works as is.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps run test lint typecheck bench clean

install: $(STAMP)

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Hookline needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "Installed: $(BIN)/hookline"

# The web app on the embedded defaults (SQLite in var/, mail to the built-in capture),
# with demo data loaded on the first start; open the printed URL, stop with Ctrl-C.
run: install
	$(BIN)/hookline lint templates/
	$(BIN)/hookline serve --demo

# Debian packages the tests use for real (SpamAssassin); installed when missing.
system-deps:
	@sh .ci/system-deps

# The web tests each start their own `hookline serve` and drive Chromium: they run
# three at a time, after the rest of the suite.
test: install system-deps
	$(BIN)/python -m pytest --ignore=tests/web
	$(BIN)/python -m pytest -n 3 tests/web
	$(BIN)/ruff check .
	$(BIN)/mypy

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# The benchmarks print figures (see bench/README.md); mailmerge is the send bench's yardstick.
bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/lint_bench.py
	$(BIN)/python bench/send_bench.py
	$(BIN)/python bench/tracking/run.py
	$(BIN)/python bench/letters/run.py
	$(BIN)/python bench/web/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hookline_cache
