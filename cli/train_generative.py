"""`refine train --kind generative`: fine-tune a causal LM on expert programs, then score it on the
held-out documents (eval.json and a table)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from cli.common import check_positive, console, die, note


def train_generative_command(
    data: str, output_dir: str, *, model: Optional[str], from_config: Optional[str], epochs: float, lr: float,
    batch_size: int, grad_accum: int, max_length: int, seed: int, eval_fraction: float, eval_data: Optional[str],
    eval_limit: Optional[int], max_steps: Optional[int], max_minutes: Optional[float], save_steps: int,
    resume: bool, lora: bool, lora_r: int, lora_alpha: int, lora_targets: str, chunk_tokens: Optional[int],
    doc_tokens: Optional[int], device: Optional[str],
) -> None:
    from refine.train.generative import GenerativeSettings, train_generative
    from refine.train.sft import SFTConfig

    for name, value in (("--batch-size", batch_size), ("--grad-accum", grad_accum), ("--max-length", max_length),
                        ("--save-steps", save_steps), ("--lora-r", lora_r), ("--lora-alpha", lora_alpha)):
        check_positive(name, value)
    for name, value in (("--max-steps", max_steps), ("--eval-limit", eval_limit), ("--chunk-tokens", chunk_tokens),
                        ("--doc-tokens", doc_tokens)):
        check_positive(name, value, allow_none=True)
    if epochs <= 0 or lr <= 0:
        die(f"--epochs and --lr must be positive, got {epochs} and {lr}")
    if (model is None) == (from_config is None):
        die("give exactly one of --model (a pretrained model to fine-tune) and --from-config tiny|small|base")
    if not 0.0 <= eval_fraction < 1.0:
        die(f"--eval-fraction must be in [0, 1), got {eval_fraction}")
    settings = GenerativeSettings(
        model=model, from_config=from_config,
        sft=SFTConfig(epochs=epochs, lr=lr, batch_size=batch_size, grad_accum=grad_accum, max_length=max_length,
                      seed=seed, save_steps=save_steps, max_steps=max_steps, max_minutes=max_minutes),
        lora=lora, lora_r=lora_r, lora_alpha=lora_alpha,
        lora_targets=tuple(t.strip() for t in lora_targets.split(",") if t.strip()),
        eval_fraction=eval_fraction, eval_data=eval_data, chunk_tokens=chunk_tokens, doc_tokens=doc_tokens,
        device=device, resume=resume,
    )
    try:
        trained = train_generative(data, output_dir, settings, log=note,
                                   on_step=lambda step, total, loss: note(f"step {step}/{total}: loss {loss:.4f}"))
    except (FileNotFoundError, ValueError) as exc:
        die(str(exc))
    record = trained.record
    note(f"trained {record['parameters']:,} parameters for {record['steps']} steps ({record['epochs_done']} epochs, "
         f"{record['train_tokens']:,} tokens, {record['minutes']} min; stopped: {record['stopped']}); "
         f"held-out loss {record['heldout_loss']}")
    heldout = trained.heldout[:eval_limit] if eval_limit else trained.heldout
    if heldout:
        _report(output_dir, heldout, record, device)
    else:
        note("no held-out documents: eval.json not written (use --eval-fraction or --eval-data)")
    budgets = record["inference"]
    note(f"saved to {output_dir}; run it with `refine run INPUT OUTPUT --mode programs --model {output_dir} "
         f"--set chunk_tokens={budgets['chunk_tokens']} --set doc_tokens={budgets['doc_tokens']}`")


def _report(output_dir: str, heldout, record: dict, device: Optional[str]) -> None:
    from cli.eval_refiner import print_report, run_evaluation
    from evals.refiner_eval import EvalSettings

    settings = EvalSettings.for_model(record)
    report = run_evaluation(output_dir, heldout, settings, (False, True), backend="transformers", device=device)
    report["documents"] = len(heldout)
    (Path(output_dir) / "eval.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report, title=f"held-out: {len(heldout)} documents")
    console.print(f"metrics written to {Path(output_dir) / 'eval.json'}", highlight=False)
