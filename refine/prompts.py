"""Every prompt the engine sends, in one place: program prompts (ProX, RefineX) and rewrite instructions.

The default set reproduces ProX's released pipeline byte for byte, so `gair-prox/web-doc-refining-lm`
and `web-chunk-refining-lm` run unchanged: chunk prompts are chat messages (ProX's system message, user
`[doc]\\n[000]line\\n...\\n[/doc]`) that the backend renders with the model's chat template; doc prompts
are the raw text in Llama-2's `[INST]` format, the whole rendered prompt cut at 2,000 tokens as ProX's
`apply_chat_template(truncation=True, max_length=2000)` does. A YAML or JSON file overrides any field.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROX_SYSTEM = "You are a helpful, respectful and honest assistant."

# Llama-2-chat's template for [system, user], as ProX renders doc prompts with
# `meta-llama/Llama-2-7b-chat-hf`'s tokenizer: bos + "[INST] " + content.strip() + " [/INST]".
LLAMA2_DOC_FORMAT = "{bos}[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{text} [/INST]"

REWRITE_SYSTEM = "You are a careful editor of web text. You change only what the instruction asks for."
REWRITE_USER = (
    "{instruction}\n\n"
    "Reply with the rewritten text only, with no preamble and no comments.\n\n"
    "[text]\n{text}\n[/text]"
)
RETRY_NOTE = "\n\nYour previous rewrite of this text was rejected: {failures}. Follow the instruction exactly."


@dataclass(frozen=True)
class PromptSet:
    """The formats of one prompt family. Templates are `str.format` strings with the fields named."""

    name: str = "prox"
    system: str = PROX_SYSTEM
    chunk_user: str = "[doc]\n{chunk}\n[/doc]"  # {chunk}: the numbered lines joined by "\n"
    line_format: str = "[{n:03d}]{line}"  # {n}: line number (+ line_base), {line}: the line's body
    line_base: int = 0  # RefineX numbers lines from 1; programs are converted back by the dialect
    doc_format: str | None = LLAMA2_DOC_FORMAT  # raw prompt; None: chat messages [system, user=text]
    dialect: str = "prox"  # the dialect the model writes programs in (programs.parse)
    stop: tuple[str, ...] = ()
    rewrite_system: str = REWRITE_SYSTEM
    rewrite_user: str = REWRITE_USER
    retry_note: str = RETRY_NOTE

    def number_line(self, index: int, body: str) -> str:
        """Line `index` (the document's own, 0-based) as the prompt shows it."""
        return self.line_format.format(n=index + self.line_base, line=body)

    def chunk_messages(self, numbered: str) -> tuple[dict, ...]:
        return (
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.chunk_user.format(chunk=numbered)},
        )

    def doc_prompt(self, text: str, bos: str = "") -> str:
        """The raw doc-stage prompt (only when `doc_format` is set); truncation is the caller's."""
        if self.doc_format is None:
            raise ValueError(f"prompt set {self.name!r} sends doc prompts as chat messages")
        return self.doc_format.format(bos=bos, system=self.system, text=text.rstrip())

    def doc_messages(self, text: str) -> tuple[dict, ...]:
        return ({"role": "system", "content": self.system}, {"role": "user", "content": text})

    def rewrite_messages(self, instruction: str, text: str, failures: str | None = None) -> tuple[dict, ...]:
        user = self.rewrite_user.format(instruction=instruction, text=text)
        if failures:
            user += self.retry_note.format(failures=failures)
        return ({"role": "system", "content": self.rewrite_system}, {"role": "user", "content": user})


PROX = PromptSet()
REFINEX = PromptSet(
    name="refinex",
    line_format="[{n}] {line}",
    line_base=1,
    doc_format=None,
    dialect="refinex",
)
PROMPT_SETS: dict[str, PromptSet] = {p.name: p for p in (PROX, REFINEX)}

# Which fields each template must use, and which it may use.
_TEMPLATE_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "chunk_user": ({"chunk"}, {"chunk"}),
    "line_format": ({"n", "line"}, {"n", "line"}),
    "doc_format": ({"text"}, {"bos", "system", "text"}),
    "rewrite_user": ({"instruction", "text"}, {"instruction", "text"}),
    "retry_note": (set(), {"failures"}),
}


def _check_template(key: str, template: str) -> None:
    required, allowed = _TEMPLATE_FIELDS[key]
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"prompt template {key!r} is not a valid format string: {exc}") from None
    bad = {n for n in names if n not in allowed}
    if bad:
        raise ValueError(f"prompt template {key!r} uses {sorted(bad)}; it may use only {sorted(allowed)}")
    if missing := required - names:
        raise ValueError(f"prompt template {key!r} must contain {', '.join('{' + m + '}' for m in sorted(missing))}")


def _read_mapping(path: str | Path) -> dict:
    """A YAML or JSON file's top-level mapping (YAML needs PyYAML, which `datasets` already requires)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"prompt file {str(p)!r} does not exist")
    text = p.read_text(encoding="utf-8")
    if p.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"prompt file {str(p)!r} must hold a mapping of field names to values")
    return data


def load_prompts(path: str | Path | None = None, base: str = "prox") -> PromptSet:
    """The built-in set `base` (or the file's own `base:`), with the file's fields overriding it."""
    if path is None:
        return _builtin(base)
    data = dict(_read_mapping(path))
    prompts = _builtin(str(data.pop("base", base)))
    known = {f.name for f in fields(PromptSet)}
    if unknown := sorted(set(data) - known):
        raise ValueError(f"prompt file {str(path)!r}: unknown fields {unknown}; known: {sorted(known)}")
    if "stop" in data:
        data["stop"] = tuple(data["stop"] or ())
    prompts = replace(prompts, **data)
    for key in _TEMPLATE_FIELDS:
        template = getattr(prompts, key)
        if template is not None:
            _check_template(key, template)
    return prompts


def prompts_from_options(opts) -> PromptSet:
    """`--prompts-file` over the built-in set of `--dialect` (ProX unless RefineX is asked for)."""
    base = opts.dialect if opts.dialect in PROMPT_SETS else "prox"
    return load_prompts(opts.prompts_file, base=base)


def _builtin(name: str) -> PromptSet:
    try:
        return PROMPT_SETS[name]
    except KeyError:
        raise ValueError(f"no built-in prompt set {name!r}; choose one of {sorted(PROMPT_SETS)}") from None


# ---- rewrite instructions (GDR) ----------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """What a rewrite must achieve. `base` names the built-in whose guards apply (see `guards.spec_for`);
    `guards` overrides single thresholds of that spec."""

    name: str
    text: str
    base: str | None = None
    guards: dict = field(default_factory=dict)


INSTRUCTIONS: dict[str, Instruction] = {
    "pii": Instruction(
        "pii",
        "Rewrite the text so that it contains no personal data. Replace every piece of personal data - "
        "people's names, email addresses, phone numbers, street addresses, IP addresses, credit card "
        "numbers, bank account numbers and personal identification numbers - with a realistic, "
        "invented stand-in of the same kind and format. Use the same stand-in every time the same "
        "item appears. Never write [REDACTED], placeholders such as <NAME> or XXX, or masked "
        "characters. Change nothing else: keep every other word, the line breaks and the formatting.",
    ),
    "detox": Instruction(
        "detox",
        "Rewrite the text so that it contains no toxic language: remove or soften insults, slurs, "
        "profanity, threats and harassment, with the smallest change that does it. Keep the content, "
        "the facts, the meaning and the structure of the text; leave every non-toxic sentence as it is.",
    ),
    "clean": Instruction(
        "clean",
        "Remove the boilerplate from this web page text: navigation menus, advertisements, cookie "
        "banners, share buttons, login prompts, related-article lists, footers and copyright notices. "
        "Keep every sentence of the actual content verbatim, in its order, with its line breaks. "
        "Delete only; do not rephrase, summarise, correct or add anything.",
    ),
}


def load_instruction(name_or_path: str) -> Instruction:
    """A built-in instruction by name, or a user's prompt file.

    A `.yaml`/`.yml`/`.json` file holds `instruction` (the text), and optionally `name`, `base` (a
    built-in whose guards apply) and `guards` (threshold overrides); any other file is the instruction
    text itself, with the generic guards.
    """
    if name_or_path in INSTRUCTIONS:
        return INSTRUCTIONS[name_or_path]
    path = Path(name_or_path)
    if not path.is_file():
        raise ValueError(
            f"--instruction {name_or_path!r} is neither a built-in ({', '.join(sorted(INSTRUCTIONS))}) "
            "nor an existing prompt file"
        )
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        text = path.read_text(encoding="utf-8").strip()
        if not text:
            raise ValueError(f"instruction file {str(path)!r} is empty")
        return Instruction(path.stem, text)
    data = _read_mapping(path)
    unknown = sorted(set(data) - {"name", "instruction", "base", "guards"})
    if unknown or not isinstance(data.get("instruction"), str) or not data["instruction"].strip():
        raise ValueError(
            f"instruction file {str(path)!r} needs a non-empty 'instruction' string and may set only "
            f"'name', 'base', 'guards'" + (f" (unknown: {unknown})" if unknown else "")
        )
    base = data.get("base")
    if base is not None and base not in INSTRUCTIONS:
        raise ValueError(f"instruction file {str(path)!r}: base {base!r} is not one of {sorted(INSTRUCTIONS)}")
    return Instruction(str(data.get("name", path.stem)), data["instruction"].strip(), base, dict(data.get("guards") or {}))
