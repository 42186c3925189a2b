"""Everything `refine run` can be told, in one value that factories read.

The CLI fills it from flags; `refine.refiners.build_refiner(opts)` and
`refine.backends.build_backend(opts)` turn it into objects. Each refiner module exposes
`from_options(opts) -> Refiner` and reads only the fields it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Documents per refine call, and requests a model backend generates together, when --batch-size
#: does not say (a refiner may choose its own: `Refiner.batch_size`).
DEFAULT_BATCH_SIZE = 16


@dataclass
class RunOptions:
    mode: str = "rules"  # "programs" | "rewrite" | "rules" | "tagger" | "default"
    model: str | None = None  # a local directory or a hub name (`org/name`)
    backend: str = "transformers"  # "transformers" | "sglang" | "openai"
    base_url: str | None = None  # HTTP backends; may list several, comma-separated
    api_key: str | None = None
    batch_size: int | None = None  # documents per refine call; None: the refiner's own (`Refiner.batch_size`)
    concurrency: int = 32
    device: str | None = None  # "cpu", "cuda", ... (transformers backend); None = best available
    dtype: str | None = None
    stages: tuple[str, ...] = ("doc", "chunk")
    dialect: str = "prox"
    on_error: str = "skip"  # programs.Policy.on_error
    max_errors: int = 2
    min_kept_ratio: float = 0.0
    min_words: int = 0
    # Prompt budgets in the refiner's tokens. None: what the model was trained with (its `train.json`
    # from `refine train`), else ProX's (`refine.refiners.budgets.prompt_budgets`).
    chunk_tokens: int | None = None
    doc_tokens: int | None = None
    max_new_tokens: int = 256
    temperature: float = 0.0
    constrained: bool = True  # grammar-constrained decoding where the backend supports it
    prompts_file: str | None = None  # overrides built-in prompt formats
    instruction: str = "clean"  # rewrite mode: "pii" | "detox" | "clean" | a prompt file path
    rewrite_fallback: str = "keep"  # rewrite mode: "keep" | "drop" | "programs"
    cache: str | None = None  # request cache path (SQLite); None = no cache
    timeout_s: float = 120.0
    max_retries: int = 5
    extra: dict = field(default_factory=dict)  # refiner-specific options (`--set key=value`)

