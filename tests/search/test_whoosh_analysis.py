"""Text analysis of the Whoosh backend: English stems and stop words, folded accents, and
Chinese, Japanese, Korean and Thai text found by a query in the same script."""

import pytest

from portal.models import Topic
from portal.search.analysis import analyse, query_units
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
