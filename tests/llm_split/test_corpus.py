"""Corpora load without importing gensim; sliding windows score every token exactly once."""
import pytest
import torch

from llm_split import load_text, sliding_windows


def test_lee_and_wiki_are_plain_english():
    lee = load_text("lee")
    assert 50_000 < len(lee.split()) < 70_000
    wiki = load_text("wiki")
    assert "Anarchism" in wiki[:200]
    assert 300_000 < len(wiki.split()) < 600_000
    # A few malformed templates survive; markup must be rare, not absent.
    assert wiki.count("{{") + wiki.count("[[") + wiki.count("<ref") < 50


def test_text_file_and_bad_corpus(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("hello world")
    assert load_text(str(f)) == "hello world"
    with pytest.raises(ValueError, match=r"corpus: 'nope' is not one of \('lee', 'wiki'\)"):
        load_text("nope")


@pytest.mark.parametrize("window, stride", [(10, 10), (10, 4), (7, 1)])
def test_windows_score_each_token_once(window, stride):
    ids = torch.arange(100, 133)
    wins = sliding_windows(ids, window, stride, bos_id=1)
    assert sum(w.n_scored for w in wins) == len(ids)
    scored = torch.cat([w.ids[-w.n_scored:] for w in wins])
    assert torch.equal(scored, ids)
    assert all(w.ids[0] == 1 and len(w.ids) <= window + 1 for w in wins)


@pytest.mark.parametrize("window, stride, match", [(1, 1, "window: 1 must be >= 2"),
                                                   (8, 9, r"stride: 9 must be in 1..window \(8\)")])
def test_bad_windows_raise(window, stride, match):
    with pytest.raises(ValueError, match=match):
        sliding_windows(torch.arange(20), window, stride)
