"""Highlights mark the words the search matched: the same word forms as the index's analysis."""

from portal.services.highlights import highlight


def test_word_forms_the_search_matches_are_marked():
    marked = highlight("Models get jailbroken; jailbreaks persist after evaluating them.", ["jailbreak", "evaluation"])
    assert marked == (
        "Models get <mark>jailbroken</mark>; <mark>jailbreaks</mark> persist after <mark>evaluating</mark> them."
    )


def test_accents_fold_and_stop_words_are_not_marked():
    assert (
        highlight("The paper by Tramèr and the team.", ["the", "tramer"])
        == "The paper by <mark>Tramèr</mark> and the team."
    )
    assert highlight("The and of.", ["the", "of"]) is None


def test_text_is_escaped_and_words_that_only_share_a_beginning_are_not_marked():
    assert highlight("<b>universal</b> jailbreak at a university", ["university"]) == (
        "&lt;b&gt;universal&lt;/b&gt; jailbreak at a <mark>university</mark>"
    )
