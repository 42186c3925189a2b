"""Content that web pages have and the clean-text sources lack: short-line content that must be kept.

Debian descriptions, docstrings and licenses are long paragraphs; real pages also carry recipes'
ingredients and steps, feature bullets, spec tables, definition lists, short dialogue, poems and
product pages made of short lines. Each maker returns content blocks (`sources` block kinds) that the
synthetic expert keeps, so the tagger learns that short does not mean boilerplate. Heading wordings
differ between the train and held-out families; the forms of the blocks are shared, like "Home".
"""

from __future__ import annotations

import random
from typing import Callable

from refine.annotate import vocab as V
from refine.annotate.sources import CODE, HEADING, ITEM, PARA, ROW

Blocks = list[tuple[str, str]]

_HEADINGS = {
    "train": {"ingredients": ("Ingredients", "You will need", "For the sauce"),
              "steps": ("Instructions", "Method", "Directions", "How to make it"),
              "features": ("Features", "Key features", "Highlights", "Why you'll love it"),
              "specs": ("Specifications", "Tech specs", "Product details"),
              "terms": ("Glossary", "Key terms", "Definitions"),
              "dialogue": ("Transcript", "The conversation", "Interview"),
              "poem": ("Poem of the week", "Verse"),
              "code": ("Example", "Usage", "Quick start")},
    "heldout": {"ingredients": ("What you'll need", "Ingredients list", "Shopping list"),
                "steps": ("Step by step", "Preparation", "Cooking method"),
                "features": ("What's included", "At a glance", "Benefits"),
                "specs": ("Technical data", "Dimensions and weight", "Specs"),
                "terms": ("Terminology", "Words to know"),
                "dialogue": ("From the interview", "Q&A"),
                "poem": ("Today's poem", "Lines"),
                "code": ("Sample", "Try it")},
}

_FOODS = ("flour", "sugar", "butter", "eggs", "milk", "olive oil", "garlic cloves", "onion", "carrots", "celery",
          "tomatoes", "basil", "salt", "black pepper", "chicken thighs", "rice", "lentils", "vegetable stock",
          "lemon juice", "parsley", "cumin", "paprika", "honey", "soy sauce", "ginger", "chickpeas", "spinach",
          "mushrooms", "cream", "cheddar", "yeast", "baking powder", "vanilla extract", "oats", "potatoes")
_UNITS = ("cup", "cups", "tbsp", "tsp", "g", "ml", "oz", "lb", "pinch of", "handful of", "large", "small")
_PREP = ("diced", "chopped", "minced", "rinsed", "softened", "at room temperature", "finely grated", "sliced", "to taste")
_VERBS = ("Heat", "Stir", "Add", "Whisk", "Bake", "Simmer", "Season", "Mix", "Pour", "Fold", "Chop", "Preheat", "Serve", "Drain")
_TIMES = ("2 minutes", "5 minutes", "10 minutes", "15 minutes", "about 20 minutes", "half an hour", "until golden", "until soft")
_QUALITIES = ("Lightweight", "Durable", "Water-resistant", "Compact", "Long-lasting", "Easy to clean", "Quiet",
              "Energy efficient", "Machine washable", "Adjustable", "Recyclable", "Fast charging", "Foldable")
_BENEFITS = ("for everyday use", "design that fits in any bag", "battery for all-day use", "materials that last for years",
             "build with a two-year warranty", "strap for a secure fit", "controls that are easy to reach",
             "finish that resists scratches", "charging in under an hour", "fabric that dries quickly")
_SPECS = (("Weight", lambda r: f"{r.randint(1, 40) / 10:.1f} kg"), ("Dimensions", lambda r: f"{r.randint(10, 60)} x {r.randint(5, 40)} x {r.randint(2, 20)} cm"),
          ("Battery life", lambda r: f"{r.randint(4, 40)} hours"), ("Material", lambda r: r.choice(("Aluminium", "Cotton", "Recycled plastic", "Oak", "Steel"))),
          ("Colour", lambda r: r.choice(("Black", "White", "Navy", "Forest green", "Grey"))), ("Warranty", lambda r: f"{r.randint(1, 5)} years"),
          ("Capacity", lambda r: f"{r.randint(2, 40) * 50} ml"), ("Power", lambda r: f"{r.randint(5, 200) * 10} W"),
          ("Connectivity", lambda r: r.choice(("Bluetooth 5.3", "USB-C", "Wi-Fi 6", "None"))), ("Model", lambda r: f"{r.choice('ABKXZ')}{r.randint(100, 999)}"))
_LINES = ("The river keeps its counsel in the dark", "and every stone remembers what it held", "I walked the long road home in winter light",
          "the kettle sings, the window fogs with rain", "we were younger than the trees we planted", "a gull, a bell, the tide going out",
          "and still the garden waits for you", "my mother's hands were full of bread and salt", "the city hums a song it cannot finish",
          "no one counts the stars above the harbour", "the letters came, then stopped, then came again", "summer leaves the way it came, quietly")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def ingredients(rng: random.Random, words: list[str]) -> Blocks:
    items = []
    for food in rng.sample(_FOODS, rng.randint(4, 10)):
        qty = rng.choice(("1", "2", "3", "1/2", "1 1/2", "200", "400", "¼", "½"))
        item = f"{qty} {rng.choice(_UNITS)} {food}"
        items.append(f"{item}, {rng.choice(_PREP)}" if rng.random() < 0.4 else item)
    return [(ITEM, t) for t in items]


def steps(rng: random.Random, words: list[str]) -> Blocks:
    out = []
    for _ in range(rng.randint(3, 7)):
        a, b = rng.sample(_FOODS, 2)
        out.append((ITEM, f"{rng.choice(_VERBS)} the {a} and {b} for {rng.choice(_TIMES)}."))
    return out


def features(rng: random.Random, words: list[str]) -> Blocks:
    return [(ITEM, f"{q} {b}" if rng.random() < 0.6 else q) for q, b in
            zip(rng.sample(_QUALITIES, rng.randint(3, 7)), rng.sample(_BENEFITS, 7))]


def specs(rng: random.Random, words: list[str]) -> Blocks:
    return [(ROW, f"{k}\t{v(rng)}" if rng.random() < 0.5 else f"{k}: {v(rng)}") for k, v in rng.sample(_SPECS, rng.randint(3, 8))]


def terms(rng: random.Random, words: list[str]) -> Blocks:
    out: Blocks = []
    for w in rng.sample(words, min(len(words), rng.randint(3, 6))):
        other = rng.choice(words)
        definition = f"A {rng.choice(('way', 'kind', 'part', 'form'))} of {other} used when {rng.choice(words)} matters."
        out += [(HEADING, _cap(w)), (PARA, definition)] if rng.random() < 0.5 else [(ITEM, f"{_cap(w)}: {definition}")]
    return out


def dialogue(rng: random.Random, words: list[str]) -> Blocks:
    a, b = rng.choice(((V.person(rng).split()[0], V.person(rng).split()[0]), ("Q", "A"), ("Interviewer", V.person(rng))))
    if rng.random() < 0.3:
        a, b = a.upper(), b.upper()
    lines = ("Why did you start?", "That's right.", "Not at all.", "Tell me more about that.", "It took years.",
             f"What about the {rng.choice(words)}?", "Exactly.", "I think so, yes.", "We tried everything.", "Really?")
    return [(PARA, f"{(a, b)[i % 2]}: {rng.choice(lines)}") for i in range(rng.randint(4, 8))]


def poem(rng: random.Random, words: list[str]) -> Blocks:
    return [(PARA, line) for line in rng.sample(_LINES, rng.randint(4, 8))]


def code(rng: random.Random, words: list[str]) -> Blocks:
    name = rng.choice(words)
    return [(CODE, rng.choice((f"$ pip install {name}", f"import {name}\n{name}.run()", f"{name} --help",
                               f"$ sudo apt install {name}\n$ {name} --version")))]


MAKERS: dict[str, Callable[[random.Random, list[str]], Blocks]] = {
    "ingredients": ingredients, "steps": steps, "features": features, "specs": specs, "terms": terms,
    "dialogue": dialogue, "poem": poem, "code": code,
}


def section(rng: random.Random, family: str, words: list[str]) -> tuple[str, Blocks]:
    """One kind of web content under its heading (the heading is sometimes left out)."""
    kind = rng.choice(sorted(MAKERS))
    blocks = MAKERS[kind](rng, words or ["example"])
    if rng.random() < 0.85:
        blocks = [(HEADING, rng.choice(_HEADINGS[family][kind]))] + blocks
    return kind, blocks


def product_name(rng: random.Random) -> str:
    return f"{rng.choice(V.PRODUCT_WORDS)} {rng.choice(V.PRODUCT_NOUNS)}" + (
        f" – {rng.choice(('2nd Gen', 'Pro', 'Mini', 'XL', 'Classic'))}" if rng.random() < 0.3 else "")


def product_page(rng: random.Random, family: str, words: list[str], paras: list[str]) -> Blocks:
    """A product page's content: its name, short feature and spec lines, a description."""
    blocks: Blocks = [(HEADING, product_name(rng))]
    if rng.random() < 0.5:
        blocks.append((PARA, rng.choice(_BENEFITS).capitalize() + "."))
    parts = [features(rng, words), specs(rng, words)]
    if paras:
        parts.append([(PARA, p) for p in paras[:rng.randint(1, 2)]])
    rng.shuffle(parts)
    for part in parts:
        kind = "features" if part[0][0] == ITEM else "specs" if part[0][0] == ROW else None
        if kind and rng.random() < 0.7:
            blocks.append((HEADING, rng.choice(_HEADINGS[family][kind])))
        blocks += part
    return blocks
