"""Text analysis of the Whoosh backend: English stems and stop words, folded accents, and
Chinese, Japanese, Korean and Thai text found by a query in the same script."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.models import Topic
from portal.search.analysis import (
    MAX_TOKEN_LENGTH,
    PrefixTokenizer,
    TextTokenizer,
    analyse,
    query_units,
    text_positions,
)
from portal.search.rebuild import rebuild_backend

pytestmark = pytest.mark.django_db

SENTENCES = {
    "zh": "人工智能安全评估需要独立的第三方审计。",
    "ja": "生成AIの安全性評価には、独立した第三者による監査が必要です。",
    "ko": "인공지능 안전성 평가에는 독립적인 제3자 감사가 필요합니다.",
    "th": "การประเมินความปลอดภัยของปัญญาประดิษฐ์ต้องมีการตรวจสอบจากบุคคลที่สาม",
}


@pytest.fixture
def topics(whoosh_backend):
    made = [
        Topic.objects.create(name="Evaluations of robustness", slug="robust", description="Stress testing models."),
        Topic.objects.create(name="Sécurité des systèmes", slug="securite", description="Défense en profondeur."),
        Topic.objects.create(
            name="Mixed language note", slug="mixed", description="Red teaming 红队测试 レッドチーム in practice."
        ),
    ]
    for code, sentence in SENTENCES.items():
        made.append(Topic.objects.create(name=f"Sentence {code}", slug=f"s-{code}", description=sentence))
    rebuild_backend(whoosh_backend)
    return made


def names(results):
    return {r.name for r in results}


def test_english_words_match_by_stem(whoosh_backend, topics):
    assert names(whoosh_backend.search("evaluation robust", Topic, operator="and")) == {"Evaluations of robustness"}
    assert names(whoosh_backend.search("testing", Topic)) == {"Evaluations of robustness"}


def test_stop_words_do_not_have_to_match(whoosh_backend, topics):
    assert names(whoosh_backend.search("the evaluations of the robustness", Topic, operator="and")) == {
        "Evaluations of robustness"
    }


def test_accents_are_folded_both_ways(whoosh_backend, topics):
    assert names(whoosh_backend.search("securite", Topic)) == {"Sécurité des systèmes"}
    assert names(whoosh_backend.search("DÉFENSE", Topic)) == {"Sécurité des systèmes"}


@pytest.mark.parametrize(
    ("code", "query"),
    [("zh", "安全评估"), ("zh", "审计"), ("ja", "安全性評価"), ("ja", "監査"), ("ko", "안전성"), ("th", "ความปลอดภัย")],
)
def test_query_in_a_script_without_spaces_finds_the_sentence(whoosh_backend, topics, code, query):
    assert names(whoosh_backend.search(query, Topic)) == {f"Sentence {code}"}


def test_cjk_query_must_match_as_a_contiguous_string(whoosh_backend, topics):
    # Both characters occur in the Chinese sentence, but never side by side in this order.
    assert names(whoosh_backend.search("审能", Topic)) == set()


def test_mixed_language_document_is_found_in_each_language(whoosh_backend, topics):
    for query in ("teaming", "红队", "レッドチーム"):
        assert names(whoosh_backend.search(query, Topic)) == {"Mixed language note"}, query


def test_autocomplete_matches_word_prefixes_without_stemming(whoosh_backend, topics):
    assert names(whoosh_backend.autocomplete("evaluat", Topic)) == {"Evaluations of robustness"}
    assert names(whoosh_backend.autocomplete("secu", Topic)) == {"Sécurité des systèmes"}


def test_analyser_output():
    assert analyse("The Evaluations of Robustness") == ["evalu", "robust"]
    assert analyse("Crème brûlée") == ["creme", "brule"]
    assert analyse("東京都") == ["東", "東京", "京", "京都", "都"]
    assert query_units("東京都 tower") == [("東京", "京都"), ("tower",)]


# Word forms: Snowball English stems, irregular forms, hyphenated words.


@pytest.mark.parametrize(
    "forms",
    [
        ("evaluate", "evaluates", "evaluating", "evaluated", "evaluation", "evaluations", "evaluator"),
        ("hallucinate", "hallucinated", "hallucinating", "hallucination", "hallucinations"),
        ("jailbreak", "jailbreaks", "jailbreaking", "jailbroken", "jailbroke"),
        ("die", "dies", "dying", "died"),
    ],
)
def test_forms_of_a_word_become_one_term(forms):
    assert {tuple(analyse(form)) for form in forms} == {tuple(analyse(forms[0]))}
    assert {tuple(query_units(form)[0]) for form in forms} == {tuple(analyse(forms[0]))}


@pytest.mark.parametrize(
    ("form", "base"),
    [
        ("jailbroken", "jailbreak"),
        ("jailbroke", "jailbreaking"),
        ("broken", "breaks"),
        ("broke", "break"),
        ("written", "writing"),
        ("wrote", "writes"),
        ("taken", "take"),
        ("took", "taking"),
        ("gave", "gives"),
        ("stolen", "stealing"),
        ("stole", "steals"),
        ("drove", "drive"),
        ("chosen", "choose"),
        ("chose", "choosing"),
        ("hidden", "hide"),
        ("withdrawn", "withdrawal"),
        ("overridden", "override"),
        ("shown", "showing"),
        ("children", "child"),
        ("women", "woman"),
        ("men", "man"),
        ("criteria", "criterion"),
    ],
)
def test_irregular_form_meets_its_base_word(form, base):
    assert analyse(form) == analyse(base)
    assert query_units(form) == query_units(base)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # Snowball keeps these apart where Porter merged them.
        ("general", "generate"),
        ("generality", "generation"),
        ("news", "new"),
        ("communism", "community"),
        ("arsenal", "arsenic"),
        # Snowball merges these; analysis.KEPT_APART gives the first its own term.
        ("university", "universe"),
        ("universities", "universal"),
        ("authority", "author"),
        ("authorities", "authors"),
        ("minorities", "minors"),
        # Irregular forms deliberately left out of analysis.IRREGULAR_FORMS.
        ("people", "personal"),
        ("given", "give"),
        ("driven", "driving"),
        ("founded", "find"),
    ],
)
def test_unrelated_words_keep_terms_of_their_own(one, other):
    assert analyse(one) != analyse(other)


def test_evaluating_and_evaluation_meet_without_porters_split():
    # Porter stemmed "evaluating" to "evaluat" but "evaluation" to "evalu"; Snowball gives "evalu".
    assert analyse("evaluating evaluation") == ["evalu", "evalu"]


def test_hyphenated_word_is_indexed_split_and_joined_at_the_first_part():
    expected = {"selfdriv": [0], "self": [0], "drive": [1], "car": [2]}
    assert text_positions("A self-driving car") == expected
    # The Unicode hyphen (and the non-breaking one, which NFKC makes a hyphen) are hyphens too.
    assert text_positions("A self\u2010driving car") == expected
    assert text_positions("A self\u2011driving car") == expected


def test_joined_form_of_a_hyphenated_word_is_analysed_like_a_word():
    assert text_positions("jail-broken") == {"jailbreak": [0], "jail": [0], "break": [1]}
    assert text_positions("state-of-the-art") == {"stateoftheart": [0], "state": [0], "art": [1]}
    # No part left (stop words): the joined form takes the position.
    assert text_positions("and-or rules") == {"andor": [0], "rule": [1]}


def test_identifiers_keep_their_parts_in_order_and_as_one_term():
    assert text_positions("CVE-2024-3094 in xz") == {
        "cve20243094": [0],
        "cve": [0],
        "2024": [1],
        "3094": [2],
        "xz": [3],
    }
    assert text_positions("doi 10.48550/arXiv.2310.02446") == {"doi": [0], "10.48550": [1], "arxiv.2310.02446": [2]}
    assert text_positions("GPT-4.5") == {"gpt4.5": [0], "gpt": [0], "4.5": [1]}


def test_hyphenated_query_word_matches_the_joined_term_or_the_phrase_of_its_parts():
    units = query_units("self-driving car")
    assert units == [("self", "drive"), ("car",)]
    assert [unit.joined for unit in units] == ["selfdriv", None]
    assert query_units("selfdriving") == [("selfdriv",)]
    assert query_units("self driving") == [("self",), ("drive",)]
    # When the parts are all stop words, only the joined form is left.
    assert [(unit, unit.joined) for unit in query_units("and-or")] == [(("andor",), None)]


def test_hyphenated_word_too_long_to_join_is_words_of_its_own():
    text = "alpha-bravo-charlie-delta-echo-foxtrot-golf-hotel-india-juliet-kilo"
    assert len(text) > MAX_TOKEN_LENGTH
    words = text.split("-")
    assert text_positions(text) == {term: [i] for i, term in enumerate(analyse(" ".join(words)))}
    assert [(unit, unit.joined) for unit in query_units(text)] == [((term,), None) for term in analyse(" ".join(words))]


def test_autocomplete_takes_the_parts_of_a_hyphenated_word_without_stems():
    assert query_units("self-driv", autocomplete=True) == [("self",), ("driv",)]
    assert set(text_positions("self-driving", prefix=True)) == {"s", "se", "sel", "self"} | {
        "driving"[:size] for size in range(1, 8)
    }


def _tokenizer_positions(value, prefix):
    tokenizer = PrefixTokenizer() if prefix else TextTokenizer()
    out = {}
    for token in tokenizer(value, positions=True):
        out.setdefault(token.text, []).append(token.pos)
    return out


PIECES = [
    "self", "driving", "jailbroken", "The", "of", "ÉVALUATION", "Tramèr", "naïve", "straße", "CVE", "2024",
    "10", "x" * 70, "東京都", "ปลอดภัย", "_", "-", "\u2010", "\u2011", "'", ".", " ", "  ", "\u2029", "\n",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join) | st.text(max_size=60))
def test_indexed_terms_are_the_tokenizers_terms(value):
    for prefix in (False, True):
        indexed = text_positions(value, prefix)
        assert indexed == _tokenizer_positions(value, prefix)
        # Whoosh stores positions as deltas: each term's positions rise.
        assert all(places == sorted(set(places)) for places in indexed.values())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([p for p in PIECES if p.isascii()]), max_size=30).map("".join))
def test_fast_ascii_path_gives_the_tokenizers_terms(value):
    assert value.isascii()
    for prefix in (False, True):
        assert text_positions(value, prefix) == _tokenizer_positions(value, prefix)
