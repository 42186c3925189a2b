"""Documents the doc stage must drop: spam, gibberish, machine boilerplate, price and link lists.

Each maker returns the lines of one whole page; every line is labelled remove and the program is
`drop_doc()`. Makers belong to the train or held-out family like the chrome templates do.
"""

from __future__ import annotations

import random
import string
from typing import Callable

from refine.annotate import vocab as V

NegativeMaker = Callable[[random.Random, list[str]], list[str]]
NEGATIVES: dict[str, tuple[str, NegativeMaker]] = {}


def negative(name: str, family: str):
    def register(fn: NegativeMaker) -> NegativeMaker:
        NEGATIVES[name] = (family, fn)
        return fn
    return register


def makers(family: str | tuple[str, ...]) -> list[tuple[str, NegativeMaker]]:
    families = (family,) if isinstance(family, str) else family
    return [(name, fn) for name, (fam, fn) in NEGATIVES.items() if fam in families]


@negative("spam.keywords", "train")
def spam_keywords(rng: random.Random, titles: list[str]) -> list[str]:
    kws = rng.sample(V.SPAM_KEYWORDS, 6)
    lines = [f"{rng.choice(kws).title()} {rng.choice(kws)} {rng.choice(kws)} {V.date(rng)[-4:]}"]
    for _ in range(rng.randint(4, 15)):
        words = [rng.choice(kws) for _ in range(rng.randint(6, 30))]
        lines.append(" ".join(words) + rng.choice((".", "!", " !!!", "", " >>> click here")))
    return lines


@negative("spam.seo_list", "train")
def spam_seo_list(rng: random.Random, titles: list[str]) -> list[str]:
    city = rng.choice(V.CITIES)
    service = rng.choice(("plumber", "locksmith", "dentist", "roofing", "seo agency", "car accident lawyer", "moving company"))
    lines = [f"Best {service} in {city} | Cheap {service} near me"]
    for c in rng.sample(V.CITIES, rng.randint(8, 20)):
        lines.append(rng.choice((f"{service} {c}", f"cheap {service} {c}", f"{service} near {c}", f"24 hour {service} {c}")))
    return lines


@negative("gibberish.chars", "train")
def gibberish_chars(rng: random.Random, titles: list[str]) -> list[str]:
    alphabet = string.ascii_letters + string.digits + "      "
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(20, 200))) for _ in range(rng.randint(3, 12))]


@negative("machine.error", "train")
def machine_error(rng: random.Random, titles: list[str]) -> list[str]:
    return rng.choice((
        ["404 Not Found", "The requested URL was not found on this server.", f"Apache/2.4.{rng.randint(10, 58)} (Ubuntu) Server at {V.domain(V.site_name(rng), rng)} Port 80"],
        ["Page not found", "Sorry, the page you are looking for does not exist or has been moved.", "Go back home", "Search"],
        ["500 Internal Server Error", "nginx/1." + str(rng.randint(10, 25)) + "." + str(rng.randint(0, 9))],
        ["403 Forbidden", "You don't have permission to access this resource."],
    ))


@negative("machine.js", "train")
def machine_js(rng: random.Random, titles: list[str]) -> list[str]:
    return [rng.choice(("You need to enable JavaScript to run this app.", "Please enable JavaScript in your browser to continue.",
                        "JavaScript is disabled in your browser.")), rng.choice(("Loading...", "Please wait", "Reload"))]


@negative("machine.login", "train")
def machine_login(rng: random.Random, titles: list[str]) -> list[str]:
    return ["Sign in", "Username or email address", "Password", "Forgot password?", "Remember me", "Log in",
            "Don't have an account? Sign up"][: rng.randint(4, 7)]


@negative("products.prices", "train")
def products_prices(rng: random.Random, titles: list[str]) -> list[str]:
    lines = [rng.choice(("Shop All", "New Arrivals", "Best Sellers", "Sale"))]
    for _ in range(rng.randint(5, 16)):
        lines.append(f"{rng.choice(V.PRODUCT_WORDS)} {rng.choice(V.PRODUCT_NOUNS)}")
        lines.append(rng.choice((V.price(rng), f"Sale price {V.price(rng)} Regular price {V.price(rng)}", "Add to cart", "Sold out")))
    return lines


@negative("links.list", "train")
def links_list(rng: random.Random, titles: list[str]) -> list[str]:
    return [rng.choice(("Links", "Blogroll", "Resources", "Partners"))] + [
        rng.choice((t, f"https://{V.domain(V.site_name(rng), rng)}/", V.site_name(rng))) for t in rng.sample(titles, min(len(titles), rng.randint(8, 25)))]


@negative("h.parked.domain", "heldout")
def parked_domain(rng: random.Random, titles: list[str]) -> list[str]:
    d = V.domain(V.site_name(rng), rng)
    return [d, rng.choice(("This domain is for sale!", "Buy this domain", "This domain may be for sale")),
            "Related Searches:", *[f"{rng.choice(V.SPAM_KEYWORDS).title()}" for _ in range(rng.randint(3, 8))],
            f"Copyright © {rng.randint(2015, 2025)} {d}. All rights reserved.", "Privacy Policy"]


@negative("h.spam.stuffed", "heldout")
def spam_stuffed(rng: random.Random, titles: list[str]) -> list[str]:
    kw = rng.choice(V.SPAM_KEYWORDS)
    return [f"{kw.upper()} {kw.upper()} {kw.upper()}"] + [
        f"Looking for {kw}? Our {kw} is the best {kw}. Get {kw} now, {kw} {kw} {kw}. {rng.choice(('Call now!', 'Order today!', 'Visit our site!'))}"
        for _ in range(rng.randint(3, 10))]


@negative("h.gibberish.words", "heldout")
def gibberish_words(rng: random.Random, titles: list[str]) -> list[str]:
    syll = ("ka", "zu", "mor", "ti", "plex", "an", "vo", "ri", "sh", "el", "qua", "no", "dr", "ix")
    return [" ".join("".join(rng.choice(syll) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(8, 40)))
            for _ in range(rng.randint(3, 10))]


@negative("h.machine.maintenance", "heldout")
def machine_maintenance(rng: random.Random, titles: list[str]) -> list[str]:
    return rng.choice((["Site under maintenance", "We'll be back shortly. Thank you for your patience."],
                       ["Checking your browser before accessing the website.", "This process is automatic.", f"Ray ID: {rng.getrandbits(64):016x}"],
                       ["Access denied", "Error code 1020", "You do not have access to this page."],
                       ["Index of /files", "Name    Last modified    Size", *[f"{t.split()[0].lower()}.tar.gz  {V.date(rng)}  {rng.randint(1, 900)}K" for t in rng.sample(titles, 5)]]))


@negative("h.products.table", "heldout")
def products_table(rng: random.Random, titles: list[str]) -> list[str]:
    lines = ["Product\tPrice\tStock"]
    for _ in range(rng.randint(5, 15)):
        lines.append(f"{rng.choice(V.PRODUCT_WORDS)} {rng.choice(V.PRODUCT_NOUNS)}\t{V.price(rng)}\t{rng.choice(('In stock', 'Out of stock', 'Only 2 left'))}")
    return lines


@negative("h.links.directory", "heldout")
def links_directory(rng: random.Random, titles: list[str]) -> list[str]:
    return ["Web Directory", *[f"{t} - {V.domain(V.site_name(rng), rng)}" for t in rng.sample(titles, min(len(titles), rng.randint(6, 18)))]]
