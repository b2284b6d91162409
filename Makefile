# TrainMeUK Identity. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= development.ini
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e ".[testing]"
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## create .venv and install the service with its test tools

.PHONY: run
run: install ## migrate, create the demo tenant, serve at http://demo.localhost:6543
	@mkdir -p var
	$(BIN)/trainmeuk-identity $(CONFIG) db upgrade
	@$(BIN)/python -m trainmeuk_identity.scripts.demo $(CONFIG)
	$(BIN)/pserve $(CONFIG)

.PHONY: chromium
chromium: ## install Debian's Chromium for the browser tests, if missing
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

.PHONY: test
test: install chromium lint ## lint, then the test suite (TRAINMEUK_DATABASE_URL selects the database)
	$(BIN)/pytest $(PYTEST_ARGS)

.PHONY: fuzz
fuzz: install ## long property-based run of the SCIM endpoint (FUZZ_EXAMPLES=10000 per target; see tests/fuzz/RESULTS.md)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-10000} $(BIN)/pytest tests/fuzz -p no:randomly -p no:cacheprovider --hypothesis-show-statistics $(PYTEST_ARGS)

.PHONY: lint
lint: install ## ruff, the architecture contracts (setup.cfg [importlinter]) and no import cycles
	$(BIN)/ruff check src tests plugins bench .ci
	$(BIN)/lint-imports
	$(BIN)/python .ci/import_cycles.py

.PHONY: bench
bench: install ## run the benchmarks in bench/ and print their figures
	$(BIN)/python -m bench.run

.PHONY: bench-load
bench-load: install ## 40 tenants' Entra load on pserve production.ini + PostgreSQL vs a bare Pyramid app (ARGS="--seconds 30"); appends to bench/RESULTS.md
	$(BIN)/python -m bench.load --record $(ARGS)

.PHONY: clean
clean: ## remove the virtual environment and local data
	rm -rf $(VENV) var/*.sqlite*
