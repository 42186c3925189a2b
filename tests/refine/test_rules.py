"""The rules refiner: each rule on hand-made pages, the programs it emits, and the text they leave."""

import pytest

from programs.apply import apply
from programs.parse import parse
from refine.document import Document
from refine.linefreq import LineFrequency
from refine.options import RunOptions
from refine.refiners.rules import ALL_RULES, RulesConfig, RulesRefiner, from_options, parse_rules

# Eight distinct sentences that pass every rule: a page's content.
PROSE = [
    "The river rises in the northern hills and flows south for nearly two hundred miles.",
    "Farmers along its banks have grown wheat, barley and apples since the early medieval period.",
    "In spring the melting snow can swell the water to twice its usual depth within a week.",
    "A series of stone bridges, some of them older than the towns they serve, cross it at narrow points.",
    "Local historians say that the oldest bridge was built by monks who also ran a small ferry.",
    "Today the valley is known for its walking trails, quiet villages and a popular autumn fair.",
    "Visitors often stay in converted mills that still keep their wooden wheels and iron gears.",
    "Conservation groups work with landowners to protect otters, kingfishers and rare mosses.",
]


def refine(text: str, rules, **thresholds):
    refiner = RulesRefiner(RulesConfig(rules=frozenset(rules), **thresholds))
    [ref] = refiner.refine([Document("d", text)])
    [program] = ref.programs
    return program, ref.audit


def refined_text(text: str, program_text: str) -> str:
    return apply(text, parse(program_text)).text


def page(*extra_lines: str, at: int = 0) -> str:
    lines = list(PROSE)
    lines[at:at] = extra_lines
    return "\n".join(lines) + "\n"


# -- line rules --------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule, line", [
    ("c4_terminal_punct", "Read more about the valley and its history"),
    ("c4_terminal_punct", "And then the story continues..."),
    ("c4_few_words", "Subscribe now!"),
    ("c4_javascript", "Please enable JavaScript to see the map of the trails."),
    ("c4_policy", "By using this site you agree to our Privacy Policy and cookie rules."),
    ("c4_policy", "This website uses cookies to give you the best experience."),
    ("c4_long_word", "A line with " + "x" * 1001 + " in it."),
])
def test_each_line_rule_removes_its_line(rule, line):
    text = page(line, at=2)
    program, audit = refine(text, {rule})
    assert program.text == "remove_lines(line_start=2, line_end=2)"
    assert program.stage == "chunk" and program.scope is None
    assert audit["removed_lines"] == {rule: 1}
    assert refined_text(text, program.text) == page()


def test_terminal_punctuation_ignores_a_trailing_citation_and_accepts_quotes():
    text = page('He called it "the finest crossing in the county."', "The bridge opened in 1342.[3]")
    program, _ = refine(text, {"c4_terminal_punct"})
    assert program.text == "keep_doc()"


def test_long_unpunctuated_lines_can_be_exempted():
    line = "Ten words or more without any final punctuation mark at all here"
    program, _ = refine(page(line), {"c4_terminal_punct"}, punct_exempt_words=10)
    assert program.text == "keep_doc()"
    program, _ = refine(page(line), {"c4_terminal_punct"})
    assert program.text == "remove_lines(line_start=0, line_end=0)"


def test_consecutive_removed_lines_form_one_span_whatever_their_reasons():
    text = page("Home | About | Contact", "Menu", "Enable JavaScript for the full site.", at=3)
    program, audit = refine(text, {"c4_terminal_punct", "c4_javascript"})
    assert program.text == "remove_lines(line_start=3, line_end=5)"
    assert audit["removed_lines"] == {"c4_terminal_punct": 2, "c4_javascript": 1}


def test_blank_lines_go_with_removed_neighbours_and_stay_between_kept_lines():
    lines = ["Skip to content", "", "Home | Blog", "", PROSE[0], "", PROSE[1], "", "", "Copyright 2024"]
    text = "\n".join(lines) + "\n"
    program, _ = refine(text, {"c4_terminal_punct"})
    # 0-3: nav and the blanks after it (edge and removed on both sides); 5 sits between kept lines.
    assert program.text == "remove_lines(line_start=0, line_end=3)\nremove_lines(line_start=7, line_end=9)"
    assert refined_text(text, program.text) == f"{PROSE[0]}\n\n{PROSE[1]}\n"


def test_crlf_lines_are_judged_on_their_bodies():
    text = "Menu\r\n" + "\r\n".join(PROSE) + "\r\n"
    program, _ = refine(text, {"c4_terminal_punct"})
    assert program.text == "remove_lines(line_start=0, line_end=0)"
    assert refined_text(text, program.text) == "\r\n".join(PROSE) + "\r\n"


# -- document rules ----------------------------------------------------------------------------------
def test_a_clean_page_is_kept_by_every_rule():
    program, audit = refine(page(), ALL_RULES)
    assert program.text == "keep_doc()" and program.stage == "doc"
    assert "drop_reason" not in audit


@pytest.mark.parametrize("rule, text", [
    ("c4_lorem_ipsum", page("Lorem ipsum dolor sit amet, consectetur adipiscing elit.")),
    ("c4_curly_bracket", page("The config reads {x: 1} and nothing else.")),
    ("c4_few_sentences", "One sentence here. Two sentences here.\nThree and four. Not five!\n"),
    ("gopher_doc_words", "\n".join(PROSE[:2]) + "\n"),
    ("gopher_word_length", page("a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o "
                                "p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e "
                                "f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t.")),
    ("gopher_symbol_ratio", page(" ".join(["#tag"] * 20) + ".")),
    ("gopher_bullet_lines", "\n".join("- " + s for s in PROSE) + "\n"),
    ("gopher_ellipsis_lines", "\n".join(s[:-1] + "..." if i % 2 else s for i, s in enumerate(PROSE)) + "\n"),
    ("gopher_alpha_words", page(" ".join(str(i) for i in range(200)) + ".")),
    ("gopher_stop_words", "\n".join(" ".join(["Apples, pears, plums; cherries, figs."] * 3) for _ in range(4))
     + "\nLemons, limes, quinces and dates sell well in markets.\n"),
    ("gopher_dup_lines", page(*([PROSE[0]] * 4))),
    ("gopher_dup_paragraphs", "\n\n".join([PROSE[0], PROSE[1], PROSE[0], PROSE[2], PROSE[0], PROSE[1]]) + "\n"),
    ("gopher_top_ngrams", page(" ".join(["stone bridge"] * 120) + ".")),
    ("gopher_dup_ngrams", page(" ".join(PROSE[0].split()[:8]) + " and " + " ".join(PROSE[0].split()[:8]) + ".",
                               PROSE[3] + " " + PROSE[3])),
    ("fineweb_line_punct", "\n".join(s.rstrip(".") for s in PROSE) + "\nThe end.\n"),
    ("fineweb_short_lines", page(*[f"Item number {i}." for i in range(20)])),
    ("fineweb_dup_line_chars", page(PROSE[5])),
    ("fineweb_list_ratio", page(*[f"Step{i}." for i in range(60)])),
])
def test_each_document_rule_drops_with_its_reason(rule, text):
    # Run the rule alone: it must fire, and say so in the audit.
    program, audit = refine(text, {rule})
    assert program.text == "drop_doc()" and program.stage == "doc"
    assert audit["drop_reason"] == rule
    assert audit["drop_detail"]
    result = apply(text, parse(program.text))
    assert not result.kept and result.drop_reason == "drop_doc"


def test_clean_page_passes_each_document_rule_alone():
    for rule in ALL_RULES:
        program, audit = refine(page(), {rule})
        assert program.text == "keep_doc()", (rule, audit)


def test_document_rules_judge_the_text_left_after_line_removal():
    # Forty navigation lines would make FineWeb's short-line rule fire on the raw page ...
    nav = [f"Section {i}" for i in range(40)]
    text = page(*nav)
    program, _ = refine(text, {"fineweb_short_lines"})
    assert program.text == "drop_doc()"
    # ... but once the line rules remove them, what remains is a clean page.
    program, audit = refine(text, {"fineweb_short_lines", "c4_terminal_punct"})
    assert program.text == "remove_lines(line_start=0, line_end=39)"
    assert audit["removed_lines"] == {"c4_terminal_punct": 40}


def test_a_page_with_nothing_left_is_dropped():
    program, audit = refine("Home\nAbout\n\nContact\n", {"c4_terminal_punct"})
    assert program.text == "drop_doc()"
    assert audit["drop_reason"] == "no_lines_kept"


def test_an_empty_document_is_dropped():
    program, audit = refine("", {"c4_terminal_punct"})
    assert program.text == "drop_doc()" and audit["drop_reason"] == "empty"


# -- presets and options -----------------------------------------------------------------------------
def test_presets_and_rule_lists_parse():
    c4, _ = parse_rules("c4")
    assert {"c4_terminal_punct", "c4_curly_bracket", "c4_few_sentences"} <= c4
    assert not any(r.startswith("gopher") for r in c4)
    rules, overrides = parse_rules("web")
    assert "c4_curly_bracket" not in rules and "gopher_stop_words" in rules
    assert overrides == {"punct_exempt_words": 10}
    rules, _ = parse_rules("c4, gopher_stop_words, -c4_curly_bracket")
    assert "gopher_stop_words" in rules and "c4_curly_bracket" not in rules
    assert parse_rules("all")[0] == frozenset(ALL_RULES)
    with pytest.raises(ValueError, match="unknown rule or preset 'c5'"):
        parse_rules("c5")


def test_from_options_reads_thresholds_and_rejects_unknown_keys():
    refiner = from_options(RunOptions(extra={"rules": "c4", "min_words_per_line": "5",
                                             "top_ngrams": "2:0.5,3:0.4"}))
    assert refiner.config.rules == parse_rules("c4")[0]
    assert refiner.config.min_words_per_line == 5
    assert refiner.config.top_ngrams == ((2, 0.5), (3, 0.4))
    assert from_options(RunOptions()).config.punct_exempt_words == 10  # the "web" default
    with pytest.raises(ValueError, match="unknown option 'min_wrods'"):
        from_options(RunOptions(extra={"min_wrods": "3"}))
    with pytest.raises(ValueError, match="bad value 'many'"):
        from_options(RunOptions(extra={"min_sentences": "many"}))


def test_every_program_of_every_preset_parses_and_applies():
    docs = [Document(str(i), text) for i, text in enumerate([
        page(), page("Home | About", "Menu"), "Menu\n", page("Lorem ipsum dolor sit amet."),
        page(*[f"Share {i}" for i in range(30)], at=4), "",
    ])]
    for preset in ("c4", "gopher", "fineweb", "all", "web"):
        refiner = from_options(RunOptions(extra={"rules": preset}))
        for doc, ref in zip(docs, refiner.refine(docs)):
            for scoped in ref.programs:
                result = apply(doc.text, parse(scoped.text))
                assert not result.errors, (preset, doc.id, scoped.text)


# -- line frequency ----------------------------------------------------------------------------------
def site_pages(host: str, n: int) -> list[Document]:
    return [Document(f"{host}{i}", f"Sign up for our weekly newsletter today.\n{PROSE[i % 8]}\n{PROSE[(i + 1) % 8]}\n",
                     {"url": f"https://{host}/{i}"}) for i in range(n)]


def test_linefreq_removes_short_lines_repeated_across_a_host():
    corpus = site_pages("a.com", 4) + site_pages("b.com", 1)
    lf = LineFrequency(width=1 << 12).count(corpus)
    refiner = RulesRefiner(RulesConfig(rules=frozenset(), linefreq_host_min=3, linefreq_global_min=100), linefreq=lf)
    refs = refiner.refine(corpus)
    assert refs[0].programs[0].text == "remove_lines(line_start=0, line_end=0)"
    assert refs[0].audit["removed_lines"] == {"linefreq": 1}
    # The same line on a host where it occurs once is kept; so are the prose lines (2 pages each).
    assert refs[4].programs[0].text == "keep_doc()"


def test_linefreq_corpus_wide_threshold_and_word_limit():
    corpus = [Document(str(i), f"Sign up for our weekly newsletter today.\n{PROSE[i % 8]}\n") for i in range(5)]
    lf = LineFrequency(width=1 << 12).count(corpus)
    cfg = RulesConfig(rules=frozenset(), linefreq_global_min=5)
    [ref] = RulesRefiner(cfg, linefreq=lf).refine(corpus[:1])
    assert ref.programs[0].text == "remove_lines(line_start=0, line_end=0)"
    [ref] = RulesRefiner(RulesConfig(rules=frozenset(), linefreq_global_min=6), linefreq=lf).refine(corpus[:1])
    assert ref.programs[0].text == "keep_doc()"
    # Long repeated lines are content (a quoted passage), not navigation.
    [ref] = RulesRefiner(RulesConfig(rules=frozenset(), linefreq_global_min=5, linefreq_max_words=5),
                         linefreq=lf).refine(corpus[:1])
    assert ref.programs[0].text == "keep_doc()"


def test_linefreq_auto_needs_prepare_and_reads_files(tmp_path):
    corpus = site_pages("a.com", 4)
    refiner = from_options(RunOptions(extra={"rules": "c4_javascript", "linefreq": "auto",
                                             "linefreq_width": "4096"}))
    assert refiner.needs_prepare
    with pytest.raises(RuntimeError, match=r"RulesRefiner.prepare"):
        refiner.refine(corpus)
    refiner.prepare(iter(corpus))
    assert not refiner.needs_prepare and refiner.linefreq.width == 4096
    assert refiner.refine(corpus)[0].programs[0].text == "remove_lines(line_start=0, line_end=0)"

    path = tmp_path / "lf.npz"
    refiner.linefreq.save(path)
    from_file = from_options(RunOptions(extra={"rules": "c4_javascript", "linefreq": str(path)}))
    assert not from_file.needs_prepare
    assert from_file.refine(corpus)[1].programs[0].text == "remove_lines(line_start=0, line_end=0)"


def test_many_spans_are_split_into_programs_within_the_parser_limits():
    lines = [PROSE[i % 8] if i % 2 else "Menu" for i in range(801)]
    text = "\n".join(lines) + "\n"
    refiner = RulesRefiner(RulesConfig(rules=frozenset({"c4_terminal_punct"})))
    [ref] = refiner.refine([Document("long", text)])
    assert len(ref.programs) == 4  # 401 one-line spans, 128 per program
    programs = [parse(p.text) for p in ref.programs]
    assert sum(len(p.ops) for p in programs) == 401
    assert apply(text, programs).text == "\n".join(lines[1::2]) + "\n"
