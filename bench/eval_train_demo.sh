#!/usr/bin/env bash
# The committed `refine eval train` run (bench/results/eval_train/): small LMs trained on raw synthetic
# web pages vs the same pages refined by the rules refiner, 3 seeds each, on CPU.
#
#   bash bench/eval_train_demo.sh            # from the repository root; WORK=/tmp/... to move the data
#
# RAW: 3,000 synthetic pages (`refine annotate --expert synthetic --split heldout`: man pages and license
# texts wrapped in web chrome) as {id, text}. REFINED: `refine run RAW --mode rules`. REFERENCE: clean
# text from a source the pages never draw from (Python's pydoc topics, de-duplicated). The tasks are the
# shipped suite (evals/tasks, built from stdlib docstrings: also outside the pages' sources).
set -euo pipefail

WORK=${WORK:-/tmp/eval_train_demo}
OUT=${OUT:-bench/results/eval_train}
BIN=${BIN:-.venv/bin}

rm -rf "$WORK" && mkdir -p "$WORK"
"$BIN/refine" annotate - "$WORK/pages" --expert synthetic --n 3000 --split heldout --seed 0
"$BIN/refine" annotate - "$WORK/reference_pages" --expert synthetic --n 300 --split train --sources pydoc --seed 1
"$BIN/python" - "$WORK" <<'EOF'
import json, sys
work = sys.argv[1]

def doc_rows(path):
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            if row["stage"] == "doc":
                yield row

with open(f"{work}/raw.jsonl", "w") as out:
    for row in doc_rows(f"{work}/pages/train.jsonl"):
        out.write(json.dumps({"id": row["doc_id"], "text": row["text"]}) + "\n")
seen = set()
with open(f"{work}/reference.jsonl", "w") as out:
    for row in doc_rows(f"{work}/reference_pages/train.jsonl"):
        if row["clean"].strip() and row["doc_ids"][0] not in seen:
            seen.add(row["doc_ids"][0])
            out.write(json.dumps({"id": row["doc_id"], "text": row["clean"]}) + "\n")
EOF
"$BIN/refine" run "$WORK/raw.jsonl" "$WORK/refined" --mode rules --no-resume

# One thread: on a machine shared with other jobs, two torch threads run slower than one.
"$BIN/refine" eval train "$WORK/raw.jsonl" "$WORK/refined" -o "$OUT" \
  --tokens 393216 --seeds 3 --model-size small --seq-len 128 --batch-size 16 --eval-every 32 \
  --reference "$WORK/reference.jsonl" --max-eval-tokens 8192 --threads 1
