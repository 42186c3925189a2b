"""Quality shift under a reference model given by `--scorer` (a local directory).

A causal LM scores perplexity (lower: more predictable text; refining away boilerplate usually raises
it, removing spam and garbage lowers it, so read it beside the retention numbers); a sequence
classifier (a quality or toxicity head) scores the probability of its last label. Its tokenizer also
counts tokens before and after.
"""

from __future__ import annotations

import math
from typing import Sequence

CLASSIFIER_SUFFIX = "ForSequenceClassification"


class Scorer:
    """A reference model loaded from a local directory: `kind` is "causal_lm" or "classifier"."""

    def __init__(self, model_dir: str, max_length: int = 512, batch_size: int = 8):
        from transformers import AutoConfig, AutoTokenizer

        self.model_dir, self.max_length, self.batch_size = model_dir, max_length, batch_size
        config = AutoConfig.from_pretrained(model_dir)
        archs = config.architectures or []
        self.kind = "classifier" if any(a.endswith(CLASSIFIER_SUFFIX) for a in archs) else "causal_lm"
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        if self.tokenizer.pad_token is None and self.tokenizer.eos_token is not None:
            self.tokenizer.pad_token = self.tokenizer.eos_token  # GPT-2-style tokenizers: batches need one
        if self.kind == "classifier":
            from transformers import AutoModelForSequenceClassification as Auto
        else:
            from transformers import AutoModelForCausalLM as Auto
        self.model = Auto.from_pretrained(model_dir).eval()
        if getattr(self.model.config, "pad_token_id", None) is None:
            self.model.config.pad_token_id = self.tokenizer.pad_token_id  # a classifier finds the last token by it

    def count_tokens(self, texts: Sequence[str], batch: int = 256) -> list[int]:
        counts: list[int] = []
        for lo in range(0, len(texts), batch):
            ids = self.tokenizer(list(texts[lo:lo + batch]), add_special_tokens=False)["input_ids"]
            counts.extend(map(len, ids))
        return counts

    def nll(self, texts: Sequence[str]) -> list[tuple[float, int]]:
        """(summed negative log-likelihood, predicted tokens) per text, over its first `max_length`
        tokens; (0.0, 0) for a text of fewer than two tokens."""
        import torch

        out: list[tuple[float, int]] = []
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        with torch.inference_mode():
            for lo in range(0, len(texts), self.batch_size):
                encoded = [self.tokenizer(t, add_special_tokens=False)["input_ids"][: self.max_length]
                           for t in texts[lo:lo + self.batch_size]]
                width = max((len(ids) for ids in encoded), default=0)
                if width < 2:
                    out.extend((0.0, 0) for _ in encoded)
                    continue
                ids = torch.full((len(encoded), width), pad, dtype=torch.long)
                mask = torch.zeros((len(encoded), width), dtype=torch.long)
                for i, row in enumerate(encoded):  # right padding: positions stay 0..n-1
                    ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
                    mask[i, : len(row)] = 1
                logits = self.model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
                targets, valid = ids[:, 1:], mask[:, 1:].bool()
                losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
                losses = losses.masked_fill(~valid, 0.0)
                out.extend((float(s), int(n)) for s, n in zip(losses.sum(1), valid.sum(1)))
        return out

    def classify(self, texts: Sequence[str]) -> list[float]:
        """The probability of the classifier's last label per text (its raw score for a regression head)."""
        import torch

        scores: list[float] = []
        with torch.inference_mode():
            for lo in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(list(texts[lo:lo + self.batch_size]), padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                logits = self.model(**batch).logits.float()
                if logits.shape[-1] == 1:
                    scores.extend(logits[:, 0].tolist())
                else:
                    scores.extend(logits.softmax(-1)[:, -1].tolist())
        return scores


def perplexity_summary(nlls: Sequence[tuple[float, int]]) -> dict:
    """Mean of per-document perplexities, and the token-weighted perplexity exp(sum NLL / tokens)."""
    scored = [(s, n) for s, n in nlls if n > 0]
    if not scored:
        return {"docs": 0, "tokens": 0, "mean_doc_ppl": None, "token_ppl": None}
    tokens = sum(n for _, n in scored)
    return {"docs": len(scored), "tokens": tokens,
            "mean_doc_ppl": sum(math.exp(s / n) for s, n in scored) / len(scored),
            "token_ppl": math.exp(sum(s for s, _ in scored) / tokens)}
