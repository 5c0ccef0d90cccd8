"""head(ids, k) + tail(hidden, k) reproduces the full model, in prefill and in decoding."""
import pytest
import torch
from transformers import (AutoModelForCausalLM, GemmaConfig, Gemma3TextConfig, GPT2Config,
                          GPTNeoXConfig, LlamaConfig, MistralConfig, Qwen2Config)

from llm_split import SplitModel, locate

_SMALL = dict(vocab_size=97, hidden_size=64, intermediate_size=128, num_hidden_layers=3,
              num_attention_heads=4)
TINY = {
    "llama": lambda: LlamaConfig(**_SMALL, num_key_value_heads=2),
    "mistral": lambda: MistralConfig(**_SMALL, num_key_value_heads=2, sliding_window=6),
    "qwen2": lambda: Qwen2Config(**_SMALL, num_key_value_heads=2),
    "gemma": lambda: GemmaConfig(**_SMALL, num_key_value_heads=2, head_dim=16),
    "gemma3": lambda: Gemma3TextConfig(
        **{**_SMALL, "num_hidden_layers": 4}, num_key_value_heads=2, head_dim=16, sliding_window=5,
        layer_types=["sliding_attention", "sliding_attention", "full_attention", "sliding_attention"]),
    "gpt2": lambda: GPT2Config(vocab_size=97, n_embd=64, n_layer=3, n_head=4, n_positions=64,
                               bos_token_id=0, eos_token_id=0),
    "gpt_neox": lambda: GPTNeoXConfig(**_SMALL),
}
EXPECTED_LAYOUT = {"gpt2": ("h", "ln_f", False), "gpt_neox": ("layers", "final_layer_norm", True)}


def _tiny(name):
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(TINY[name]()).eval()


def _decode(split, ids, k, prompt):
    sess = split.session(k)
    out = [split.tail(split.head(ids[:, :prompt], k, sess), k, sess)]
    for t in range(prompt, ids.shape[1]):
        out.append(split.tail(split.head(ids[:, t:t + 1], k, sess), k, sess))
    return torch.cat(out, dim=1)


@pytest.mark.parametrize("family", sorted(TINY))
def test_locate_finds_parts(family):
    model = _tiny(family)
    parts = locate(model)
    layers_attr, norm_attr, has_rotary = EXPECTED_LAYOUT.get(family, ("layers", "norm", True))
    assert (parts.layers_attr, parts.norm_attr) == (layers_attr, norm_attr)
    assert len(parts.layers) == model.config.num_hidden_layers
    assert (parts.rotary is not None) == has_rotary
    assert parts.lm_head is model.get_output_embeddings()


@pytest.mark.parametrize("family", sorted(TINY))
def test_head_tail_equals_full_every_k(family):
    split = SplitModel(_tiny(family))
    ids = torch.randint(0, 97, (2, 11), generator=torch.Generator().manual_seed(1))
    ref = split.full(ids)
    for k in range(split.n_layers + 1):
        hidden = split.head(ids, k)
        assert hidden.shape == (2, 11, 64)
        assert (split.tail(hidden, k) - ref).abs().max() < 1e-5, f"k={k}"


@pytest.mark.parametrize("family", sorted(TINY))
def test_decoding_with_kv_cache_equals_full(family):
    # 11 tokens exceed the sliding windows (5, 6) of mistral and gemma3, so those paths run too.
    split = SplitModel(_tiny(family))
    ids = torch.randint(0, 97, (1, 11), generator=torch.Generator().manual_seed(2))
    ref = split.full(ids)
    for k in range(split.n_layers + 1):
        assert (_decode(split, ids, k, prompt=4) - ref).abs().max() < 1e-4, f"k={k}"


def test_smollm2_head_tail_equals_full_every_k(smol_split):
    ids = torch.randint(0, 49152, (1, 16), generator=torch.Generator().manual_seed(3))
    ref = smol_split.full(ids)
    assert smol_split.n_layers == 30
    states = smol_split.head_states(ids, range(31))
    for k in range(smol_split.n_layers + 1):
        assert (smol_split.tail(states[k], k) - ref).abs().max() < 1e-3, f"k={k}"


@pytest.mark.parametrize("k", [0, 7, 30])
def test_smollm2_decoding_equals_full(smol_split, k):
    ids = torch.randint(0, 49152, (1, 12), generator=torch.Generator().manual_seed(4))
    ref = smol_split.full(ids)
    assert (_decode(smol_split, ids, k, prompt=8) - ref).abs().max() < 1e-3


def test_head_states_match_head(smol_split):
    ids = torch.randint(0, 49152, (1, 16), generator=torch.Generator().manual_seed(5))
    states = smol_split.head_states(ids, [0, 3, 30])
    assert sorted(states) == [0, 3, 30]
    for k, hidden in states.items():
        assert torch.equal(hidden, smol_split.head(ids, k))


def test_residual_stream_has_huge_channel(smol_split, smol):
    # Motivates the sink/protect options: dim 507 of the BOS row is orders above the rest.
    ids = torch.tensor([[smol[1].bos_token_id] + [100, 200, 300]])
    hidden = smol_split.head(ids, 15)[0]
    assert int(hidden[0].abs().argmax()) == 507
    assert hidden[0, 507].abs() > 100 * hidden[1:].abs().median()


@pytest.mark.parametrize("k", [-1, 31, 2.0])
def test_bad_k_raises(smol_split, k):
    with pytest.raises(ValueError, match="k: .* is not an integer in 0..30"):
        smol_split.head(torch.zeros(1, 3, dtype=torch.long), k)


def test_session_k_mismatch_and_bad_hidden(smol_split):
    sess = smol_split.session(3)
    with pytest.raises(ValueError, match="differs from the session's split point 3"):
        smol_split.head(torch.zeros(1, 3, dtype=torch.long), 4, sess)
    with pytest.raises(ValueError, match=r"hidden: shape \(1, 3, 8\)"):
        smol_split.tail(torch.zeros(1, 3, 8), 3)
