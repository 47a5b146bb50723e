# Two commands on a fresh machine: `make lab` and `make test` (see README.md).
# Everything the course needs is installed from here; nothing is assumed to be pre-installed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# CPU machines get the known-good CPU build of torch; a machine with an NVIDIA GPU gets
# whatever CUDA build pip picks for the range in pyproject.toml.
TORCH_CPU := torch==2.13.0

.PHONY: install lab test lint pytest validate e2e e2e-deps benchmarks clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile scripts/install-system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then \
		echo "NVIDIA GPU found: letting pip choose a CUDA build of torch"; \
	else \
		$(BIN)/python -m pip install --quiet "$(TORCH_CPU)"; \
	fi
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	bash scripts/install-system-deps.sh
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/course lab

test: $(STAMP) lint pytest validate e2e

lint: $(STAMP)
	$(BIN)/ruff check .

pytest: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile --ignore=tests/e2e

# Browser tests: JupyterLab in Debian's headless Chromium, driven by Playwright.
e2e-deps: $(STAMP)
	bash scripts/install-system-deps.sh --e2e

e2e: e2e-deps
	$(BIN)/python -m pytest -q tests/e2e

validate: $(STAMP)
	$(BIN)/course validate

benchmarks: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) release autograded feedback submitted gradebook.db .pytest_cache
