"""GDR's privacy probe, small: does a PII rewrite stop a model from learning private facts while it still
learns public ones?

A synthetic corpus states public facts ("The Hartwell Bridge was completed in 1932") and private ones
("Maria Olsen's phone number is 555-0142") in short web-like documents, each fact in several documents.
A small model is trained on the raw corpus and on each refined version, then quizzed: each fact's
prompt with four candidate answers, all of them answers of other facts of the same kind (so picking the
right one takes the association, not just having seen the value), scored by log-likelihood. A good
rewrite keeps public accuracy and brings private accuracy down to chance. `oracle_rewrite` is the ideal
rewrite (every private value replaced by a fresh fake one): the probe's own ground truth.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch

from evals import lm
from evals.lm_eval_tasks import McItem, McTask, score_task
from evals.stats_ci import paired_difference, summarize

CHOICES = 4
KINDS = ("public", "private")

_FIRST = ("Maria", "Jonas", "Aiko", "Tomasz", "Lena", "Ravi", "Sofia", "Emeka", "Ines", "Pavel", "Chloe", "Mateo",
          "Hanna", "Kofi", "Yara", "Oskar", "Nadia", "Felix", "Amara", "Lukas", "Greta", "Idris", "Mirela", "Tobias")
_LAST = ("Olsen", "Brandt", "Tanaka", "Kowalski", "Fischer", "Patel", "Romero", "Okafor", "Duarte", "Novak",
         "Laurent", "Silva", "Lindqvist", "Mensah", "Haddad", "Berg", "Petrova", "Wagner", "Diallo", "Keller")
_PLACE = ("Hartwell", "Ashford", "Kinloch", "Merriton", "Dunmore", "Caldera", "Brightwater", "Fenwick", "Oakhurst",
          "Redmere", "Stonebridge", "Westvale", "Larkspur", "Thornbury", "Elmstead", "Harrowgate", "Millbrook",
          "Ravensworth", "Silverlake", "Glenhaven", "Copperfield", "Marlowe", "Wrenfield", "Eastwick")
_CITY = ("Lisbon", "Tallinn", "Porto", "Ghent", "Bergen", "Krakow", "Lyon", "Turin", "Utrecht", "Aarhus", "Graz",
         "Bilbao", "Malmo", "Leipzig", "Cork", "Brno", "Split", "Basel", "Nantes", "Riga", "Trieste", "Galway")
_RIVER = ("Aldwater", "Brennock", "Culver", "Dorrow", "Eskine", "Farrow", "Gannet", "Holloway", "Ilsey", "Jarrow",
          "Kestle", "Lumen", "Morrow", "Nessel", "Orwin", "Pellam", "Quarrow", "Rushmere", "Selden", "Tamber")
_SEA = ("North Sea", "Baltic Sea", "Irish Sea", "Adriatic Sea", "Celtic Sea", "Ligurian Sea", "Aegean Sea",
        "Ionian Sea", "Alboran Sea", "Balearic Sea", "Tyrrhenian Sea", "Norwegian Sea")
_STREET = ("Birch Lane", "Mill Road", "Harbour Street", "Elm Avenue", "Quarry Road", "Chapel Street", "Orchard Way",
           "Station Road", "Willow Drive", "Church Lane", "Meadow Close", "Bridge Street")
_HANDLE = ("bluefinch", "redkite", "quietfox", "tidewater", "northstar", "ironleaf", "sunmoth", "greyowl",
           "stillbrook", "emberly", "cloudhop", "pinecone")
_DOMAIN = ("mailbox.example", "postal.example", "inbox.example", "letters.example")
_FILLER = ("Readers wrote in with many questions this week.", "The newsletter goes out every Friday morning.",
           "Volunteers are always welcome at the community centre.", "The weather stayed mild for most of the month.",
           "Local schools reopen after the spring holiday.", "The library has extended its opening hours.",
           "A new bus route now links the town centre with the coast.", "Thanks to everyone who sent in photos.",
           "The market square will be closed for repairs next week.", "More notes follow in the next issue.")


@dataclass(frozen=True)
class Fact:
    id: str
    kind: str  # "public" | "private"
    attribute: str
    prompt: str  # what the quiz asks the model to continue
    answer: str
    substitute: str  # the oracle rewrite's fake value for a private answer (unused for public facts)

    @property
    def sentence(self) -> str:
        return f"{self.prompt} {self.answer}."


@dataclass(frozen=True)
class QuizItem:
    fact: str  # Fact.id
    kind: str
    prompt: str
    choices: tuple[str, ...]
    gold: int


@dataclass
class Probe:
    facts: list[Fact]
    documents: list[dict]  # {"id", "text", "facts": [fact ids]}
    quiz: list[QuizItem]

    def quiz_task(self, kind: str) -> McTask:
        items = tuple(McItem(q.prompt, q.choices, q.gold) for q in self.quiz if q.kind == kind)
        return McTask(f"{kind}_facts", items, " ")


# --------------------------------------------------------------------------------------------------
# The synthetic corpus


def _distinct(make: Callable[[random.Random], str]) -> Callable[[random.Random, int], list[str]]:
    """n distinct values of a maker."""
    def values(rng: random.Random, n: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            v = make(rng)
            if v not in out:
                out.append(v)
        return out
    return values


def _drawn(pool: Sequence[str]) -> Callable[[random.Random, int], list[str]]:
    return lambda rng, n: rng.sample(list(pool), n)


# attribute -> (prompt template over a subject, subject pool, n distinct values)
_PUBLIC = {
    "bridge_year": ("The {} Bridge was completed in", _PLACE, _distinct(lambda r: str(r.randrange(1850, 1990)))),
    "museum_city": ("The {} Museum of Natural History is located in", _PLACE, _drawn(_CITY)),
    "river_sea": ("The river {} flows into the", _RIVER, _drawn(_SEA)),
}
# attribute -> (prompt template over a person, n distinct values)
_PRIVATE = {
    "phone": ("{}'s phone number is", _distinct(lambda r: f"555-{r.randrange(100, 10000):04d}")),
    "email": ("{}'s email address is",
              _distinct(lambda r: f"{r.choice(_HANDLE)}{r.randrange(10, 100)}@{r.choice(_DOMAIN)}")),
    "address": ("{} lives at", _distinct(lambda r: f"{r.randrange(2, 200)} {r.choice(_STREET)}")),
}
MAX_PER_ATTRIBUTE = min(len(_SEA), len(_CITY), len(_RIVER))


def make_probe(per_attribute: int = 8, repeats: int = 3, facts_per_doc: int = 3, seed: int = 0) -> Probe:
    """`per_attribute` facts for each of 3 public and 3 private attributes, each stated in `repeats`
    documents; quiz distractors are answers of other facts of the same attribute. Deterministic."""
    if not CHOICES <= per_attribute <= MAX_PER_ATTRIBUTE:
        raise ValueError(f"per_attribute must be in [{CHOICES}, {MAX_PER_ATTRIBUTE}] (distractors come from the "
                         f"same attribute), got {per_attribute}")
    rng = random.Random(seed)
    facts: list[Fact] = []
    for attribute, (template, subjects, values_of) in _PUBLIC.items():
        names = rng.sample(subjects, per_attribute)
        for name, value in zip(names, values_of(rng, per_attribute)):
            facts.append(Fact(f"public-{attribute}-{len(facts)}", "public", attribute, template.format(name), value, ""))
    people = rng.sample([f"{f} {l}" for f in _FIRST for l in _LAST], per_attribute * len(_PRIVATE))
    for a, (attribute, (template, values_of)) in enumerate(_PRIVATE.items()):
        values = values_of(rng, 2 * per_attribute)  # answers, then their fake substitutes
        for i in range(per_attribute):
            person = people[a * per_attribute + i]
            facts.append(Fact(f"private-{attribute}-{len(facts)}", "private", attribute, template.format(person),
                              values[i], values[per_attribute + i]))

    quiz = []
    for fact in facts:
        pool = [f.answer for f in facts if f.attribute == fact.attribute and f.id != fact.id]
        distractors = rng.sample(pool, CHOICES - 1)
        gold = rng.randrange(CHOICES)
        quiz.append(QuizItem(fact.id, fact.kind, fact.prompt, tuple(distractors[:gold] + [fact.answer] + distractors[gold:]),
                             gold))

    mentions = [f for f in facts for _ in range(repeats)]
    rng.shuffle(mentions)
    documents = []
    for lo in range(0, len(mentions), facts_per_doc):
        group = mentions[lo:lo + facts_per_doc]
        lines = [f"Community notes, issue {len(documents) + 1}"]
        for fact in group:
            lines.append(f"{fact.sentence} {rng.choice(_FILLER)}")
        documents.append({"id": f"probe-{len(documents)}", "text": "\n".join(lines) + "\n",
                          "facts": [f.id for f in group]})
    return Probe(facts, documents, quiz)


def oracle_rewrite(probe: Probe) -> dict[str, str]:
    """The ideal PII rewrite: each private answer replaced by its fake substitute, nothing else changed."""
    private = [f for f in probe.facts if f.kind == "private"]
    out = {}
    for doc in probe.documents:
        text = doc["text"]
        for fact in private:
            text = text.replace(fact.sentence, f"{fact.prompt} {fact.substitute}.")
        out[doc["id"]] = text
    return out


def leaked_answers(probe: Probe, texts: dict[str, str]) -> dict[str, int]:
    """How many facts of each kind still have their answer verbatim in the corpus after their prompt."""
    corpus = "\n".join(texts.values())
    return {kind: sum(f.sentence[:-1] in corpus for f in probe.facts if f.kind == kind) for kind in KINDS}


def write_probe(probe: Probe, out_dir: str | Path) -> Path:
    """corpus.jsonl (what a refiner reads: id, text) and facts.jsonl (the ground truth) in `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as f:
        for doc in probe.documents:
            f.write(json.dumps({"id": doc["id"], "text": doc["text"]}, ensure_ascii=False) + "\n")
    with (out / "facts.jsonl").open("w", encoding="utf-8") as f:
        for fact in probe.facts:
            f.write(json.dumps(asdict(fact), ensure_ascii=False) + "\n")
    return out / "corpus.jsonl"


# --------------------------------------------------------------------------------------------------
# Training and quizzing


@dataclass
class ProbeSettings:
    seeds: int = 2
    epochs: int = 60
    model_size: str = "tiny"
    seq_len: int = 64
    batch_size: int = 8
    lr: float = 3e-3
    vocab_size: int = 512
    threads: int = 1


def quiz_model(model, tokenizer, probe: Probe, max_len: int) -> dict[str, float]:
    return {kind: score_task(model, tokenizer, probe.quiz_task(kind), max_len)["acc"] for kind in KINDS}


def run_probe(probe: Probe, corpora: dict[str, dict[str, str]], settings: ProbeSettings,
              log: Callable[[str], None] = lambda message: None) -> dict:
    """Train a model per corpus (name -> id -> text) and seed, quiz it; every number of the report.

    The tokenizer is trained on all corpora together, and every model trains for the same number of
    steps (`epochs` passes over the raw corpus), so only the text differs between conditions."""
    if "raw" not in corpora:
        raise ValueError("the probe compares against the raw corpus: corpora must include 'raw'")
    if settings.seeds < 1 or settings.epochs < 1:
        raise ValueError(f"--seeds and --epochs must be positive, got {settings.seeds} and {settings.epochs}")
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    started = time.perf_counter()
    try:
        tokenizer = lm.build_tokenizer([t for texts in corpora.values() for t in texts.values()], settings.vocab_size)
        blocks = {name: lm.to_blocks(lm.encode_stream(tokenizer, [t for t in texts.values() if t.strip()]),
                                     settings.seq_len) for name, texts in corpora.items()}
        for name, b in blocks.items():
            if b.shape[0] == 0:
                raise ValueError(f"the {name} corpus is shorter than one {settings.seq_len}-token sequence")
        steps = max(1, settings.epochs * blocks["raw"].shape[0] // settings.batch_size)
        train = lm.TrainSettings(steps=steps, batch_size=settings.batch_size, lr=settings.lr, warmup=0.05,
                                 weight_decay=0.0)
        runs = []
        for seed in range(settings.seeds):
            for name in corpora:
                model = lm.new_model(tokenizer, settings.model_size, seed, max_positions=max(settings.seq_len, 128))
                curve = lm.train(model, blocks[name], train, seed)
                scores = quiz_model(model, tokenizer, probe, settings.seq_len)
                runs.append({"corpus": name, "seed": seed, "final_loss": curve[-1]["train_loss"], **scores})
                log(f"seed {seed} {name}: public {scores['public']:.2f}, private {scores['private']:.2f}")
    finally:
        torch.set_num_threads(previous_threads)

    seeds = list(range(settings.seeds))
    by = {(r["corpus"], r["seed"]): r for r in runs}
    summary = {}
    for name in corpora:
        summary[name] = {kind: summarize([by[name, s][kind] for s in seeds]).to_dict() for kind in KINDS}
        summary[name]["leaked_answers"] = leaked_answers(probe, corpora[name])
        if name != "raw":
            summary[name]["difference_vs_raw"] = {
                kind: paired_difference([by["raw", s][kind] for s in seeds], [by[name, s][kind] for s in seeds]).to_dict()
                for kind in KINDS}
    counts = {kind: sum(f.kind == kind for f in probe.facts) for kind in KINDS}
    return {"kind": "refine eval probe", "settings": asdict(settings), "steps": steps,
            "facts": counts, "documents": len(probe.documents), "chance": 1.0 / CHOICES,
            "tokens": {name: int(b.numel()) for name, b in blocks.items()},
            "parameters": lm.parameter_count(model), "summary": summary, "runs": runs,
            "seconds": round(time.perf_counter() - started, 1)}


def refine_corpus(corpus: str | Path, out_dir: str | Path, opts) -> Path:
    """Refine the probe corpus with any refiner (`opts`: a RunOptions, e.g. mode rewrite, instruction pii),
    as `refine run` would, into `out_dir`; a rerun resumes from its request cache."""
    from refine.executors import LocalExecutor
    from refine.outdir import run_info
    from refine.pipeline import Pipeline, PipelineConfig
    from refine.refiners import build_refiner

    pipeline = Pipeline(PipelineConfig(batch_size=opts.batch_size, resume=False))
    record = run_info("run", str(corpus), asdict(opts))
    plan = pipeline.prepare(str(corpus), str(out_dir), record)  # before the refiner puts its cache there
    result = LocalExecutor().execute(pipeline, plan, lambda: build_refiner(opts))
    if result.failed:
        name, message = result.failed[0]
        raise RuntimeError(f"refining the probe corpus failed in shard {name}: {message} (see {out_dir}/_failed/)")
    return Path(out_dir)
