"""Templates of web page chrome: the lines a text extractor leaves around a page's content.

Each template makes the lines of one block (a menu, a cookie banner, a footer ...) from a `Ctx`
(random generator, the site, the page's own title and topics, other pages' titles). Templates belong
to a `family`, "train" or "heldout", and the two families share no template: the held-out family
has its own wordings and layouts, so that scores on it measure generalisation. `slot` says where on
a page the block goes; `kit` groups the templates of one site generator (Sphinx, Doxygen, ...).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

from refine.annotate import vocab as V

SLOTS = ("banner", "header", "pre", "inline", "post", "sidebar", "footer")


@dataclass
class Site:
    name: str
    domain: str
    year: int
    sections: list[str]
    authors: list[str]

    @classmethod
    def make(cls, rng: random.Random) -> "Site":
        name = V.site_name(rng)
        return cls(name, V.domain(name, rng), rng.randint(2012, 2025),
                   rng.sample(V.NAV_ITEMS, rng.randint(5, 9)), [V.person(rng) for _ in range(3)])


@dataclass
class Ctx:
    rng: random.Random
    site: Site
    title: str
    topics: list[str]  # content words of the page (tag clouds, categories)
    titles: list[str]  # titles and headings of other pages (related posts: title-like lines)
    headings: list[str] = field(default_factory=list)  # this page's own headings (tables of contents)

    def pick(self, seq, k: int | None = None):
        return self.rng.choice(seq) if k is None else self.rng.sample(list(seq), min(k, len(seq)))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


@dataclass(frozen=True)
class Template:
    name: str
    slot: str
    family: str
    kit: str
    make: Callable[[Ctx], list[str]]


TEMPLATES: list[Template] = []


def template(name: str, slot: str, family: str, kit: str = "generic"):
    def register(fn: Callable[[Ctx], list[str]]) -> Callable[[Ctx], list[str]]:
        TEMPLATES.append(Template(name, slot, family, kit, fn))
        return fn
    return register


def templates(family: str | tuple[str, ...], slot: str | None = None, kit: str | None = None) -> list[Template]:
    families = (family,) if isinstance(family, str) else family
    return [t for t in TEMPLATES if t.family in families and (slot is None or t.slot == slot)
            and (kit is None or t.kit == kit)]


def _join(ctx: Ctx, items: list[str], seps=(" | ", " · ", "  ", " / ", " • ", " - ")) -> str:
    return ctx.pick(seps).join(items)


def _title_case(s: str) -> str:
    return s[:1].upper() + s[1:]


# =============================================================================================
# TRAIN family


@template("skip.plain", "header", "train")
def skip_plain(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Skip to content", "Skip to main content", "Jump to content", "Skip to navigation"))]


@template("logo.name", "header", "train")
def logo_name(ctx: Ctx) -> list[str]:
    lines = [ctx.site.name]
    if ctx.chance(0.4):
        lines.append(ctx.pick(("Just another WordPress site", "News, reviews and more", "Your daily dose of tech",
                               "Recipes, stories and tips", "Since " + str(ctx.site.year - 10),
                               "Independent journalism", "Tips, tricks and tutorials")))
    return lines


@template("nav.vertical", "header", "train")
def nav_vertical(ctx: Ctx) -> list[str]:
    lines = list(ctx.site.sections)
    if ctx.chance(0.3):
        lines.insert(0, ctx.pick(("Menu", "Main menu", "Navigation", "Toggle navigation", "Open menu")))
    return lines


@template("nav.inline", "header", "train")
def nav_inline(ctx: Ctx) -> list[str]:
    return [_join(ctx, ctx.site.sections)]


@template("nav.mega", "header", "train")
def nav_mega(ctx: Ctx) -> list[str]:
    lines = []
    for section in ctx.site.sections[:ctx.rng.randint(2, 4)]:
        lines.append(section)
        lines.extend(ctx.pick(V.NAV_ITEMS, ctx.rng.randint(2, 5)))
    return lines


@template("search.box", "header", "train")
def search_box(ctx: Ctx) -> list[str]:
    return ctx.pick((["Search"], ["Search …"], ["Search for:", "Search"], ["Type and hit enter..."],
                     ["Search this site"], ["Search", "Close search"]))


@template("account.links", "header", "train")
def account_links(ctx: Ctx) -> list[str]:
    items = ctx.pick((["Log in", "Sign up"], ["Sign In", "Register"], ["My Account", "Cart (0)"],
                      ["Login", "Subscribe"], ["Sign in", "Create account"], ["Log In", "Get Started"]))
    return [_join(ctx, items)] if ctx.chance(0.5) else items


@template("breadcrumb.gt", "pre", "train")
def breadcrumb_gt(ctx: Ctx) -> list[str]:
    trail = ["Home", *ctx.pick(ctx.site.sections, ctx.rng.randint(1, 2)), _short(ctx.title)]
    return [ctx.pick((" > ", " » ", " / ", " › ")).join(trail)]


@template("byline.posted", "pre", "train")
def byline_posted(ctx: Ctx) -> list[str]:
    author, date = ctx.pick(ctx.site.authors), V.date(ctx.rng)
    return [ctx.pick((f"Posted by {author} on {date}", f"By {author} | {date}", f"{date} by {author}",
                      f"Published {date}", f"Written by {author}", f"{author} · {date} · {ctx.rng.randint(2, 15)} min read",
                      f"Posted on {date} by {author}", f"Last updated: {date}"))]


@template("share.buttons", "pre", "train")
def share_buttons(ctx: Ctx) -> list[str]:
    items = ctx.pick((["Share on Facebook", "Share on Twitter", "Share on LinkedIn"], ["Share", "Tweet", "Pin it", "Email"],
                      ["Facebook", "Twitter", "Pinterest", "WhatsApp"], ["Share this:", "Twitter", "Facebook"],
                      ["Share this article", "Copy link"], ["Like", "Share", "Save"]))
    return [_join(ctx, items)] if ctx.chance(0.4) else items


@template("toc.numbered", "pre", "train")
def toc_numbered(ctx: Ctx) -> list[str]:
    heads = ctx.headings[:8] or ctx.titles[:4]
    lines = [ctx.pick(("Table of Contents", "Contents", "In this article", "On this page"))]
    if ctx.chance(0.3):
        lines.append("[hide]")
    lines += [f"{i + 1} {h}" if ctx.chance(0.6) else h for i, h in enumerate(heads)]
    return lines


@template("ad.label", "inline", "train")
def ad_label(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Advertisement", "ADVERTISEMENT", "Sponsored", "Ad", "Advertisement - Scroll to continue",
                      "Story continues below advertisement", "Continue reading below"))]


@template("readmore.link", "inline", "train")
def readmore_link(ctx: Ctx) -> list[str]:
    return [f"{ctx.pick(('Read more:', 'Related:', 'See also:', 'READ MORE:', 'Also read:'))} {ctx.pick(ctx.titles)}"]


@template("newsletter.inline", "inline", "train")
def newsletter_inline(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Sign up for our newsletter", "Subscribe to our newsletter", "Get the latest news in your inbox")),
            ctx.pick(("Enter your email address", "Your email", "Email address")),
            ctx.pick(("Subscribe", "Sign up", "Sign Up Now"))]


@template("tags.line", "post", "train")
def tags_line(ctx: Ctx) -> list[str]:
    tags = ctx.pick(ctx.topics, ctx.rng.randint(2, 6))
    if ctx.chance(0.5):
        return [f"{ctx.pick(('Tags:', 'Tagged:', 'Topics:', 'Filed under:'))} {', '.join(tags)}"]
    return [ctx.pick(("Tags", "Related topics"))] + tags


@template("related.posts", "post", "train")
def related_posts(ctx: Ctx) -> list[str]:
    lines = [ctx.pick(("Related Posts", "You may also like", "Related articles", "More from " + ctx.site.name,
                       "Recommended for you", "Popular posts"))]
    for title in ctx.pick(ctx.titles, ctx.rng.randint(3, 6)):
        lines.append(title)
        if ctx.chance(0.3):
            lines.append(V.date(ctx.rng))
    return lines


@template("prevnext.post", "post", "train")
def prevnext_post(ctx: Ctx) -> list[str]:
    a, b = ctx.pick(ctx.titles, 2) if len(ctx.titles) > 1 else (ctx.title, ctx.title)
    return ctx.pick(([f"« {a}", f"{b} »"], ["Previous Post", a, "Next Post", b], [f"← Previous: {a}", f"Next: {b} →"]))


@template("comments.wp", "post", "train")
def comments_wp(ctx: Ctx) -> list[str]:
    n = ctx.rng.randint(0, 40)
    lines = [ctx.pick((f"{n} Comments", f"{n} thoughts on “{_short(ctx.title)}”", "Leave a Reply", "Leave a Comment"))]
    if ctx.chance(0.5):
        lines += ["Cancel reply", "Your email address will not be published. Required fields are marked *",
                  "Comment *", "Name *", "Email *", "Website"]
        if ctx.chance(0.5):
            lines.append("Save my name, email, and website in this browser for the next time I comment.")
        lines.append(ctx.pick(("Post Comment", "Submit Comment")))
    return lines


@template("helpful.vote", "post", "train")
def helpful_vote(ctx: Ctx) -> list[str]:
    return ctx.pick((["Was this article helpful?", "Yes", "No"], ["Did you find this helpful? Yes No"],
                     [f"{ctx.rng.randint(1, 300)} out of {ctx.rng.randint(300, 900)} found this helpful"]))


@template("pagination.numbers", "post", "train")
def pagination_numbers(ctx: Ctx) -> list[str]:
    last = ctx.rng.randint(3, 40)
    return [ctx.pick((f"« Previous 1 2 3 … {last} Next »", f"Page 1 of {last}", f"1 2 3 4 5 ... {last} Next",
                      f"Older posts", f"Load more"))]


@template("backtotop.plain", "post", "train")
def backtotop_plain(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Back to top", "↑ Back to top", "Top", "Print this page", "Print", "Email this page"))]


@template("sidebar.categories", "sidebar", "train")
def sidebar_categories(ctx: Ctx) -> list[str]:
    lines = [ctx.pick(("Categories", "Topics", "Browse by category"))]
    for cat in ctx.pick(ctx.topics + ctx.site.sections, ctx.rng.randint(4, 9)):
        lines.append(f"{_title_case(cat)} ({ctx.rng.randint(1, 120)})" if ctx.chance(0.6) else _title_case(cat))
    return lines


@template("sidebar.archives", "sidebar", "train")
def sidebar_archives(ctx: Ctx) -> list[str]:
    year, month = ctx.site.year, ctx.rng.randint(0, 11)
    lines = [ctx.pick(("Archives", "Archive", "Blog Archive"))]
    for _ in range(ctx.rng.randint(4, 10)):
        lines.append(f"{V.MONTHS[month]} {year}")
        month, year = (month - 1, year) if month else (11, year - 1)
    return lines


@template("sidebar.recent", "sidebar", "train")
def sidebar_recent(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Recent Posts", "Latest Posts", "Most Popular", "Trending Now"))] + ctx.pick(ctx.titles, ctx.rng.randint(3, 6))


@template("sidebar.follow", "sidebar", "train")
def sidebar_follow(ctx: Ctx) -> list[str]:
    lines = [ctx.pick(("Follow us", "Stay connected", "Connect with us"))]
    for net in ctx.pick(V.SOCIAL, ctx.rng.randint(2, 5)):
        lines.append(ctx.pick((f"{V.count(ctx.rng)} Fans", f"{V.count(ctx.rng)} Followers", net,
                               f"{net} {V.count(ctx.rng)}", f"{V.count(ctx.rng)} Subscribers")))
    return lines


@template("sidebar.tagcloud", "sidebar", "train")
def sidebar_tagcloud(ctx: Ctx) -> list[str]:
    words = ctx.pick(ctx.topics, min(len(ctx.topics), ctx.rng.randint(6, 14)))
    return [ctx.pick(("Tags", "Tag Cloud", "Popular tags"))] + ([" ".join(words)] if ctx.chance(0.5) else words)


@template("footer.copyright", "footer", "train")
def footer_copyright(ctx: Ctx) -> list[str]:
    year = ctx.site.year
    return [ctx.pick((f"© {year} {ctx.site.name}. All rights reserved.", f"Copyright © {year} {ctx.site.name}",
                      f"© {year - ctx.rng.randint(1, 9)}-{year} {ctx.site.name}, Inc.", f"Copyright {year} | {ctx.site.name}",
                      f"All content © {ctx.site.name} {year}"))]


@template("footer.links", "footer", "train")
def footer_links(ctx: Ctx) -> list[str]:
    links = ctx.pick(V.LEGAL_LINKS, ctx.rng.randint(2, 6))
    return [_join(ctx, links)] if ctx.chance(0.5) else links


@template("footer.columns", "footer", "train")
def footer_columns(ctx: Ctx) -> list[str]:
    lines = []
    for heading in ctx.pick(V.FOOTER_HEADINGS, ctx.rng.randint(2, 4)):
        lines.append(heading)
        lines.extend(ctx.pick(V.NAV_ITEMS + V.LEGAL_LINKS, ctx.rng.randint(2, 5)))
    return lines


@template("footer.poweredby", "footer", "train")
def footer_poweredby(ctx: Ctx) -> list[str]:
    cms = ctx.pick(V.CMS)
    return [ctx.pick((f"Powered by {cms}", f"Proudly powered by {cms}", f"Theme: {ctx.pick(V.THEMES)} by {V.person(ctx.rng)}.",
                      f"Powered by {cms} | Theme by {ctx.pick(V.THEMES)}", f"Built with {cms}"))]


@template("footer.address", "footer", "train")
def footer_address(ctx: Ctx) -> list[str]:
    lines = [f"{ctx.rng.randint(1, 999)} {ctx.pick(V.STREETS)}", f"{ctx.pick(V.CITIES)}, {ctx.rng.randint(10000, 99999)}"]
    if ctx.chance(0.6):
        lines.append(f"Phone: ({ctx.rng.randint(200, 999)}) {ctx.rng.randint(200, 999)}-{ctx.rng.randint(1000, 9999)}")
    if ctx.chance(0.5):
        lines.append(f"info@{ctx.site.domain}")
    return [", ".join(lines)] if ctx.chance(0.3) else lines


@template("cookie.accept", "banner", "train")
def cookie_accept(ctx: Ctx) -> list[str]:
    text = ctx.pick((
        "We use cookies to ensure that we give you the best experience on our website. If you continue to use this site we will assume that you are happy with it.",
        "This website uses cookies to improve your experience. We'll assume you're ok with this, but you can opt-out if you wish.",
        "By continuing to browse the site, you are agreeing to our use of cookies.",
        "We use cookies to personalise content and ads, to provide social media features and to analyse our traffic.",
    ))
    return [text, ctx.pick(("Ok", "Accept", "Got it!", "I agree", "Accept Read More", "OK Privacy policy"))]


@template("announce.bar", "banner", "train")
def announce_bar(ctx: Ctx) -> list[str]:
    return [ctx.pick((f"Free shipping on orders over {V.price(ctx.rng)}", "Get 20% off your first order with code WELCOME20",
                      "We're hiring! Join our team", "New: read our annual report", "Limited time offer – ends Sunday"))]


@template("appstore.badges", "sidebar", "train")
def appstore_badges(ctx: Ctx) -> list[str]:
    return ctx.pick((["Download on the App Store", "Get it on Google Play"], ["Get the app"], ["Download our app", "iOS", "Android"]))


@template("lang.selector", "header", "train")
def lang_selector(ctx: Ctx) -> list[str]:
    langs = ctx.pick(V.LANGUAGES, ctx.rng.randint(2, 6))
    return [_join(ctx, langs)] if ctx.chance(0.5) else langs


# --- documentation site generators (train) --------------------------------------------------


@template("sphinx.header", "header", "train", kit="sphinx")
def sphinx_header(ctx: Ctx) -> list[str]:
    proj = ctx.site.name
    version = f"{ctx.rng.randint(0, 9)}.{ctx.rng.randint(0, 20)}"
    lines = ["Navigation", _join(ctx, ["index", "modules", "next", "previous"], (" | ",))]
    lines.append(f"{proj} {version} documentation » {_short(ctx.title)}")
    return lines


@template("sphinx.sidebar", "sidebar", "train", kit="sphinx")
def sphinx_sidebar(ctx: Ctx) -> list[str]:
    lines = ["Table of Contents"] + ctx.headings[:6]
    lines += ["Previous topic", ctx.pick(ctx.titles), "Next topic", ctx.pick(ctx.titles), "This Page", "Show Source",
              "Quick search"]
    if ctx.chance(0.5):
        lines.append("Go")
    return lines


@template("sphinx.footer", "footer", "train", kit="sphinx")
def sphinx_footer(ctx: Ctx) -> list[str]:
    return [f"© Copyright {ctx.site.year}, {ctx.pick(ctx.site.authors)}.",
            f"Created using Sphinx {ctx.rng.randint(1, 7)}.{ctx.rng.randint(0, 5)}.{ctx.rng.randint(0, 9)}."]


@template("doxygen.header", "header", "train", kit="doxygen")
def doxygen_header(ctx: Ctx) -> list[str]:
    return [ctx.site.name, _join(ctx, ["Main Page", "Related Pages", "Modules", "Namespaces", "Classes", "Files"], ("  ",)),
            ctx.pick(("Class List", "File List", "Namespace Members", "Class Index"))]


@template("doxygen.footer", "footer", "train", kit="doxygen")
def doxygen_footer(ctx: Ctx) -> list[str]:
    return [f"Generated on {V.date(ctx.rng)} for {ctx.site.name} by doxygen {ctx.rng.randint(1, 1)}.{ctx.rng.randint(8, 9)}.{ctx.rng.randint(0, 17)}"]


@template("texinfo.nav", "header", "train", kit="texinfo")
def texinfo_nav(ctx: Ctx) -> list[str]:
    a, b = ctx.pick(ctx.titles, 2)
    return [f"Next: {a}, Previous: {b}, Up: {ctx.pick(('Top', 'Overview', 'Introduction'))}   [Contents][Index]"]


@template("mkdocs.header", "header", "train", kit="mkdocs")
def mkdocs_header(ctx: Ctx) -> list[str]:
    return [ctx.site.name, "Search", ctx.pick(("GitHub", f"{ctx.site.domain}/repo")), *ctx.site.sections[:5]]


@template("mkdocs.footer", "footer", "train", kit="mkdocs")
def mkdocs_footer(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Previous", "Back")), ctx.pick(ctx.titles), "Next", ctx.pick(ctx.titles),
            f"Copyright © {ctx.site.year} {ctx.site.name}", "Made with Material for MkDocs"]


@template("wiki.header", "header", "train", kit="wiki")
def wiki_header(ctx: Ctx) -> list[str]:
    return ["Jump to navigation", "Jump to search", "From Wikipedia, the free encyclopedia" if ctx.chance(0.5)
            else f"From {ctx.site.name}"]


@template("wiki.footer", "footer", "train", kit="wiki")
def wiki_footer(ctx: Ctx) -> list[str]:
    cats = ", ".join(_title_case(t) for t in ctx.pick(ctx.topics, 3))
    return [f'Retrieved from "https://{ctx.site.domain}/wiki/{ctx.title.replace(" ", "_")[:40]}"', f"Categories: {cats}",
            f"This page was last edited on {V.date(ctx.rng)}.",
            "Text is available under the Creative Commons Attribution-ShareAlike License; additional terms may apply.",
            _join(ctx, ["Privacy policy", "About", "Disclaimers", "Contact", "Mobile view"])]


@template("github.header", "header", "train", kit="github")
def github_header(ctx: Ctx) -> list[str]:
    owner = V.LAST[ctx.rng.randrange(len(V.LAST))].lower()
    return ["Skip to content", "Sign in", "Sign up", f"{owner} / {ctx.site.name.replace(' ', '-').lower()}", "Public",
            f"Notifications", f"Fork {V.count(ctx.rng)}", f"Star {V.count(ctx.rng)}",
            _join(ctx, ["Code", "Issues", "Pull requests", "Actions", "Projects", "Wiki", "Security", "Insights"], ("  ",))]


@template("github.footer", "footer", "train", kit="github")
def github_footer(ctx: Ctx) -> list[str]:
    return ["Footer", f"© {ctx.site.year} GitHub, Inc.", "Footer navigation",
            _join(ctx, ["Terms", "Privacy", "Security", "Status", "Docs", "Contact", "Manage cookies"], ("  ",))]


@template("rtd_theme.header", "header", "train", kit="rtd_theme")
def rtd_theme_header(ctx: Ctx) -> list[str]:
    lines = [ctx.site.name, ctx.pick(("latest", "stable", f"v{ctx.rng.randint(0, 5)}.{ctx.rng.randint(0, 12)}")), "Search docs"]
    lines += ctx.pick((["Navigation"], ["Contents:"], [], ["Table of Contents"])) + ctx.site.sections[:ctx.rng.randint(3, 7)]
    lines.append(ctx.pick((f"Docs » {_short(ctx.title)}", f"» {_short(ctx.title)}", f"Home » {_short(ctx.title)}")))
    return lines + [ctx.pick(("Edit on GitHub", "View page source", "Edit on GitLab", "Edit on Bitbucket"))]


@template("rtd_theme.footer", "footer", "train", kit="rtd_theme")
def rtd_theme_footer(ctx: Ctx) -> list[str]:
    lines = [ctx.pick(("Next  Previous", "Previous Next", "Next", "Previous", "Next ", "Previous  Next"))]
    lines.append(ctx.pick((f"© Copyright {ctx.site.year}, {ctx.pick(ctx.site.authors)}.", f"© Copyright {ctx.site.year}, {ctx.site.name}.",
                           f"© Copyright {ctx.site.year - 3}-{ctx.site.year}, {ctx.site.name} developers. Revision {ctx.rng.getrandbits(28):07x}.")))
    if ctx.chance(0.5):
        lines.append(f"Last updated on {V.date(ctx.rng)}.")
    lines.append(ctx.pick(("Built with Sphinx using a theme provided by Read the Docs.",
                           "Built with Sphinx using a theme provided by Read the Docs .")))
    return lines


@template("furo.header", "header", "train", kit="furo")
def furo_header(ctx: Ctx) -> list[str]:
    return ctx.pick((["Contents", "Menu", "Expand", "Light mode", "Dark mode", "Auto light/dark mode"],
                     ["Hide navigation sidebar", "Hide table of contents sidebar", "Toggle site navigation sidebar"],
                     ["Skip to content", "Toggle Light / Dark / Auto color theme", "Toggle table of contents sidebar"])) + \
        [f"{ctx.site.name} {ctx.pick(('documentation', 'docs', ''))}".strip()] + ctx.site.sections[:ctx.rng.randint(2, 6)]


@template("furo.footer", "footer", "train", kit="furo")
def furo_footer(ctx: Ctx) -> list[str]:
    lines = ["Next", ctx.pick(ctx.titles), "Previous", ctx.pick(ctx.titles)][ctx.rng.randint(0, 2):]
    lines += [f"Copyright © {ctx.site.year}, {ctx.pick(ctx.site.authors)}",
              ctx.pick(("Made with Sphinx and @pradyunsg's Furo", "Made with Furo"))]
    if ctx.chance(0.6):
        lines += ["On this page"] + ctx.headings[:6]
    return lines


@template("pydata.header", "header", "train", kit="pydata")
def pydata_header(ctx: Ctx) -> list[str]:
    return ctx.pick((["Skip to main content"], ["Back to top"], [])) + [f"{ctx.site.name}", "Ctrl+K"] + \
        ctx.site.sections[:ctx.rng.randint(3, 6)] + ctx.pick((["GitHub"], ["GitHub", "Twitter"], [])) + \
        ctx.pick((["Section Navigation"], ["Site Navigation"], []))


@template("pydata.footer", "footer", "train", kit="pydata")
def pydata_footer(ctx: Ctx) -> list[str]:
    lines = ["previous", ctx.pick(ctx.titles), "next", ctx.pick(ctx.titles)]
    if ctx.chance(0.5):
        lines += ["On this page"] + ctx.headings[:5]
    if ctx.chance(0.5):
        lines += ["Show Source"]
    return lines + [f"© Copyright {ctx.site.year}, {ctx.site.name} Developers.",
                    f"Created using Sphinx {ctx.rng.randint(4, 8)}.{ctx.rng.randint(0, 4)}.{ctx.rng.randint(0, 3)}.",
                    f"Built with the PyData Sphinx Theme {ctx.rng.randint(0, 0)}.{ctx.rng.randint(10, 16)}.{ctx.rng.randint(0, 4)}."]


@template("alabaster.sidebar", "sidebar", "train", kit="alabaster")
def alabaster_sidebar(ctx: Ctx) -> list[str]:
    lines = [ctx.site.name, "Navigation"] + ctx.site.sections[:ctx.rng.randint(2, 5)]
    lines += ["Related Topics", "Documentation overview", f"Previous: {ctx.pick(ctx.titles)}", f"Next: {ctx.pick(ctx.titles)}"]
    return lines + ["Quick search"] + (["Go"] if ctx.chance(0.5) else [])


@template("alabaster.footer", "footer", "train", kit="alabaster")
def alabaster_footer(ctx: Ctx) -> list[str]:
    return [f"©{ctx.site.year}, {ctx.pick(ctx.site.authors)}. | Powered by Sphinx {ctx.rng.randint(3, 8)}.{ctx.rng.randint(0, 4)}.{ctx.rng.randint(0, 3)} "
            f"& Alabaster 0.7.{ctx.rng.randint(10, 16)}" + ctx.pick((" | Page source", "")),
            *(["Fork me on GitHub"] if ctx.chance(0.3) else [])]


@template("manweb.header", "header", "train", kit="manweb")
def manweb_header(ctx: Ctx) -> list[str]:
    pkg = ctx.title.split()[0].lower()
    return ctx.pick(([f"Provided by: {pkg}_{ctx.rng.randint(1, 9)}.{ctx.rng.randint(0, 30)}-{ctx.rng.randint(1, 4)}_amd64 bug"],
                     ["Linux man page", "Site Search", "Library", "linux docs", "linux man pages", "page load time"],
                     [f"{ctx.site.name} manual pages", "Toolbox", "Manual Page Search", "Man Pages"]))


@template("manweb.footer", "footer", "train", kit="manweb")
def manweb_footer(ctx: Ctx) -> list[str]:
    return ctx.pick((["Powered by the Ubuntu Manpage Repository, file bugs in Launchpad",
                      f"© {ctx.site.year} Canonical Ltd. Ubuntu and Canonical are registered trademarks of Canonical Ltd."],
                     ["Site Search", "Library", "linux docs", "linux man pages", "page load time", "Toys", "world sunlight", "moon phase"],
                     [f"Referenced By", f"{ctx.pick(ctx.topics)}(1), {ctx.pick(ctx.topics)}(8)", f"{ctx.site.name} Man Pages Project"]))


# --- site types (train): news, shop, forum, recipe -------------------------------------------


@template("news.media", "inline", "train")
def news_media(ctx: Ctx) -> list[str]:
    return [ctx.pick((f"Photo: {V.person(ctx.rng)} / {ctx.pick(('Getty Images', 'AP', 'Reuters', 'AFP'))}",
                      f"Image: {ctx.site.name}", "Listen to this article", f"(Image credit: {V.person(ctx.rng)})",
                      "Watch: video", "Play video"))]


@template("news.updated", "pre", "train")
def news_updated(ctx: Ctx) -> list[str]:
    return [ctx.pick((f"Updated {ctx.rng.randint(1, 23)} hours ago", f"Published {ctx.rng.randint(2, 59)} minutes ago",
                      f"{V.date(ctx.rng)} | {ctx.pick(ctx.site.sections)}", f"By {V.person(ctx.rng)}, {ctx.pick(V.CITIES)}")),
            *([f"Follow {ctx.pick(ctx.site.authors)} on Twitter"] if ctx.chance(0.3) else [])]


@template("shop.buybox", "pre", "train")
def shop_buybox(ctx: Ctx) -> list[str]:
    lines = [V.price(ctx.rng), ctx.pick(("In stock", "Only 3 left in stock", "Ships in 2-3 business days")),
             "Qty", "1", ctx.pick(("Add to cart", "Add to Basket", "Buy now")), ctx.pick(("Add to wishlist", "Compare"))]
    if ctx.chance(0.5):
        lines.append(f"SKU: {ctx.rng.randint(10000, 99999)}-{ctx.rng.choice('ABCDEFG')}")
    return lines


@template("shop.reviews", "post", "train")
def shop_reviews(ctx: Ctx) -> list[str]:
    return [f"Reviews ({ctx.rng.randint(0, 300)})", f"{ctx.rng.randint(30, 50) / 10:.1f} out of 5 stars",
            ctx.pick(("Write a review", "Be the first to review this product")), "Customers also bought",
            *[f"{ctx.pick(V.PRODUCT_WORDS)} {ctx.pick(V.PRODUCT_NOUNS)}" for _ in range(ctx.rng.randint(2, 4))]]


@template("forum.postmeta", "inline", "train")
def forum_postmeta(ctx: Ctx) -> list[str]:
    user = ctx.pick((V.person(ctx.rng).replace(" ", "_").lower(), ctx.pick(V.FIRST).lower() + str(ctx.rng.randint(1, 99))))
    return ctx.pick(([user, f"Posts: {ctx.rng.randint(1, 5000)}", f"Joined: {V.date(ctx.rng)}"],
                     [f"Re: {_short(ctx.title)}", f"Post by {user} » {V.date(ctx.rng)}"],
                     ["Quote", "Reply", f"#{ctx.rng.randint(2, 40)}"], [f"{user} wrote:"]))


@template("recipe.jump", "pre", "train")
def recipe_jump(ctx: Ctx) -> list[str]:
    return [_join(ctx, ctx.pick((["Jump to Recipe", "Print Recipe"], ["Jump to Recipe", "Pin Recipe", "Rate Recipe"])))]


# =============================================================================================
# HELD-OUT family: other wordings and layouts of the same kinds of chrome


@template("h.skip.accessibility", "header", "heldout")
def h_skip(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Accessibility links", "Skip to search", "Go to main content")), ctx.pick(("Accessibility help", "Keyboard shortcuts"))]


@template("h.nav.bulleted", "header", "heldout")
def h_nav_bulleted(ctx: Ctx) -> list[str]:
    mark = ctx.pick(("* ", "• ", "- ", "› "))
    return [mark + s for s in ctx.site.sections]


@template("h.nav.upper", "header", "heldout")
def h_nav_upper(ctx: Ctx) -> list[str]:
    return [s.upper() for s in ctx.site.sections] if ctx.chance(0.5) else ["   ".join(s.upper() for s in ctx.site.sections)]


@template("h.nav.dropdown", "header", "heldout")
def h_nav_dropdown(ctx: Ctx) -> list[str]:
    lines = []
    for s in ctx.site.sections:
        lines.append(f"{s} ▼" if ctx.chance(0.4) else s)
        if ctx.chance(0.25):
            lines.extend("  " + x for x in ctx.pick(V.NAV_ITEMS, 2))
    return lines


@template("h.account.bar", "header", "heldout")
def h_account(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Hello, Sign in", "Welcome, Guest", "Members area")), ctx.pick(("Wishlist (0)", "Basket", "0 items – $0.00", "Track order"))]


@template("h.search.prompt", "header", "heldout")
def h_search(ctx: Ctx) -> list[str]:
    return [ctx.pick(("What are you looking for?", "Enter keywords", "Search the archive", "Find a product")), ctx.pick(("Go", "Find", "🔍"))]


@template("h.breadcrumb.youarehere", "pre", "heldout")
def h_breadcrumb(ctx: Ctx) -> list[str]:
    trail = [ctx.site.name, *ctx.pick(ctx.site.sections, ctx.rng.randint(1, 2))]
    return [f"You are here: {' → '.join(trail)}"] if ctx.chance(0.5) else [*trail, _short(ctx.title)]


@template("h.byline.stacked", "pre", "heldout")
def h_byline(ctx: Ctx) -> list[str]:
    author = ctx.pick(ctx.site.authors)
    return ctx.pick(([author, ctx.pick(("Staff Writer", "Senior Editor", "Contributor", "Correspondent")), V.date(ctx.rng)],
                     [f"Author: {author}", f"Date: {V.date(ctx.rng)}"], [f"Updated {V.date(ctx.rng)}", f"Reading time: {ctx.rng.randint(2, 12)} minutes"],
                     [f"{author} | {ctx.pick(ctx.site.sections)} | {ctx.rng.randint(0, 30)} comments"]))


@template("h.share.counts", "pre", "heldout")
def h_share(ctx: Ctx) -> list[str]:
    return ctx.pick(([f"{V.count(ctx.rng)} shares"], ["Share this page", "Send by email", "Print"],
                     ["Share via", "Messenger", "Reddit", "Copy URL"], [f"Spread the word: {' '.join(ctx.pick(V.SOCIAL, 3))}"]))


@template("h.toc.bulleted", "pre", "heldout")
def h_toc(ctx: Ctx) -> list[str]:
    return ["Jump to section"] + [f"- {h}" for h in (ctx.headings[:7] or ctx.titles[:3])]


@template("h.ad.slot", "inline", "heldout")
def h_ad(ctx: Ctx) -> list[str]:
    return [ctx.pick(("PROMOTED CONTENT", "Paid Partner Content", "Ads by Google", "Report this ad", "- Advertisement -",
                      "Sponsored Links", "Partner offer"))]


@template("h.inline.recommend", "inline", "heldout")
def h_recommend(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Recommended reading", "Don't miss", "Trending", "Editor's pick")), ctx.pick(ctx.titles)]


@template("h.newsletter.box", "inline", "heldout")
def h_newsletter(ctx: Ctx) -> list[str]:
    return [f"Join {V.count(ctx.rng)} readers who get our weekly digest.",
            ctx.pick(("No spam. Unsubscribe anytime.", "We respect your privacy.", "One email a week, no more.")),
            ctx.pick(("Join now", "Count me in", "Get the digest"))]


@template("h.post.author", "post", "heldout")
def h_author_box(ctx: Ctx) -> list[str]:
    author = ctx.pick(ctx.site.authors)
    return [ctx.pick(("About the author", "Author bio", "Meet the author")), author,
            f"{author.split()[0]} writes about {ctx.pick(ctx.topics)} and {ctx.pick(ctx.topics)} for {ctx.site.name}.",
            ctx.pick(("View all posts", f"More articles by {author}", "Follow"))]


@template("h.post.related.grid", "post", "heldout")
def h_related(ctx: Ctx) -> list[str]:
    lines = [ctx.pick(("Read next", "More stories", "Keep reading", "Around the web"))]
    for t in ctx.pick(ctx.titles, ctx.rng.randint(2, 5)):
        lines.append(f"{t} ({ctx.rng.randint(2, 20)} min)" if ctx.chance(0.3) else t)
    return lines


@template("h.comments.disqus", "post", "heldout")
def h_comments(ctx: Ctx) -> list[str]:
    return ctx.pick(([f"Comments ({ctx.rng.randint(0, 90)})", "Add a comment", "You must be logged in to post a comment."],
                     ["Join the discussion", "Sort by: Newest", "Powered by Disqus"],
                     ["Comments are closed."], ["Have your say", "Commenting is disabled for this article."]))


@template("h.pagination.arrows", "post", "heldout")
def h_pagination(ctx: Ctx) -> list[str]:
    n = ctx.rng.randint(2, 25)
    return [ctx.pick((f"‹ First ‹ Prev {n - 1} {n} {n + 1} Next › Last »", f"Showing 1–10 of {n * 10} results",
                      "View more", f"Go to page: 1 2 {n}"))]


@template("h.feedback.rate", "post", "heldout")
def h_feedback(ctx: Ctx) -> list[str]:
    return ctx.pick((["Rate this page", "★★★★★"], ["Did this answer your question?", "👍", "👎"],
                     ["Report a problem with this page"], ["Feedback", "Edit this page"]))


@template("h.sidebar.popular", "sidebar", "heldout")
def h_sidebar_popular(ctx: Ctx) -> list[str]:
    lines = [ctx.pick(("Most Read", "Top Stories", "What's hot", "Reader favourites"))]
    for i, t in enumerate(ctx.pick(ctx.titles, ctx.rng.randint(3, 5))):
        lines.append(f"{i + 1}. {t}" if ctx.chance(0.5) else t)
    return lines


@template("h.sidebar.monthly", "sidebar", "heldout")
def h_sidebar_monthly(ctx: Ctx) -> list[str]:
    year = ctx.site.year
    return ["Browse by date", *[f"{year - i} ({ctx.rng.randint(3, 80)})" for i in range(ctx.rng.randint(3, 7))]]


@template("h.sidebar.topics", "sidebar", "heldout")
def h_sidebar_topics(ctx: Ctx) -> list[str]:
    return ["Explore topics", *[f"#{t.replace(' ', '')}" for t in ctx.pick(ctx.topics, ctx.rng.randint(4, 8))]]


@template("h.sidebar.social", "sidebar", "heldout")
def h_sidebar_social(ctx: Ctx) -> list[str]:
    return [f"Find us on {net}" if ctx.chance(0.5) else f"{net}: @{ctx.site.domain.split('.')[0]}" for net in ctx.pick(V.SOCIAL, 3)]


@template("h.footer.copyright", "footer", "heldout")
def h_footer_copy(ctx: Ctx) -> list[str]:
    return [ctx.pick((f"{ctx.site.name} © {ctx.site.year}", f"(c) {ctx.site.year} {ctx.site.name} Ltd. Registered in England and Wales No. {ctx.rng.randint(1000000, 9999999)}.",
                      f"Content on this site is licensed under CC BY 4.0 unless otherwise noted. © {ctx.site.name}",
                      f"{ctx.site.name} is a registered trademark. Reproduction without permission is prohibited."))]


@template("h.footer.stacked", "footer", "heldout")
def h_footer_stacked(ctx: Ctx) -> list[str]:
    return [f"{l}" for l in ctx.pick(V.LEGAL_LINKS, ctx.rng.randint(3, 7))] + [f"Contact: hello@{ctx.site.domain}"]


@template("h.footer.affiliate", "footer", "heldout")
def h_footer_affiliate(ctx: Ctx) -> list[str]:
    return [ctx.pick((f"{ctx.site.name} is reader-supported. When you buy through links on our site, we may earn an affiliate commission.",
                      "As an Amazon Associate we earn from qualifying purchases.",
                      "The material on this site may not be reproduced, distributed, transmitted, cached or otherwise used, except with prior written permission."))]


@template("h.footer.made", "footer", "heldout")
def h_footer_made(ctx: Ctx) -> list[str]:
    return [ctx.pick((f"Site by {ctx.site.name} Digital", f"Made with ♥ in {ctx.pick(V.CITIES)}",
                      f"Hosted by {ctx.pick(('Netlify', 'Vercel', 'GitHub Pages', 'DigitalOcean'))}", f"Website design by {V.person(ctx.rng)}"))]


@template("h.cookie.consent", "banner", "heldout")
def h_cookie(ctx: Ctx) -> list[str]:
    return [ctx.pick(("Your privacy", "Cookie consent", "Manage your privacy settings")),
            ctx.pick(("We and our partners store and/or access information on a device, such as unique IDs in cookies, to process personal data.",
                      "Some cookies are essential for the site to work; others help us understand how you use it. Choose which ones to allow.",
                      "To give you the best possible experience, this site uses cookies. Read our privacy notice for details.")),
            _join(ctx, ctx.pick((["Accept all", "Reject all", "Customise"], ["Allow cookies", "Decline"], ["Agree", "More options"])))]


@template("h.paywall.nag", "banner", "heldout")
def h_paywall(ctx: Ctx) -> list[str]:
    return [ctx.pick((f"You have {ctx.rng.randint(1, 5)} free articles left this month.", "Subscribe for unlimited access.",
                      "Already a subscriber? Log in", "Support independent journalism. Donate today."))]


@template("h.lang.codes", "header", "heldout")
def h_lang(ctx: Ctx) -> list[str]:
    return [" ".join(ctx.pick(("EN", "DE", "FR", "ES", "IT", "NL", "PT", "JA"), ctx.rng.randint(2, 5)))]


# --- site types (held-out) ---------------------------------------------------------------------


@template("h.news.caption", "inline", "heldout")
def h_news_caption(ctx: Ctx) -> list[str]:
    return [ctx.pick((f"Image caption, {ctx.pick(V.CITIES)} in {V.MONTHS[ctx.rng.randrange(12)]}", "Media caption",
                      f"Picture: {ctx.site.name} archive", "Enlarge this image", f"{V.person(ctx.rng)}/{ctx.site.name}"))]


@template("h.shop.options", "pre", "heldout")
def h_shop_options(ctx: Ctx) -> list[str]:
    return [f"Was {V.price(ctx.rng)} Now {V.price(ctx.rng)}", ctx.pick(("Select size", "Choose colour", "Variant")),
            " ".join(ctx.pick(("XS", "S", "M", "L", "XL", "XXL"), 4)), ctx.pick(("Add to bag", "Reserve & collect")),
            ctx.pick(("Free delivery & returns", "Klarna: pay in 3 interest-free instalments", "30-day money back guarantee"))]


@template("h.forum.thread", "inline", "heldout")
def h_forum_thread(ctx: Ctx) -> list[str]:
    return ctx.pick(([f"Reply #{ctx.rng.randint(1, 60)} on: {V.date(ctx.rng)}"], ["Report post", "Like", "Quote"],
                     [f"Last edited by {ctx.pick(V.FIRST).lower()}; {V.date(ctx.rng)}."],
                     [f"Member since {ctx.site.year - ctx.rng.randint(1, 9)}", f"{ctx.rng.randint(1, 9000)} posts"]))


@template("h.recipe.card", "post", "heldout")
def h_recipe_card(ctx: Ctx) -> list[str]:
    return [f"Prep time: {ctx.rng.randint(5, 40)} mins", f"Servings: {ctx.rng.randint(2, 8)}",
            ctx.pick(("Did you make this recipe?", "Tag us on Instagram", "Rate this recipe")), "★★★★☆"]


@template("h.header.tagline", "header", "heldout")
def h_header_tagline(ctx: Ctx) -> list[str]:
    return [ctx.site.name.upper(), ctx.pick(("Est. " + str(ctx.site.year - 20), "Independent since 1998",
                                            "The home of good ideas", "Serving the community since 1970"))]


# --- documentation site generators (held-out) -----------------------------------------------


@template("javadoc.header", "header", "heldout", kit="javadoc")
def javadoc_header(ctx: Ctx) -> list[str]:
    return ["Skip navigation links", _join(ctx, ["Overview", "Package", "Class", "Use", "Tree", "Deprecated", "Index", "Help"], ("  ",)),
            "Prev Class  Next Class", "Frames  No Frames", "All Classes",
            "Summary: Nested | Field | Constr | Method", "Detail: Field | Constr | Method"]


@template("javadoc.footer", "footer", "heldout", kit="javadoc")
def javadoc_footer(ctx: Ctx) -> list[str]:
    return ["Skip navigation links", "Overview  Package  Class  Use  Tree  Deprecated  Index  Help",
            f"Copyright © {ctx.site.year} {ctx.site.name}. All rights reserved."]


@template("mkdocs_rtd.header", "header", "heldout", kit="mkdocs_rtd")
def mkdocs_rtd_header(ctx: Ctx) -> list[str]:
    return [ctx.site.name, *ctx.site.sections[:5], f"Docs » {_short(ctx.title)}", f"{ctx.site.domain.split('.')[0]} on GitLab"]


@template("mkdocs_rtd.footer", "footer", "heldout", kit="mkdocs_rtd")
def mkdocs_rtd_footer(ctx: Ctx) -> list[str]:
    return [ctx.pick(("« Previous   Next »", "« Previous", "Next »")), f"Copyright {ctx.site.year} {ctx.pick(ctx.site.authors)}",
            "Built with MkDocs using a theme provided by Read the Docs."]


@template("sphinx_book.header", "header", "heldout", kit="sphinx_book")
def sphinx_book_header(ctx: Ctx) -> list[str]:
    return ["Toggle navigation sidebar", ctx.site.name, "Search this book...", "repository", "open issue",
            ".md", ".pdf", "Print to PDF", "Toggle in-page table of contents"][: ctx.rng.randint(5, 9)]


@template("sphinx_book.footer", "footer", "heldout", kit="sphinx_book")
def sphinx_book_footer(ctx: Ctx) -> list[str]:
    return ["previous", ctx.pick(ctx.titles), "next", ctx.pick(ctx.titles), f"By {ctx.pick(ctx.site.authors)}",
            f"© Copyright {ctx.site.year}.", "Theme by the Executable Book Project"][ctx.rng.randint(0, 4):]


@template("gtkdoc.header", "header", "heldout", kit="gtkdoc")
def gtkdoc_header(ctx: Ctx) -> list[str]:
    return [_join(ctx, ["Top", "Description", "Object Hierarchy", "Properties", "Signals"], (" | ", "  ")),
            _join(ctx, ["Home", "Up", "Prev", "Next"], ("  ",)), f"{ctx.site.name} Reference Manual"]


@template("man2html.wrap", "footer", "heldout", kit="man2html")
def man2html_footer(ctx: Ctx) -> list[str]:
    return ["Index", "Return to Main Contents", "This document was created by man2html, using the manual pages.",
            f"Time: {ctx.rng.randint(0, 23):02d}:{ctx.rng.randint(0, 59):02d}:{ctx.rng.randint(0, 59):02d} GMT, {V.date(ctx.rng)}"]


@template("man2html.head", "header", "heldout", kit="man2html")
def man2html_header(ctx: Ctx) -> list[str]:
    return [f"Manpage of {ctx.title.split()[0].upper()}", "Section: User Commands (1)", f"Updated: {V.date(ctx.rng)}",
            "Index", "Return to Main Contents"]


@template("rustdoc.header", "header", "heldout", kit="rustdoc")
def rustdoc_header(ctx: Ctx) -> list[str]:
    return ["☰", ctx.site.name.replace(" ", "_").lower(), f"{ctx.rng.randint(0, 3)}.{ctx.rng.randint(0, 40)}.{ctx.rng.randint(0, 9)}",
            "Click or press ‘S’ to search, ‘?’ for more options…", "Settings", "Help", "[−]", "source"]


@template("pod2html.index", "header", "heldout", kit="pod2html")
def pod2html_header(ctx: Ctx) -> list[str]:
    return ["NAME", "SYNOPSIS", "DESCRIPTION", "METHODS", "SEE ALSO", "AUTHOR", "COPYRIGHT AND LICENSE"][: ctx.rng.randint(4, 7)]


@template("pod2html.footer", "footer", "heldout", kit="pod2html")
def pod2html_footer(ctx: Ctx) -> list[str]:
    return [f"perldoc.{ctx.site.domain.split('.')[0]}.org - Official documentation for the Perl programming language",
            "Contact details", "Site maintained by " + V.person(ctx.rng), "Manual", "Modules", "Tools", "FAQs"]


KITS = {"train": ("sphinx", "doxygen", "texinfo", "mkdocs", "wiki", "github", "rtd_theme", "furo", "pydata",
                  "alabaster", "manweb"),
        "heldout": ("javadoc", "mkdocs_rtd", "sphinx_book", "gtkdoc", "man2html", "rustdoc", "pod2html")}

#: Inline junk at the end of a content line, removed with remove_str: (family, text).
INLINE_JUNK = {
    "train": ("¶", " [edit]", " Read more »", " (Click to enlarge)", " #"),
    "heldout": (" [source]", " Continue reading →", " [citation needed]", " ↩", " Permalink"),
}


def _short(title: str, n: int = 6) -> str:
    words = title.split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")
