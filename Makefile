# patch-securityhub — every entry point. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT     := $(abspath .)
BUILD    := $(ROOT)/build
VENV     := $(BUILD)/venv
PY       := $(VENV)/bin/python
BASE_PY  := $(shell command -v python3)
PY312     = $(shell $(BASE_PY) tests/tools/pick_python.py)

# Terraform uses the project's own CLI config: the on-disk provider mirror when present, the registry otherwise.
export TF_CLI_CONFIG_FILE := $(BUILD)/terraformrc
export TF_IN_AUTOMATION := 1
export PYTHONDONTWRITEBYTECODE := 1

PYTEST := $(PY) -m pytest

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(BUILD)/terraformrc: tests/tools/terraform_cli_config.py
	@$(BASE_PY) tests/tools/terraform_cli_config.py $(BUILD) >/dev/null

# The dev venv holds the runtime and the two rooms the suites import: the stage (psh_stage) and the local AWS's
# control client (psh_localstack.client; LocalStack itself runs from its own venv).
$(VENV)/.stamp: tests/requirements/dev.txt lambda_src/pyproject.toml tests/harness/pyproject.toml tests/localstack_ext/pyproject.toml
	@mkdir -p $(BUILD)
	@[ -x $(PY) ] || $(PY312) -m venv $(VENV)
	$(PY) -m pip install -q -r tests/requirements/dev.txt
	$(PY) -m pip install -q --no-deps -e lambda_src -e tests/harness -e tests/localstack_ext
	@touch $@

.PHONY: venv
venv: $(VENV)/.stamp $(BUILD)/terraformrc ## create the pinned dev environment (build/venv, Python 3.12)

.PHONY: lock
lock: ## re-pin tests/requirements/dev.txt from dev.in
	rm -rf $(BUILD)/lock-venv && $(PY312) -m venv $(BUILD)/lock-venv
	$(BUILD)/lock-venv/bin/pip install -q -r tests/requirements/dev.in
	{ echo "# Full pinned dev/test environment (Python 3.12). Direct dependencies: dev.in; regenerate with \`make lock\`."; \
	  $(BUILD)/lock-venv/bin/pip freeze | grep -v '^-e'; } > tests/requirements/dev.txt

.PHONY: package
package: venv ## build the byte-reproducible Lambda zips for x86_64 and arm64 into build/dist/<arch>/ (+ manifest.json)
	$(PY) lambda_src/build_package.py package --out $(BUILD)/dist

.PHONY: release
release: venv ## the release files into build/release: versioned zips per architecture, manifests, LICENSE, SHA256SUMS
	$(PY) lambda_src/build_package.py release --out $(BUILD)/release

.PHONY: localstack-up
localstack-up: venv ## start LocalStack with the project's extension on 127.0.0.1 (writes build/localstack.env)
	$(PY) -m psh_stage.lifecycle up

.PHONY: localstack-down
localstack-down: venv ## stop LocalStack
	$(PY) -m psh_stage.lifecycle down

.PHONY: lint
lint: venv ## ruff, terraform fmt/validate, checkov, docs drift
	$(PY) -m ruff check lambda_src tests
	$(PY) -m ruff format --check lambda_src tests
	$(PY) tests/tools/lint_terraform.py

.PHONY: docs
docs: venv ## regenerate the module README's inputs/outputs tables
	$(PY) tests/tools/tfdocs.py --write

.PHONY: test-offline
test-offline: venv ## the suites that need no service: unit, plan, tools (two workers)
	$(PYTEST) -n 2 --dist loadfile $(OFFLINE_SUITES)

# Suites that need no service run on two workers (a module's tests stay on one worker: module fixtures such
# as the package builds run once). The suites on LocalStack run on two workers too, each with a LocalStack of
# its own (the local AWS's switches and clock are process-wide): the fault matrix on one, the local AWS's own
# tests and the end-to-end suite (sharing their deployments, in order) on the other.
OFFLINE_SUITES   := tests/unit tests/plan tests/tools
LOCALSTACK_SUITES := tests/localstack_ext/tests tests/e2e tests/faults

.PHONY: test
test: venv ## all tests: lint, unit, plan, tools, the local AWS, end to end, fault matrix (what .ci/run calls)
	$(MAKE) lint
	$(PYTEST) -n 2 --dist loadfile $(OFFLINE_SUITES)
	$(PYTEST) -n 2 --dist loadgroup $(LOCALSTACK_SUITES)

.PHONY: demo
demo: venv package ## the main job: LocalStack + examples/complete + a simulated fleet scanned into Security Hub
	$(PY) -m psh_stage.demo up

.PHONY: demo-down
demo-down: venv ## tear the demo down (destroy, stop LocalStack)
	$(PY) -m psh_stage.demo down

.PHONY: bench
bench: venv package ## performance figures (printed, written to build/bench.json and tests/bench/RESULTS.md)
	$(PY) tests/bench/run.py --out $(BUILD)/bench.json --page tests/bench/RESULTS.md

.PHONY: faults
faults: venv package ## fault matrix on LocalStack only (table printed, rows in build/faults.json, page tests/faults/RESULTS.md)
	PSH_FAULTS_PAGE=tests/faults/RESULTS.md $(PYTEST) tests/faults -p no:cacheprovider -q

.PHONY: clean
clean: ## remove build/ (stops LocalStack first)
	-[ -x $(PY) ] && $(PY) -m psh_stage.lifecycle down
	rm -rf $(BUILD)
