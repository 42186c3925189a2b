# Set-up on a fresh machine: `make demo` (runs the main job) and `make test` (runs the tests).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test bench default-model clean

setup: $(STAMP)

# CPU torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	rm -rf demo-out
	$(BIN)/refine run examples/sample.jsonl demo-out

test: setup
	$(BIN)/python -m pytest -q tests

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) demo-out build *.egg-info
