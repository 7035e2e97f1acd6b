from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from whoosh import query as q
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser

from search.index.schema import AnalyzedText
from search.query.language import Term
from search.text.analysis import (
    BigramTokenizer,
    JiebaTokenizer,
    bigram_analyzer,
    load_stopwords,
    word_analyzer,
)
from search.text.normalize import index_serial, normalize, normalize_doc_number
from search.text.segmenter import fast_segmenter, read_dictionary, reference_segmenter


def tokens(analyzer, text: str, mode: str = "index") -> list[tuple[str, int, int, int]]:
    return [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in analyzer(text, positions=True, chars=True, mode=mode)
    ]


def test_normalisation_folds_width_case_and_script_keeping_length() -> None:
    text = "政府資訊公開ＡＢＣ１２３　ＰＭ２．５"
    folded = normalize(text)
    assert folded == "政府资讯公开abc123 pm2.5"
    assert len(folded) == len(text)


def test_doc_numbers_have_one_spelling() -> None:
    forms = ["阳政发〔2021〕3号", "阳政发[2021]3号", "阳政发(2021)3号", "阳政发（２０２１）３号"]
    assert {normalize_doc_number(f) for f in forms} == {"阳政发〔2021〕3号"}


def test_an_index_numbers_year_and_serial_are_its_ending() -> None:
    assert index_serial("11140522K03478216C405/2021-00259") == "2021-00259"
    assert index_serial("11140522MB1957633N-2022-000031") == "2022-000031"
    assert index_serial("IDX-1") == index_serial("") == index_serial("2021-00259") == ""
    assert index_serial("11140522MB1957633N/2019-2020") == ""  # a range of years
    assert Term("2019-2020").index_serial is None and Term("2021-00033").index_serial


def test_query_mode_positions_count_words() -> None:
    result = tokens(word_analyzer(), "阳城县科学技术局2020年度法治", mode="query")
    assert result == [
        ("阳城县", 0, 0, 3),
        ("科学技术局", 1, 3, 8),
        ("2020", 2, 8, 12),
        ("年度", 3, 12, 14),
        ("法治", 4, 14, 16),
    ]


def test_index_mode_adds_subwords_at_their_words_position() -> None:
    text = "中华人民共和国民法典"
    result = tokens(word_analyzer(), text)
    by_text = {t: (pos, start, end) for t, pos, start, end in result}
    assert by_text["中华人民共和国"] == (0, 0, 7)
    assert by_text["人民"] == (0, 2, 4)
    assert by_text["共和国"] == (0, 4, 7)
    assert by_text["民法典"] == (1, 7, 10)
    assert by_text["民法"] == (1, 7, 9)
    for word, _, start, end in result:
        assert text[start:end] == word


def test_a_subword_that_straddles_two_parts_of_its_word_is_not_indexed() -> None:
    """民法 is in 人民法院's characters, not in its words (人民 | 法院); 民法典 has it."""

    def words(text: str) -> set[str]:
        return {t for t, *_ in tokens(word_analyzer(), text)}

    assert {"人民", "法院"} <= words("人民法院") and "民法" not in words("人民法院")
    assert {"人民", "政府"} <= words("人民政府") and "民政" not in words("人民政府")
    assert "民法" in words("民法典")
    nation = words("中华人民共和国")
    assert {"中华", "人民", "共和国", "中华人民", "人民共和国"} <= nation
    assert "华人" not in nation
    # 小学 straddles 中小 | 学校, but not 中小学, a word around it: schools are primary schools
    assert {"小学", "中小学", "学校"} <= words("中小学校")


def test_offsets_point_into_the_original_text() -> None:
    text = "  第一條　政府資訊公開，ＰＭ２．５濃度下降。"
    for word, _, start, end in tokens(word_analyzer(), text):
        assert normalize(text[start:end]) == word
    for gram, _, start, end in tokens(bigram_analyzer(), text):
        assert normalize(text[start:end]) == gram


def test_start_pos_and_start_char_are_honoured() -> None:
    result = [
        (t.text, t.pos, t.startchar)
        for t in word_analyzer()(
            "法治政府", positions=True, chars=True, start_pos=10, start_char=100, mode="query"
        )
    ]
    assert result == [("法治政府", 10, 100)]


def test_stop_words_do_not_break_positions() -> None:
    words = tokens(word_analyzer(), "营商的环境", mode="query")
    assert [(w, p) for w, p, *_ in words] == [("营商", 0), ("环境", 1)]


def test_stop_list_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = tmp_path / "stop.txt"
    custom.write_text("# mine\n环境\n", "utf-8")
    monkeypatch.setenv("GOVSEARCH_STOPWORDS", str(custom))
    assert load_stopwords() == frozenset({"环境"})
    assert JiebaTokenizer() != JiebaTokenizer(frozenset())


def test_latin_words_and_numbers_are_kept_whole_without_stemming() -> None:
    words = [w for w, *_ in tokens(word_analyzer(), "Policies 2022-03-15 PM2.5", mode="query")]
    assert words == ["policies", "2022", "03", "15", "pm2.5"]


def test_bigrams_are_positioned_by_character_offset() -> None:
    result = tokens(bigram_analyzer(), "营商环境，县2021年", mode="query")
    assert result == [
        ("营商", 0, 0, 2),
        ("商环", 1, 1, 3),
        ("环境", 2, 2, 4),
        ("县", 5, 5, 6),
        ("2021", 6, 6, 10),
        ("年", 10, 10, 11),
    ]


def test_the_index_holds_each_character_once_at_its_offset_beside_the_pairs() -> None:
    text = "减税降费，县2021年税"
    result = tokens(bigram_analyzer(), text)
    assert result == [
        ("减", 0, 0, 1),
        ("减税", 0, 0, 2),
        ("税", 1, 1, 2),
        ("税降", 1, 1, 3),
        ("降", 2, 2, 3),
        ("降费", 2, 2, 4),
        ("费", 3, 3, 4),  # the run's last character, in no pair of its own
        ("县", 5, 5, 6),  # a lone character, once
        ("2021", 6, 6, 10),
        ("年", 10, 10, 11),
        ("年税", 10, 10, 12),
        ("税", 11, 11, 12),
    ]
    characters = [t for t in result if len(t[0]) == 1]
    assert [c for c, *_ in characters] == [c for c in text if "\u4e00" <= c <= "\u9fff"]
    assert all(text[start:end] == c for c, _, start, end in characters)
    # a bigram phrase still sees its pairs at consecutive offsets
    ix = _index(["围绕减税降费政策"])
    with ix.searcher() as searcher:
        assert len(searcher.search(q.Phrase("body_bigram", ["减税", "税降", "降费"]))) == 1
        assert len(searcher.search(q.Term("body_bigram", "税"))) == 1


def test_tokenize_false_yields_the_whole_value() -> None:
    assert [t.text for t in BigramTokenizer()("政府資訊", tokenize=False)] == ["政府资讯"]


def test_domain_dictionary_is_loaded_into_both_segmenters() -> None:
    entries = read_dictionary()
    assert len(entries) > 50
    for entry in entries[:20]:
        assert fast_segmenter().cut(entry.word) == [entry.word]
        assert reference_segmenter().lcut(entry.word) == [entry.word]


def test_rjieba_agrees_with_jieba_on_the_sample_corpus() -> None:
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    runs = [
        run
        for path in corpus.rglob("*.txt")
        for run in re.findall(r"[\u4e00-\u9fff]+", path.read_bytes().decode("utf-8", "ignore"))
    ]
    assert len(runs) > 300
    fast, reference = fast_segmenter(), reference_segmenter()
    for run in runs:
        assert fast.tokenize(run, mode="search") == [
            tuple(t) for t in reference.tokenize(run, mode="search")
        ], run


def _index(texts: list[str]) -> RamStorage:
    schema = Schema(
        id=ID(stored=True),
        body=TEXT(analyzer=word_analyzer(), chars=True),
        body_bigram=TEXT(analyzer=bigram_analyzer(), phrase=True),
    )
    storage = RamStorage()
    ix = storage.create_index(schema)
    with ix.writer() as writer:
        for number, text in enumerate(texts):
            writer.add_document(id=str(number), body=text, body_bigram=text)
    return ix


def test_phrase_queries_find_exactly_the_adjacent_words() -> None:
    ix = _index(
        [
            "加快建设现代化产业体系",  # adjacent
            "推进现代化建设，发展产业",  # both words, apart
            "中华人民共和国民法典施行",  # sub-words inside a longer word
        ]
    )
    parser = QueryParser("body", ix.schema)
    with ix.searcher() as searcher:

        def ids(text: str) -> set[str]:
            return {hit["id"] for hit in searcher.search(parser.parse(text))}

        assert ids('"现代化 产业"') == {"0"}
        assert ids("现代化 产业") == {"0", "1"}
        assert ids('"共和国 民法典"') == {"2"}
        assert ids('"民法典 施行"') == {"2"}


def test_bigram_phrase_finds_text_cut_mid_word() -> None:
    ix = _index(["县科技局坚持以习近平新时代中国特色社会主义思想为指导", "新的时代"])
    with ix.searcher() as searcher:
        # "技局坚持以习" cuts 科技局 and 习近平 in the middle: no word query can match it.
        grams = ["技局", "局坚", "坚持", "持以", "以习"]
        hits = searcher.search(q.Phrase("body_bigram", grams))
        assert [hit["id"] for hit in hits] == ["0"]
        assert len(searcher.search(q.Phrase("body_bigram", ["时代", "代中"]))) == 1


def test_phrase_hits_equal_substring_counts_on_real_text(shared_corpus: Path) -> None:
    """On real documents a quoted phrase finds every text that contains it.

    It may also find a text where the last word is the tail of a longer word (有关 主管部门
    for "有关 部门"): sub-words share their word's position, the price of finding them.
    """
    rng = random.Random(3)
    paths = sorted(shared_corpus.glob("*.txt"))
    texts = [p.read_text("utf-8").split("\n", 4)[4][:4000] for p in rng.sample(paths, 60)]
    ix = _index(texts)
    parser = QueryParser("body", ix.schema)
    with ix.searcher() as searcher:
        for phrase in ("人民政府", "有关部门", "社会主义", "行政处罚", "法律责任", "监督管理"):
            words = " ".join(w for w, *_ in tokens(word_analyzer(), phrase, mode="query"))
            hits = searcher.search(parser.parse(f'"{words}"'), limit=None)
            found = {int(hit["id"]) for hit in hits}
            expected = {i for i, text in enumerate(texts) if phrase in normalize(text)}
            assert expected, phrase
            assert expected <= found, phrase
            if len(words.split()) == 1:
                assert found == expected, phrase


def test_the_characters_added_inside_pairs_leave_a_fields_length_as_it_was() -> None:
    """BM25 divides by a field's length: the characters indexed beside their pairs are found,
    but a section is as long as its pairs (and lone characters) make it, as before them."""
    schema = Schema(
        id=ID(stored=True),
        body=AnalyzedText(analyzer=word_analyzer(), stored=True, chars=True),
        body_bigram=AnalyzedText(analyzer=bigram_analyzer(), phrase=True),
    )
    ix = RamStorage().create_index(schema)
    text = "减税降费，县2021年缴税"
    with ix.writer() as writer:
        writer.add_document(id="0", body=text, body_bigram=text)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        pairs = tokens(bigram_analyzer(), text, mode="query")
        assert reader.doc_field_length(0, "body_bigram") == len(pairs) == 7
        assert reader.doc_field_length(0, "body") == len(tokens(word_analyzer(), text))
        assert searcher.search(q.Term("body_bigram", "税")).scored_length() == 1
        assert searcher.search(q.Term("body_bigram", "缴")).scored_length() == 1
