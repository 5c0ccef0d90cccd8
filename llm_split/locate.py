"""Find the parts of a Hugging Face decoder-only causal LM generically.

Covers the Llama, Mistral, Qwen2, Gemma / Gemma 3 (``model.model.layers``), GPT-2
(``model.transformer.h``) and GPT-NeoX (``model.gpt_neox.layers``) layouts, and any model that
follows one of these naming schemes.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

_LAYER_NAMES = ("layers", "h", "layer", "blocks")
_NORM_NAMES = ("norm", "ln_f", "final_layer_norm", "final_layernorm", "norm_f")
_ROTARY_NAMES = ("rotary_emb", "rotary_embedding", "rope")


@dataclass
class ModelParts:
    """Where each part of the decoder stack lives.

    Attributes:
        base: the decoder stack module (``model.model``, ``model.transformer``, ``model.gpt_neox``).
        embeddings: the token embedding module.
        layers_attr: attribute of ``base`` holding the ``nn.ModuleList`` of decoder layers.
        layers: that list (length L).
        norm_attr: attribute of ``base`` holding the final norm.
        norm: the final norm applied after the last layer.
        lm_head: the output projection to the vocabulary.
        rotary: the rotary position embedding module, or None (GPT-2 has learned positions).
    """

    base: nn.Module
    embeddings: nn.Module
    layers_attr: str
    layers: nn.ModuleList
    norm_attr: str
    norm: nn.Module
    lm_head: nn.Module
    rotary: nn.Module | None


def _first_attr(module: nn.Module, names: tuple[str, ...], kind: type) -> str | None:
    for name in names:
        if isinstance(getattr(module, name, None), kind):
            return name
    return None


def locate(model: nn.Module) -> ModelParts:
    """Return the :class:`ModelParts` of a causal LM; ValueError if a part cannot be found."""
    base = getattr(model, "base_model", None)
    if base is None or base is model:
        raise ValueError(
            f"model: {type(model).__name__} has no separate base model; expected a *ForCausalLM "
            "with .model, .transformer or .gpt_neox"
        )
    layers_attr = _first_attr(base, _LAYER_NAMES, nn.ModuleList)
    norm_attr = _first_attr(base, _NORM_NAMES, nn.Module)
    lm_head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    missing = [n for n, v in (("decoder layers", layers_attr), ("final norm", norm_attr),
                              ("lm head", lm_head)) if v is None]
    if missing:
        raise ValueError(
            f"model: cannot find {', '.join(missing)} in {type(model).__name__}; looked for "
            f"layers in {_LAYER_NAMES} and norm in {_NORM_NAMES} on {type(base).__name__}"
        )
    rotary_attr = _first_attr(base, _ROTARY_NAMES, nn.Module)
    return ModelParts(
        base=base,
        embeddings=base.get_input_embeddings(),
        layers_attr=layers_attr,
        layers=getattr(base, layers_attr),
        norm_attr=norm_attr,
        norm=getattr(base, norm_attr),
        lm_head=lm_head,
        rotary=getattr(base, rotary_attr) if rotary_attr else None,
    )
