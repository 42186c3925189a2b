"""A PII benchmark with known answers: short documents with planted personal data, every span recorded.

Each document is built from templates (prose, lists, signatures, forms) filled with invented people and
with public facts (companies, public figures, product numbers, years) that a rewrite must keep. The
generator renders every document twice: with the people's values (the source, spans recorded) and with
other invented values of the same kind, consistent per person (the target: an ideal GDR rewrite, used
as fine-tuning pairs). The `train` and `heldout` splits share no template, name, street, company or
value format, so a rewriter trained on `train` is measured on what it has not seen. Deterministic in
(split, n, seed).
"""

from __future__ import annotations

import json
import random
import re
import string
from dataclasses import asdict, dataclass, field
from pathlib import Path

PII_KINDS = ("name", "email", "phone", "address", "account", "id", "dob", "ip", "url")
PUBLIC_KINDS = ("company", "figure", "product", "year")
SPLITS = ("train", "heldout")


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    text: str
    entity: str  # "p1.name": spans of one entity must get one stand-in; public: "pub.company"


@dataclass
class BenchDoc:
    id: str
    split: str
    layout: str  # prose | list | signature | form | public
    text: str
    pii: list[Span] = field(default_factory=list)
    public: list[Span] = field(default_factory=list)
    target: str = ""  # the ideal rewrite: the same document with every person's values replaced

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(row: dict) -> "BenchDoc":
        return BenchDoc(row["id"], row["split"], row["layout"], row["text"],
                        [Span(**s) for s in row["pii"]], [Span(**s) for s in row["public"]], row["target"])


# ---- pools: each split its own ----------------------------------------------------------------------

_POOLS = {
    "train": dict(
        first=("Anna", "Jonas", "Maria", "Peter", "Sofia", "Lukas", "Elena", "Martin", "Clara", "David", "Nora",
               "Simon", "Julia", "Oliver", "Hannah", "Victor", "Laura", "Samuel", "Emma", "Daniel", "Mia", "Adrian"),
        last=("Berg", "Novak", "Fischer", "Kowalski", "Jensen", "Moreau", "Rossi", "Schmidt", "Larsen", "Duarte",
              "Weber", "Brandt", "Holm", "Costa", "Keller", "Nilsen", "Varga", "Meyer", "Horvat", "Lindgren"),
        street=("Elm Street", "Mill Road", "Oak Avenue", "Station Road", "Church Lane", "Park Drive", "River Way",
                "Maple Court", "High Street", "Bridge Road"),
        city=("Springfield", "Riverton", "Lakeside", "Fairview", "Greenville", "Kingston", "Ashford", "Milton"),
        domain=("example.com", "mail.example.net", "post.example.org"),
        site=("https://github.com/{u}", "https://twitter.com/{u}", "https://forum.example.com/users/{u}"),
        company=("Siemens", "Nokia", "Toyota", "Unilever", "Heineken", "Volvo", "Lufthansa", "Nestle"),
        figure=("Marie Curie", "Nelson Mandela", "Albert Einstein", "Winston Churchill", "Frida Kahlo",
                "Charles Darwin"),
        product=("model T-800", "series 3300", "type 45B", "version 7.2", "model RX-100", "unit 9000"),
    ),
    "heldout": dict(
        first=("Ingrid", "Tomas", "Ayesha", "Mateo", "Freya", "Kenji", "Zofia", "Rafael", "Leila", "Arjun",
               "Greta", "Omar", "Linnea", "Pablo", "Yuki", "Bianca", "Stefan", "Nadia"),
        last=("Okafor", "Lindqvist", "Haddad", "Petrov", "Nakamura", "Castillo", "Eriksen", "Mensah", "Dubois",
              "Kovacs", "Andersson", "Ferreira", "Takahashi", "Quinn", "Szabo", "Ibrahim"),
        street=("Willow Lane", "Harbour Boulevard", "Chestnut Terrace", "Quarry Drive", "Orchard Place",
                "Meadow Crescent", "Beacon Street", "Foundry Way"),
        city=("Northbridge", "Westhaven", "Clearwater", "Brookfield", "Stonegate", "Redmond Falls"),
        domain=("inbox.example.io", "example.co.uk", "webmail.example.de"),
        site=("https://www.linkedin.com/in/{u}", "https://gitlab.com/{u}", "http://example.net/~{u}"),
        company=("Philips", "Airbus", "Ericsson", "Carlsberg", "Michelin", "Bosch", "Maersk", "Lego"),
        figure=("Ada Lovelace", "Alan Turing", "Mahatma Gandhi", "Rosalind Franklin", "Isaac Newton",
                "Simone de Beauvoir"),
        product=("model Z-340", "series 7100", "type 12C", "release 4.1", "model KX-55", "unit 2500"),
    ),
}

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _person(rng: random.Random, split: str, taken: set[str]) -> dict[str, str]:
    """One invented person: every attribute, in the split's formats."""
    pool = _POOLS[split]
    while True:  # no first or last name shared with another person of the document (or a stand-in)
        first, last = rng.choice(pool["first"]), rng.choice(pool["last"])
        if first not in taken and last not in taken:
            break
    taken.update((first, last))
    user = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randrange(10, 99)}"]).lower()
    handle = rng.choice([f"{first}{last}", f"{first}-{last}-{rng.randrange(10, 99)}", f"{first[0]}{last}"]).lower()
    year, month, day = rng.randrange(1950, 2004), rng.randrange(12), rng.randrange(1, 29)
    d = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    if split == "train":
        phone = rng.choice([f"555-{d(3)}-{d(4)}", f"(555) {d(3)}-{d(4)}", f"+1 555 {d(3)} {d(4)}"])
        dob = rng.choice([f"{day} {_MONTHS[month]} {year}", f"{day:02d}/{month + 1:02d}/{year}"])
        account = rng.choice([f"{d(4)} {d(4)} {d(2)}", f"ACC-{d(8)}"])
        ident = rng.choice([f"X{d(7)}", f"{d(3)}-{d(2)}-{d(4)}"])
        ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    else:
        phone = rng.choice([f"+44 20 {d(4)} {d(4)}", f"555.{d(3)}.{d(4)}", f"0{d(3)} {d(3)} {d(4)}"])
        dob = rng.choice([f"{year}-{month + 1:02d}-{day:02d}", f"{_MONTHS[month]} {day}, {year}"])
        account = rng.choice([f"{d(2)}-{d(6)}-{d(3)}", f"NL{d(2)}BANK{d(10)}"])
        ident = rng.choice([f"P{d(8)}", f"EMP-{d(5)}"])
        ip = f"172.{rng.randrange(16, 32)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return {
        "name": f"{first} {last}", "first": first,
        "email": f"{user}@{rng.choice(pool['domain'])}",
        "phone": phone,
        "address": f"{rng.randrange(2, 400)} {rng.choice(pool['street'])}, {rng.choice(pool['city'])}",
        "account": account, "id": ident, "dob": dob, "ip": ip,
        "url": rng.choice(pool["site"]).format(u=handle),
    }


def _public(rng: random.Random, split: str) -> dict[str, str]:
    pool = _POOLS[split]
    return {"company": rng.choice(pool["company"]), "figure": rng.choice(pool["figure"]),
            "product": rng.choice(pool["product"]), "year": str(rng.randrange(1905, 2024))}


# ---- templates: {p1.name}, {p2.email}, {pub.company}; `first` is a name span of the same person --------

_TEMPLATES = {
    "train": {
        "prose": (
            "Last week {p1.name} wrote to the committee about the parking rules. You can reach {p1.first} at "
            "{p1.email} or on {p1.phone}.",
            "The package was sent to {p1.name} at {p1.address}. If it does not arrive, {p1.first} will call "
            "the office on {p1.phone}.",
            "Our new volunteer, {p1.name}, was born on {p1.dob} and joins the reading group on Tuesdays. "
            "Say hello to {p1.first} when you see them.",
            "{p1.name} and {p2.name} met at the library. {p2.first} later shared a profile link, "
            "{p2.url}, with the group.",
            "The login from {p1.ip} belonged to {p1.name}, who confirmed the account {p1.account} was theirs.",
        ),
        "list": (
            "Attendees:\n- {p1.name} ({p1.email})\n- {p2.name} ({p2.email})\n- {p3.name} ({p3.phone})",
            "Contacts for the event:\n* {p1.name}, {p1.phone}\n* {p2.name}, {p2.address}",
            "Members who paid:\n1. {p1.name} - account {p1.account}\n2. {p2.name} - account {p2.account}",
        ),
        "signature": (
            "Thanks again for your help with the report.\n\nBest regards,\n{p1.name}\n{p1.phone}\n{p1.email}",
            "Please send the signed copy back by Friday.\n\nCheers,\n{p1.first}\n--\n{p1.name} | {p1.url}",
        ),
        "form": (
            "Registration form\nName: {p1.name}\nDate of birth: {p1.dob}\nEmail: {p1.email}\nPhone: {p1.phone}",
            "Customer record\nFull name: {p1.name}\nAddress: {p1.address}\nAccount number: {p1.account}\n"
            "ID number: {p1.id}",
            "Support ticket\nUser: {p1.name}\nIP address: {p1.ip}\nProfile: {p1.url}",
        ),
    },
    "heldout": {
        "prose": (
            "According to the minutes, {p1.name} raised the question of the budget. Anyone with comments "
            "should email {p1.email}; {p1.first} answers most evenings.",
            "We visited {p1.name} at home, {p1.address}, and {p1.first} showed us the garden. "
            "Her number is {p1.phone} if you want to arrange a visit.",
            "{p1.name} (born {p1.dob}) has been our treasurer since the spring; payments go to "
            "{p1.account}.",
            "A message signed by {p1.name} came from the address {p1.ip}. {p1.first} also posts at {p1.url}.",
            "Both {p1.name} and {p2.name} applied. {p1.first} gave staff number {p1.id} on the form.",
        ),
        "list": (
            "Who to call:\n+ {p1.name}: {p1.phone}\n+ {p2.name}: {p2.phone}",
            "Speakers\n> {p1.name} <{p1.email}>\n> {p2.name} <{p2.email}>\n> {p3.name} <{p3.url}>",
            "Delivery list\n(a) {p1.name}, {p1.address}\n(b) {p2.name}, {p2.address}",
        ),
        "signature": (
            "Let me know if anything is unclear.\n\nKind regards\n{p1.name}\nTel. {p1.phone}\nMail: {p1.email}",
            "See you at the meeting.\n\nWarmly,\n{p1.first}\n\nSent by {p1.name}, {p1.address}",
        ),
        "form": (
            "Application\nApplicant: {p1.name}\nDOB: {p1.dob}\nPassport or staff no.: {p1.id}\nContact: {p1.email}",
            "Payment details\nHolder: {p1.name}\nBank account: {p1.account}\nTelephone: {p1.phone}",
            "Access log entry\nAccount holder: {p1.name}\nSource IP: {p1.ip}\nHomepage: {p1.url}",
        ),
    },
}

_PUBLIC_TEMPLATES = {
    "train": (
        "{pub.company} introduced the {pub.product} in {pub.year}.",
        "In {pub.year}, {pub.figure} gave a famous lecture that is still quoted today.",
        "The museum shows the {pub.product} that {pub.company} built in {pub.year}.",
    ),
    "heldout": (
        "The {pub.product} from {pub.company} first went on sale in {pub.year}.",
        "A biography of {pub.figure} appeared in {pub.year} and sold well.",
        "Engineers at {pub.company} still keep a {pub.product} from {pub.year} in the lobby.",
    ),
}

_FIELD = re.compile(r"\{(p\d|pub)\.(\w+)\}")
_LAYOUTS = ("prose", "list", "signature", "form")


def _render(template: str, people: dict[str, dict], fakes: dict[str, dict], public: dict) -> tuple[str, str, list, list]:
    """(source, target, pii spans, public spans) of one template."""
    src, tgt, pii, pub = [], [], [], []
    at = last = 0
    for m in _FIELD.finditer(template):
        lit = template[last:m.start()]
        src.append(lit)
        tgt.append(lit)
        at += len(lit)
        who, attr = m.groups()
        if who == "pub":
            value = fake = public[attr]
            pub.append(Span(attr, at, at + len(value), value, f"pub.{attr}"))
        else:
            value, fake = people[who][attr], fakes[who][attr]
            kind = "name" if attr == "first" else attr
            pii.append(Span(kind, at, at + len(value), value, f"{who}.{attr}"))
        src.append(value)
        tgt.append(fake)
        at += len(value)
        last = m.end()
    src.append(template[last:])
    tgt.append(template[last:])
    return "".join(src), "".join(tgt), pii, pub


def _shift(spans: list[Span], by: int) -> list[Span]:
    return [Span(s.kind, s.start + by, s.end + by, s.text, s.entity) for s in spans]


def make_docs(split: str, n: int, seed: int = 0) -> list[BenchDoc]:
    """`n` documents of `split`: four in five carry personal data (with a public fact in half of those),
    one in five only public facts."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    rng = random.Random(f"{split}-{seed}")
    docs = []
    for i in range(n):
        taken: set[str] = set()
        people = {f"p{k}": _person(rng, split, taken) for k in (1, 2, 3)}
        fakes = {f"p{k}": _person(rng, split, taken) for k in (1, 2, 3)}
        public = _public(rng, split)
        parts: list[str] = []
        if i % 5 == 4:
            layout = "public"
            parts = rng.sample(_PUBLIC_TEMPLATES[split], 2)
        else:
            layout = _LAYOUTS[i % 4]
            parts = [rng.choice(_TEMPLATES[split][layout])]
            if rng.random() < 0.5:
                parts.insert(rng.randrange(2), rng.choice(_PUBLIC_TEMPLATES[split]))
        text, target, pii, pub = "", "", [], []
        for part in parts:
            sep = "\n\n" if text else ""
            s, t, p, q = _render(part, people, fakes, public)
            pii += _shift(p, len(text) + len(sep))
            pub += _shift(q, len(text) + len(sep))
            text, target = text + sep + s, target + sep + t
        docs.append(BenchDoc(f"{split}-{seed}-{i:04d}", split, layout, text, pii, pub, target))
    return docs


def write_docs(docs: list[BenchDoc], path: str | Path) -> Path:
    """The documents as JSON lines (id, text and the answers); `refine run` reads `id` and `text`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc.to_json(), ensure_ascii=False) + "\n")
    return path


def read_docs(path: str | Path) -> list[BenchDoc]:
    with Path(path).open(encoding="utf-8") as f:
        return [BenchDoc.from_json(json.loads(line)) for line in f if line.strip()]
