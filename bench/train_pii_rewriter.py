"""Recipe of the shipped PII rewriter `smollm2-135m-pii` (refine/adapters/smollm2-135m-pii/).

SmolLM2-135M-Instruct (`--model smollm2-135m`) LoRA-fine-tuned on rewriting pairs from the PII
benchmark's *train* generator (`evals.pii_bench`): the prompt is exactly what `refine run --mode rewrite
--instruction pii` sends (PROX rewrite messages through the model's chat template), the target the same
document with every person's values replaced by consistent stand-ins; loss on the target only. The
held-out generator (other templates, names and formats) is never trained on.

    /tmp/heavy .venv/bin/python bench/train_pii_rewriter.py --steps 60 --out /tmp/pii_rewriter

Bounded for one CPU core (~20-40 s a step of two ~300-token sequences); on a GPU raise --steps.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

from evals.pii_bench import make_docs
from refine.backends.base import Request
from refine.prompts import INSTRUCTIONS, PROX
from refine.train.data import Sample, encode
from refine.train.models import add_lora, count_parameters, ensure_stops, load
from refine.train.sft import SFTConfig, config_dict, train

ADAPTER = Path("refine/adapters/smollm2-135m-pii")


def samples(n: int, seed: int) -> list[Sample]:
    instruction = INSTRUCTIONS["pii"].text
    return [Sample(d.id, "rewrite", Request(messages=PROX.rewrite_messages(instruction, d.text)), d.target)
            for d in make_docs("train", n, seed)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="/tmp/pii_rewriter")
    ap.add_argument("--adapter", default=str(ADAPTER), help="where the shipped adapter is copied ('' = not)")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lora-r", type=int, default=16)
    ap.add_argument("--docs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-minutes", type=float, default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()

    lm, tokenizer = load("smollm2-135m")
    lm = add_lora(lm, r=args.lora_r, alpha=2 * args.lora_r, dropout=0.0)
    total, trainable = count_parameters(lm)
    examples = [e for e in (encode(s, tokenizer, args.max_length) for s in samples(args.docs, args.seed)) if e]
    config = SFTConfig(lr=args.lr, batch_size=args.batch_size, max_length=args.max_length, seed=args.seed,
                       warmup_ratio=0.1, max_steps=args.steps, max_minutes=args.max_minutes, save_steps=20,
                       log_steps=5)
    out = Path(args.out)
    log = lambda step, steps, loss: print(f"step {step}/{steps} loss {loss:.4f} "  # noqa: E731
                                          f"({time.perf_counter() - started:.0f}s)", flush=True)
    result = train(lm, tokenizer, examples, config, out, on_log=log)
    ensure_stops(lm, tokenizer)
    adapter = out / "adapter"
    lm.save_pretrained(adapter)  # the peft adapter alone, its base named (not this machine's cache path)
    config_path = adapter / "adapter_config.json"
    adapter_config = json.loads(config_path.read_text(encoding="utf-8"))
    adapter_config["base_model_name_or_path"] = "smollm2-135m"
    config_path.write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    lm.generation_config.save_pretrained(adapter)
    record = {
        "kind": "rewrite", "instruction": "pii", "base": "smollm2-135m",
        "data": f"evals.pii_bench.make_docs('train', {args.docs}, seed={args.seed})",
        "examples": len(examples), "steps": result.steps, "sequences_seen": result.steps * args.batch_size,
        "train_tokens": result.train_tokens, "loss_tokens": result.loss_tokens,
        "seconds": round(result.seconds, 1), "threads": args.threads, "stopped": result.stopped,
        "lora": {"r": args.lora_r, "alpha": 2 * args.lora_r, "trainable": trainable, "total": total},
        "losses": result.losses, "config": config_dict(config),
    }
    (adapter / "train.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in record.items() if k not in ("losses", "config")}))
    if args.adapter:
        dest = Path(args.adapter)
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("adapter_config.json", "adapter_model.safetensors", "generation_config.json", "train.json"):
            shutil.copyfile(adapter / name, dest / name)
        print(f"adapter written to {dest}")


if __name__ == "__main__":
    main()
