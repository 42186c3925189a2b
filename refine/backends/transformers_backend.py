"""In-process generation with transformers: batched, left-padded, greedy unless asked otherwise.

Requests are grouped by sampling parameters, sorted by prompt length inside each group to waste
little on padding, generated `batch_size` at a time, and returned in the caller's order. Each row keeps
its own `max_new_tokens`, stop strings and grammar, so mixed requests can share one batch.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ..model_source import local_model_problem
from .base import Backend, BackendError, Completion, Request
from .constrain import Constrainer, GrammarLogitsProcessor

DTYPES = {"bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float16": torch.float16,
          "fp16": torch.float16, "float32": torch.float32, "fp32": torch.float32}


def pick_device(device: str | None) -> str:
    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(dtype: str | None, device: str) -> torch.dtype:
    """bf16 on GPUs, fp32 on CPU, unless `dtype` names one."""
    if dtype and dtype != "auto":
        if dtype not in DTYPES:
            raise BackendError(f"unknown --dtype {dtype!r}: use one of {', '.join(DTYPES)} or auto")
        return DTYPES[dtype]
    return torch.bfloat16 if device.startswith("cuda") else torch.float32


class _RowStops:
    """Per-row stopping: end of sequence, the row's stop strings, or the row's token budget.

    Records for each row how many new tokens it kept and why it ended. Reads the newest token of every
    row with one device-to-host copy per step and keeps the generated ids on the host for stop checks.
    """

    def __init__(self, tokenizer, prompt_len: int, budgets: list[int], stops: list[tuple[str, ...]],
                 eos_ids: set[int]):
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.budgets = budgets
        self.stops = stops
        self.eos_ids = eos_ids
        self.kept: list[int | None] = [None] * len(budgets)
        self.reasons = ["length"] * len(budgets)
        self._generated: list[list[int]] = [[] for _ in budgets]
        # A stop string of b bytes spans at most b byte-level tokens.
        self._windows = [max((len(s.encode()) for s in row), default=0) + 1 for row in stops]

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        n = input_ids.shape[1] - self.prompt_len
        for row, token in enumerate(input_ids[:, -1].tolist()):
            if self.kept[row] is not None:
                continue
            self._generated[row].append(token)
            if token in self.eos_ids:
                self.kept[row], self.reasons[row] = n, "stop"
            elif self.stops[row] and self._hits_stop(row):
                self.kept[row], self.reasons[row] = n, "stop"
            elif n >= self.budgets[row]:
                self.kept[row], self.reasons[row] = n, "length"
        return torch.tensor([k is not None for k in self.kept], device=input_ids.device)

    def _hits_stop(self, row: int) -> bool:
        tail = self._generated[row][-self._windows[row]:]
        text = self.tokenizer.decode(tail, skip_special_tokens=True)
        return any(stop in text for stop in self.stops[row])


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """The text before the earliest stop string (stop strings are not part of the completion)."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=len(text))
    return text[:cut]


class TransformersBackend(Backend):
    """A causal LM loaded from a local directory or a hub name, generating in-process."""

    def __init__(self, model: str, device: str | None = None, dtype: str | None = None,
                 batch_size: int = 16):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from ..named_models import NAMED, NamedModelError, resolve

        try:
            model = resolve(model)  # a named model (`smollm2-135m`) becomes its local directory
        except NamedModelError as exc:
            raise BackendError(f"cannot load model {model!r}: {exc}") from exc
        self.model = model
        self.device = pick_device(device)
        self.batch_size = max(1, batch_size)
        problem = local_model_problem(model)
        if problem:
            raise BackendError(f"cannot load model {model!r}: {problem}")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model)
            self.lm = AutoModelForCausalLM.from_pretrained(model, dtype=pick_dtype(dtype, self.device))
        except (OSError, ValueError) as exc:
            raise BackendError(
                f"cannot load model {model!r}: {exc}\n"
                "Pass --model a local directory with config.json and tokenizer files, a hub name "
                f"(org/name) reachable from this machine, or a named model ({', '.join(NAMED)})."
            ) from exc
        self.lm.to(self.device).eval()
        self.tokenizer.padding_side = "left"
        self.pad_id = self.tokenizer.pad_token_id
        if self.pad_id is None:
            self.pad_id = self.tokenizer.eos_token_id
        self.eos_ids = self._eos_ids()
        self._constrainer: Constrainer | None = None

    def _eos_ids(self) -> set[int]:
        ids = self.lm.generation_config.eos_token_id
        if ids is None:
            ids = self.tokenizer.eos_token_id
        ids = [ids] if isinstance(ids, int) else list(ids or [])
        return {int(i) for i in ids}

    @property
    def constrainer(self) -> Constrainer:
        if self._constrainer is None:
            vocab = max(self.lm.get_output_embeddings().weight.shape[0], len(self.tokenizer))
            self._constrainer = Constrainer(self.tokenizer, vocab, sorted(self.eos_ids))
        return self._constrainer

    def prompt_ids(self, request: Request) -> list[int]:
        """Token ids of the prompt; chat messages go through the model's chat template."""
        if request.messages is not None:
            text = self.tokenizer.apply_chat_template(
                list(request.messages), tokenize=False, add_generation_prompt=True
            )
            return self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if request.prompt is None:
            raise ValueError("a request needs a prompt or messages")
        return self.tokenizer(request.prompt)["input_ids"]

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        encoded = [self.prompt_ids(r) for r in requests]
        groups: dict[tuple[float, float], list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault((r.temperature, r.top_p), []).append(i)
        results: list[Completion | None] = [None] * len(requests)
        for indices in groups.values():
            indices.sort(key=lambda i: len(encoded[i]))
            for start in range(0, len(indices), self.batch_size):
                batch = indices[start:start + self.batch_size]
                done = self._generate_batch([requests[i] for i in batch], [encoded[i] for i in batch])
                for i, completion in zip(batch, done):
                    results[i] = completion
        return results  # type: ignore[return-value]

    @torch.inference_mode()
    def _generate_batch(self, requests: list[Request], encoded: list[list[int]]) -> list[Completion]:
        width = max(len(ids) for ids in encoded)
        input_ids = torch.tensor([[self.pad_id] * (width - len(ids)) + ids for ids in encoded])
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded])
        budgets = [r.max_new_tokens for r in requests]
        stops = _RowStops(self.tokenizer, width, budgets, [r.stop for r in requests], self.eos_ids)
        processors = []
        if any(r.grammar is not None for r in requests):
            matchers = [self.constrainer.matcher(r.grammar) if r.grammar else None for r in requests]
            processors.append(GrammarLogitsProcessor(matchers, self.constrainer.vocab_size))
        sample = requests[0].temperature > 0
        sampling = {"do_sample": True, "temperature": requests[0].temperature,
                    "top_p": requests[0].top_p} if sample else {"do_sample": False}
        from transformers import LogitsProcessorList, StoppingCriteriaList

        output = self.lm.generate(
            input_ids=input_ids.to(self.device),
            attention_mask=attention.to(self.device),
            max_new_tokens=max(budgets),
            logits_processor=LogitsProcessorList(processors),
            stopping_criteria=StoppingCriteriaList([stops]),
            pad_token_id=self.pad_id,
            eos_token_id=sorted(self.eos_ids),
            top_k=None,
            **sampling,
        )
        new = output[:, width:].cpu()
        completions = []
        for row, request in enumerate(requests):
            kept = stops.kept[row] if stops.kept[row] is not None else new.shape[1]
            tokens = new[row, :kept]
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            completions.append(Completion(
                text=cut_at_stop(text, request.stop),
                prompt_tokens=len(encoded[row]),
                completion_tokens=int(tokens.numel()),
                finish_reason=stops.reasons[row],
            ))
        return completions

    def close(self) -> None:
        self.lm = None
        self._constrainer = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
