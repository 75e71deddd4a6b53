# SaigaWatch: every target sets up what it needs (system packages, .venv) and then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test bench system venv migration clean screenshots

system:
	@./.ci/install-system-packages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

## demo: start the demo marketplace, run the daily pipeline on it, then serve the review UI
demo: system venv
	@$(BIN)/saigawatch demo

## test: the whole test suite (SQLite and a real PostgreSQL server, real Chromium, loopback only)
test: system venv
	@$(BIN)/python -m pytest -q -p no:cacheprovider

## bench: throughput and memory benchmarks (crawl, classifier, review UI)
bench: system venv
	@$(BIN)/python -m tests.bench

## screenshots: PNGs of every review-UI page, desktop and phone, Russian and Kazakh (real Chromium) in build/screenshots
screenshots: system venv
	@$(BIN)/python -m tests.alerts.web.ui_walk build/screenshots

## migration: write the next Alembic migration from the changes in store/models.py (MSG="what changes")
migration: venv
	@$(BIN)/python -m store.migrations.new_revision "$(MSG)"

clean:
	rm -rf $(VENV) var build *.egg-info
