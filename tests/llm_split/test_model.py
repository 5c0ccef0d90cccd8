"""Model loading: cached safetensors outside the repo, dtype options, errors."""
from pathlib import Path

import pytest
import torch

from llm_split import default_cache_dir, load_model
from llm_split.model import cache_folder


def test_cache_lives_outside_the_repo(monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERSPLIT_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    assert cache_folder("smollm2-135m", "bfloat16") == tmp_path / "models" / "smollm2-135m-bfloat16"
    monkeypatch.delenv("LAYERSPLIT_CACHE")
    repo = Path(__file__).resolve().parents[2]
    assert repo not in cache_folder().parents
    assert cache_folder(cache_dir=tmp_path / "x").parent == tmp_path / "x" / "models"


def test_loaded_model_shape(smol):
    model, tok = smol
    assert model.dtype == torch.float32 and model.config.num_hidden_layers == 30
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(134.5e6, rel=0.01)
    assert tok.bos_token_id is not None


def test_bfloat16_copy(smol):
    # Derived from the float32 cache (seconds); written atomically: no temporary folder remains.
    model, _ = load_model("smollm2-135m", "bfloat16")
    assert model.dtype == torch.bfloat16
    folder = cache_folder("smollm2-135m", "bfloat16")
    assert (folder / "model.safetensors").is_file()
    assert not [p for p in folder.parent.iterdir() if ".tmp-" in p.name]
    ids = torch.tensor([[1, 504, 3000]])
    ref = smol[0](ids).logits
    assert (model(ids).logits.float() - ref).abs().max() < 0.1 * ref.abs().max()


@pytest.mark.parametrize("kwargs, match", [
    (dict(dtype="float16"), r"dtype: 'float16' is not one of \['bfloat16', 'float32'\]"),
    (dict(name="/no/such/folder"), "model: '/no/such/folder' is neither 'smollm2-135m' nor a folder"),
])
def test_bad_model_options_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_model(**kwargs)


@pytest.mark.slow
def test_gguf_conversion_into_a_fresh_cache(tmp_path, smol):
    # The path every fresh machine takes once (~30-40 s): dequantise the GGUF, save, reload.
    model, _ = load_model("smollm2-135m", "float32", cache_dir=tmp_path)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["smollm2-135m-float32"]
    ids = torch.tensor([[1, 504, 3000, 12]])
    assert torch.equal(model(ids).logits, smol[0](ids).logits)
