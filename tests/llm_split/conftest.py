"""Shared fixtures: the bundled SmolLM2 loaded once per session and a few short Lee windows."""
import pytest
import torch

from llm_split import Evaluator, SplitModel, load_model, load_text, sliding_windows, tokenize

WINDOW = 128


@pytest.fixture(scope="session")
def smol():
    """(model, tokenizer) of SmolLM2-135M in float32; the first run converts the GGUF (~30 s)."""
    torch.manual_seed(0)
    return load_model("smollm2-135m", "float32")


@pytest.fixture(scope="session")
def smol_split(smol):
    return SplitModel(smol[0])


@pytest.fixture(scope="session")
def lee_windows(smol):
    ids = tokenize(load_text("lee"), smol[1], max_tokens=2 * WINDOW)
    return sliding_windows(ids, WINDOW, WINDOW, smol[1].bos_token_id)


@pytest.fixture(scope="session")
def evaluator(smol_split, lee_windows):
    return Evaluator(smol_split, lee_windows, ks=[0, 1, 5, 15, 29, 30])


@pytest.fixture(scope="session")
def clean_ppl(evaluator):
    """Perplexity of the unsplit model on ``lee_windows``."""
    return evaluator.full_perplexity()
