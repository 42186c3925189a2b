#!/usr/bin/env bash
# The PII rewriter, end to end on one CPU core: train the shipped adapter, benchmark it against the
# untuned base (few-shot) and the regex detector on held-out documents, then GDR's privacy probe with it.
#
#   /tmp/heavy bash bench/rewrite_bench.sh        # STEPS=... MINUTES=... DOCS=... to change
#
# Writes refine/adapters/smollm2-135m-pii/, bench/results/rewrite.json and bench/results/probe_rewrite/.
set -euo pipefail
BIN=${BIN:-.venv/bin}
STEPS=${STEPS:-240}
MINUTES=${MINUTES:-15}
DOCS=${DOCS:-24}
WORK=${WORK:-/tmp/pii_rewriter}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

"$BIN/python" bench/train_pii_rewriter.py --steps "$STEPS" --batch-size 4 --docs 1200 --max-minutes "$MINUTES" --out "$WORK"
"$BIN/python" bench/bench_rewrite.py --docs "$DOCS" --systems regex,tuned,base
rm -rf "$WORK/probe"
time "$BIN/refine" eval probe -o "$WORK/probe" --model smollm2-135m-pii --threads 1
mkdir -p bench/results/probe_rewrite
cp -r "$WORK/probe/report.md" "$WORK/probe/report.json" "$WORK/probe/plots" bench/results/probe_rewrite/
sed -i "s#\"$WORK/probe/refined\"#\"OUTPUT/refined\"#" bench/results/probe_rewrite/report.json  # no machine paths
# what the guards did to the probe corpus: the chain step each document ended on, and the guards that fired
"$BIN/python" - "$WORK/probe/refined/programs" > bench/results/probe_rewrite/rewrite_audit.json <<'PY'
import collections, glob, json, sys
done, fired, n = collections.Counter(), collections.Counter(), 0
for path in glob.glob(sys.argv[1] + "/*.jsonl*"):
    for line in open(path):
        audit = json.loads(line)["audit"]
        n += 1
        done[audit["done"]] += 1
        fired.update(audit["fired"])
print(json.dumps({"docs": n, "done": dict(done), "docs_where_guard_fired": dict(fired)}, indent=2))
PY
