# enroll834 — every target installs what it needs into .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test check lint typecheck demo bench soak clean serve screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q edi matching ledger web cli.py > /dev/null
	touch $(STAMP)

install: $(STAMP)

## Run the test suite (README's test command; .ci/run calls it).
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check edi matching ledger web cli.py tests

typecheck: $(STAMP)
	$(BIN)/mypy edi matching ledger web cli.py

## ruff, mypy (strict on edi/), then the tests.
check: lint typecheck test

## The main job on the bundled samples, with the embedded SQLite default.
demo: $(STAMP)
	sh samples/demo.sh $(BIN)/enroll834

## Benchmarks (scripts, not timed tests): the targets as ratios to references measured
## in the same run (tests/bench/targets.py), then members/s and peak RSS per benchmark.
bench: $(STAMP)
	$(BIN)/python tests/bench/targets.py --rss
	$(BIN)/python tests/bench/run.py

## The review desk in the browser on 127.0.0.1:8834 (after `enroll834 init`).
serve: $(STAMP)
	$(BIN)/enroll834 serve

## Screenshots of the web face (real Chromium; apt-get install chromium chromium-driver).
screenshots: $(STAMP)
	$(BIN)/python tests/web/screenshots.py

## Longer randomised runs (fuzzing, differential validation, crash sweeps).
soak: $(STAMP)
	ENROLL834_SOAK=1 $(BIN)/python -m pytest -m "slow or not slow" -p no:cacheprovider

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info demo
