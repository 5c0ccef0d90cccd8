"""Evaluation text and its sliding windows.

Corpora (no download; read from the gensim wheel's test data without importing gensim):

* ``lee``: ``lee_background.cor``, 300 Australian news articles (about 76k SmolLM2 tokens).
* ``wiki``: the shortened English Wikipedia dump, markup stripped (106 articles).
* any other value: a path to a UTF-8 text file.
"""
from __future__ import annotations

import bz2
import importlib.util
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import torch

CORPORA = ("lee", "wiki")
_WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


def _test_data() -> Path:
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("corpus: the lee and wiki corpora need `pip install --no-deps gensim==4.4.0`")
    return Path(spec.submodule_search_locations[0]) / "test" / "test_data"


def _strip_wiki(text: str) -> str:
    """Plain prose from MediaWiki markup (good enough for perplexity, not a full parser)."""
    for _ in range(20):  # templates nest; strip innermost first
        text, n = re.subn(r"\{\{[^{}]*\}\}", "", text)
        if n == 0:
            break
    text = re.sub(r"\{\|.*?\|\}", "", text, flags=re.S)  # tables
    text = re.sub(r"<ref[^>]*/>|<ref.*?</ref>|<math.*?</math>|<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[\[(?:File|Image|Category):[^\[\]]*(?:\[\[[^\]]*\]\][^\[\]]*)*\]\]", "", text)
    text = re.sub(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]", r"\1", text)
    text = re.sub(r"\[https?://\S+ ([^\]]*)\]|\[https?://\S+\]", r"\1", text)
    text = re.sub(r"'{2,}|^=+\s*|\s*=+$|^[*#:;]+\s*", "", text, flags=re.M)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _wiki_text(path: Path) -> str:
    articles = []
    with bz2.open(path) as fh:
        for _, elem in ET.iterparse(fh):
            if elem.tag.endswith("}text") and elem.text and not elem.text.startswith("#REDIRECT"):
                articles.append(_strip_wiki(elem.text))
            elem.clear()
    return "\n\n".join(a for a in articles if a)


def load_text(corpus: str = "lee") -> str:
    """Text of ``corpus``: ``"lee"``, ``"wiki"`` or a path to a UTF-8 text file."""
    if corpus == "lee":
        return (_test_data() / "lee_background.cor").read_text(encoding="utf-8")
    if corpus == "wiki":
        return _wiki_text(_test_data() / _WIKI_FILE)
    path = Path(corpus).expanduser()
    if not path.is_file():
        raise ValueError(f"corpus: {corpus!r} is not one of {CORPORA} nor an existing text file")
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Window:
    """One evaluation window.

    Attributes:
        ids: token ids (tokens,), BOS first when the tokenizer has one.
        n_scored: the last ``n_scored`` tokens are scored (each predicted from all before it);
            earlier ones are context already scored by the previous window.
    """

    ids: torch.Tensor
    n_scored: int


def tokenize(text: str, tokenizer, max_tokens: int | None = None) -> torch.Tensor:
    """Token ids (tokens,) of ``text`` without special tokens, cut to ``max_tokens`` if given."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if max_tokens is not None:
        if max_tokens < 2:
            raise ValueError(f"max_tokens: {max_tokens!r} must be >= 2")
        ids = ids[:max_tokens]
    return torch.tensor(ids, dtype=torch.long)


def sliding_windows(ids: torch.Tensor, window: int, stride: int, bos_id: int | None = None) -> list[Window]:
    """Cut a token sequence into overlapping windows, each token scored exactly once.

    Args:
        ids: (tokens,) token ids.
        window: tokens per window (>= 2), not counting the BOS added in front.
        stride: step between window starts, 1..window; stride < window gives every scored token
            at least window - stride tokens of context.
        bos_id: token prepended to every window (its row acts as the attention sink), or None.
    """
    if window < 2:
        raise ValueError(f"window: {window!r} must be >= 2")
    if not 1 <= stride <= window:
        raise ValueError(f"stride: {stride!r} must be in 1..window ({window})")
    n = len(ids)
    out, prev_end = [], 0
    for begin in range(0, n, stride):
        end = min(begin + window, n)
        chunk = ids[begin:end]
        if bos_id is not None:
            chunk = torch.cat([torch.tensor([bos_id]), chunk])
        # Without BOS the first token of the text has nothing to be predicted from.
        scored = min(end - prev_end, len(chunk) - 1)
        out.append(Window(chunk, scored))
        prev_end = end
        if end == n:
            break
    return out
