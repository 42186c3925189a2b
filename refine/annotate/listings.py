"""Whole pages a pre-training corpus does not want: listings, forms and walls, for the doc stage.

Search results, tag and date archives, keyword and glossary indexes, sitemaps, login and register
forms, error pages, cookie walls and link farms carry little or no text of their own: what they show
is titles and snippets of other pages, or interface. Their words can be real prose (a search snippet
is a sentence cut from an article), so a refiner must learn the page's shape, not its vocabulary.
Each maker builds the body of one such page from `Material`: titles and sentences taken from real
content, so the pieces read like the web, and the chrome of a real page to wrap them in (raw view) or
none (extractor output). Every line of such a page is labelled remove and the page `drop_doc()`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

from refine.annotate import vocab as V


@dataclass
class Material:
    """What listing pages are made of: `titles` (headline-like lines), `sentences` (prose), and the
    head and tail chrome of real pages (lists of lines) to wrap a listing in."""

    titles: list[str]
    sentences: list[str]
    heads: list[list[str]] = field(default_factory=list)
    tails: list[list[str]] = field(default_factory=list)
    _mentions: dict[str, tuple[list[str], list[str]]] | None = field(default=None, init=False, repr=False)

    def about(self, word: str) -> tuple[list[str], list[str]]:
        """The titles and the sentences that mention `word` (a lowercase key, `_key_words`): what a
        site's search or tag page lists is about one thing, not a random draw of the corpus."""
        if self._mentions is None:
            self._mentions = {}
            for pool, texts in enumerate((self.titles, self.sentences)):
                for text in texts:
                    for w in set(_key_words(text)):
                        self._mentions.setdefault(w, ([], []))[pool].append(text)
        return self._mentions.get(word, ([], []))


Maker = Callable[[random.Random, Material], list[str]]
MAKERS: dict[str, Maker] = {}


def maker(name: str):
    def register(fn: Maker) -> Maker:
        MAKERS[name] = fn
        return fn
    return register


def _key_words(text: str) -> list[str]:
    words = [w.strip(",.:;!?\"'()“”‘’").lower() for w in text.split()]
    return [w for w in words if len(w) > 3 and w.isalpha()]


def _query(rng: random.Random, m: Material) -> str:
    words = _key_words(rng.choice(m.titles)) or ["news"]
    return " ".join(rng.sample(words, min(len(words), rng.randint(1, 3))))


def _is_subject(m: Material, word: str) -> bool:
    """At least 3 titles mention `word`, and not over 1% of them: a subject, not "december" or "says"."""
    return word not in V.STOP_WORDS and 3 <= len(m.about(word)[0]) <= max(3, len(m.titles) // 100)


def _subject(rng: random.Random, m: Material, tries: int = 8) -> tuple[str, str, list[str], list[str]]:
    """(query, its subject word, the titles and the sentences about that word): up to `tries` draws
    until a query holds a subject; else the last query, its first word and the whole pools."""
    for _ in range(tries):
        q = _query(rng, m)
        subjects = [w for w in q.split() if _is_subject(m, w)]
        if subjects:
            word = rng.choice(subjects)
            titles, sentences = m.about(word)
            return q, word, titles, (sentences if len(sentences) >= 3 else m.sentences)
    return q, q.split()[0], m.titles, m.sentences


def _snippet(rng: random.Random, m: Material, words: tuple[int, int] = (12, 30),
             sentences: list[str] | None = None, word: str = "") -> str:
    """Words cut from a sentence, with the ellipses listings print; around `word` when it holds it
    (a search engine shows the query in context)."""
    s = rng.choice(sentences or m.sentences).split()
    hits = [i for i, w in enumerate(s) if _key_words(w) == [word]] if word else []
    start = max(0, hits[0] - rng.randint(0, 8)) if hits else rng.randint(0, max(0, len(s) - words[0]))
    cut = s[start:start + rng.randint(*words)]
    return rng.choice(("", "... ")) + " ".join(cut) + rng.choice((" ...", "...", " …", " [...]", ""))


def _date(rng: random.Random) -> str:
    return V.date(rng, rng.randint(2003, 2024))


def _pager(rng: random.Random) -> list[str]:
    n = rng.randint(3, 12)
    style = rng.randrange(3)
    if style == 0:
        return [" ".join(str(i) for i in range(1, n + 1)) + rng.choice((" Next »", " Next", " >", " »"))]
    if style == 1:
        return ["« Previous", *[str(i) for i in range(1, min(n, 6) + 1)], "Next »"]
    return [f"Page {rng.randint(1, n)} of {n}", rng.choice(("Older posts", "Next page", "Load more"))]


@maker("search_results")
def search_results(rng: random.Random, m: Material) -> list[str]:
    q, word, titles, sentences = _subject(rng, m)  # results are about the query, as a real search's are
    total = rng.randint(12, 90000)
    lines = [rng.choice((f'Search results for "{q}"', f"Search Results: {q}", f"You searched for {q}",
                         f"Results for: {q}")),
             rng.choice((f"Showing 1-10 of {total:,} results", f"About {total:,} results", f"{total:,} results found",
                         f"Results 1 - 20 of {total}"))]
    if rng.random() < 0.6:
        lines.append(rng.choice(("Sort by: Relevance | Date", "Refine your search", "Filter by date", "Sort by relevance")))
    for title in rng.sample(titles, min(len(titles), rng.randint(3, 15))):  # no result listed twice
        lines.append(title)
        if rng.random() < 0.7:
            lines.append(_snippet(rng, m, sentences=sentences, word=word))
        if rng.random() < 0.5:
            lines.append(rng.choice((_date(rng), f"www.{V.domain(V.site_name(rng), rng)}/{q.replace(' ', '-')}",
                                     f"{_date(rng)} - {rng.randint(1, 40)} comments")))
    return lines + _pager(rng)


@maker("tag_archive")
def tag_archive(rng: random.Random, m: Material) -> list[str]:
    topic = rng.choice(m.titles).split()[0].strip(",.:;\"'").title()
    lines = [rng.choice((f"Posts Tagged '{topic}'", f"Tag Archives: {topic}", f"Category: {topic}",
                         f"Archive for the '{topic}' Category", f"Stories tagged {topic}", f"Topic: {topic}"))]
    for _ in range(rng.randint(4, 12)):
        lines.append(rng.choice(m.titles))
        if rng.random() < 0.6:
            lines.append(rng.choice((f"Posted on {_date(rng)} by {V.person(rng)}", f"{_date(rng)}",
                                     f"By {V.person(rng)} | {_date(rng)}", f"{V.person(rng)} - {_date(rng)}")))
        if rng.random() < 0.7:
            lines.append(_snippet(rng, m, (15, 40)) + rng.choice((" Read more", " Continue reading →", "", " (more…)")))
        if rng.random() < 0.4:
            lines.append(rng.choice((f"{rng.randint(0, 80)} Comments", "Leave a comment", f"Filed under {topic}",
                                     f"Tags: {topic}, {_query(rng, m)}")))
    return lines + _pager(rng)


@maker("date_archive")
def date_archive(rng: random.Random, m: Material) -> list[str]:
    year = rng.randint(2004, 2023)
    lines = [rng.choice((f"Archive for {rng.choice(V.MONTHS)}, {year}", f"Blog Archive {year}", f"Archives: {year}",
                         "Monthly Archives"))]
    bullet = rng.choice(("► ", "▼ ", "", "» ", "- "))
    for y in range(year, year - rng.randint(1, 4), -1):
        lines.append(f"{bullet}{y} ({rng.randint(5, 300)})")
        for month in rng.sample(V.MONTHS, rng.randint(3, 12)):
            lines.append(f"{bullet}{month} {y if rng.random() < 0.5 else ''}".rstrip() + f" ({rng.randint(1, 40)})")
            if rng.random() < 0.3:
                lines += [rng.choice(m.titles) for _ in range(rng.randint(1, 4))]
    return lines


@maker("keyword_index")
def keyword_index(rng: random.Random, m: Material) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    sep = rng.choice((" | ", " ", " - ", " · "))
    lines = [rng.choice(("Index", "Glossary", "A-Z Index", "Topics A-Z", "Keyword index", "Browse by keyword",
                         "Popular searches", "Related searches")), sep.join(letters)]
    words = sorted({w.strip(",.:;\"'()") for t in m.titles for w in t.split() if len(w) > 4 and w[0].isalpha()})
    rng.shuffle(words)
    picked = sorted(words[: rng.randint(20, 80)], key=str.lower)
    if rng.random() < 0.5:  # one keyword per line, under letter headings
        last = None
        for w in picked:
            if w[0].upper() != last:
                last = w[0].upper()
                lines.append(last)
            lines.append(w if rng.random() < 0.7 else f"{w} ({rng.randint(1, 120)})")
    else:  # keywords run together, as tag clouds and "related searches" print them
        for i in range(0, len(picked), rng.randint(6, 15)):
            lines.append(rng.choice((", ", " | ", " · ", "  ")).join(picked[i:i + rng.randint(6, 15)]))
    return lines


@maker("sitemap")
def sitemap(rng: random.Random, m: Material) -> list[str]:
    lines = [rng.choice(("Sitemap", "Site Map", "Site map", "All pages"))]
    for section in rng.sample(V.NAV_ITEMS, min(len(V.NAV_ITEMS), rng.randint(4, 9))):
        lines.append(section)
        indent = rng.choice(("", "- ", "  ", "• "))
        for _ in range(rng.randint(2, 8)):
            lines.append(indent + (rng.choice(m.titles) if rng.random() < 0.5 else rng.choice(V.NAV_ITEMS)))
    return lines


@maker("login_form")
def login_form(rng: random.Random, m: Material) -> list[str]:
    fields = [["Username", "Password", "Remember me", "Forgot your password?", "Log in"],
              ["Email address", "Password", "Confirm Password", "First name", "Last name",
               "I agree to the Terms of Service", "Create account"],
              ["Sign in to your account", "E-mail", "Password", "Keep me signed in", "Sign in",
               "Don't have an account? Sign up"]]
    lines = [rng.choice(("Login", "Sign In", "Register", "Members area", "Create an account", "Subscriber login"))]
    lines += rng.choice(fields)
    if rng.random() < 0.5:
        lines.append(rng.choice(("You must be logged in to view this page.", "Please log in to continue.",
                                 "This content is available to subscribers only.",
                                 "Register for free to read the full article.")))
    if rng.random() < 0.4:
        lines += ["Or sign in with", *rng.sample(V.SOCIAL, 3)]
    return lines


@maker("error_page")
def error_page(rng: random.Random, m: Material) -> list[str]:
    code = rng.choice(("404", "404", "410", "403", "500", "503"))
    lines = [rng.choice((f"Error {code}", f"{code} Not Found", "Page not found", "Oops! That page can't be found.",
                         f"HTTP {code}", "Sorry, this page isn't available"))]
    lines += rng.sample(["The page you requested could not be found.", "It may have been moved or deleted.",
                         "Check the address and try again.", "Try searching for what you were looking for:",
                         "Return to the homepage", "Go back", "Search", "Maybe try one of the links below?",
                         "The server encountered a temporary error.", "Please try again later."], rng.randint(2, 6))
    if rng.random() < 0.5:
        lines += ["Popular articles", *[rng.choice(m.titles) for _ in range(rng.randint(3, 8))]]
    return lines


@maker("cookie_wall")
def cookie_wall(rng: random.Random, m: Material) -> list[str]:
    lines = [rng.choice(("We value your privacy", "Before you continue", "Cookie settings", "Your privacy choices",
                         "This site uses cookies"))]
    lines += rng.sample([
        "We and our partners store and/or access information on a device, such as cookies, and process personal data.",
        "We use cookies and similar technologies to improve your experience, personalise content and ads, and analyse our traffic.",
        "You can accept or reject these uses, or change your settings at any time.",
        "By clicking Accept all, you consent to the use of cookies for the purposes described in our Cookie Policy.",
        "Some partners do not ask for your consent to process your data, relying on their legitimate interest.",
        "Store and/or access information on a device", "Personalised advertising and content, advertising and content measurement",
        "List of Partners (vendors)", "Manage options", "Accept all", "Reject all", "I agree", "More options",
        "Privacy Policy", "Cookie Policy"], rng.randint(5, 10))
    return lines


@maker("link_farm")
def link_farm(rng: random.Random, m: Material) -> list[str]:
    lines = [rng.choice(("Partner sites", "Useful links", "Link directory", "Resources", "Top sites", "Friends"))]
    for _ in range(rng.randint(12, 40)):
        name = V.site_name(rng)
        style = rng.randrange(3)
        if style == 0:
            lines.append(f"{name} - http://www.{V.domain(name, rng)}/")
        elif style == 1:
            lines.append(rng.choice(m.titles) + f" | {V.domain(name, rng)}")
        else:
            lines.append(f"{rng.choice(V.SPAM_KEYWORDS)} {rng.choice(V.SPAM_KEYWORDS)} {rng.choice(V.CITIES)}")
    return lines


def listing_page(rng: random.Random, m: Material, kind: str | None = None, chrome: bool = True) -> tuple[str, list[str]]:
    """(kind, lines) of one unwanted page: a maker's body, inside a real page's head and tail chrome
    when `chrome` and the material has some."""
    kind = kind or rng.choice(sorted(MAKERS))
    body = MAKERS[kind](rng, m)
    if chrome and m.heads and m.tails:
        body = rng.choice(m.heads) + body + rng.choice(m.tails)
    return kind, body
