"""Split LLM runtime: a causal LM cut at any layer between a UE and an edge server.

Public API:

* :func:`load_model`, :func:`random_like` - the bundled SmolLM2 (cached safetensors) or a local folder.
* :class:`SplitModel` - ``head(ids, k)`` / ``tail(hidden, k)``, decoding sessions with KV caches.
* :func:`locate` - generic discovery of embeddings, layers, norm, head, rotary module.
* :class:`Codec` - activations to packets and back with lost packets.
* :class:`Damage`, :func:`element_erasure`, :func:`packet_erasure`, :func:`gaussian_noise`,
  :func:`random_loss_map`, :func:`lost_from_fates`, :func:`fill_erased` - channel damage.
* :func:`load_text`, :func:`tokenize`, :func:`sliding_windows` - evaluation text.
* :class:`Evaluator`, :class:`HiddenStateCache` - perplexity per (k, damage) with cached heads.
* :func:`lossy_step`, :func:`lossy_batch`, :func:`wire_codec` - one lossy-inference step (encode,
  lose packets, rebuild with the fill, tail, NLL), shared by cosim and mbrl.
* :class:`CostModel`, :class:`DeviceProfile`, :data:`PROFILES`, :func:`measure_profile` - compute cost.
"""

from llm_split.lazy import lazy_exports

# Names load on first use (PEP 562): `import llm_split.cli` must not import torch (2 s, 280 MB).
_WHERE = {
    "WIRE_DTYPES": "wire.codec",
    "Codec": "wire.codec",
    "Window": "corpus",
    "load_text": "corpus",
    "sliding_windows": "corpus",
    "tokenize": "corpus",
    "PROFILES": "cost",
    "CostModel": "cost",
    "DeviceProfile": "cost",
    "load_profile": "cost",
    "measure_profile": "cost",
    "save_profile": "cost",
    "Damage": "damage.models",
    "element_erasure": "damage.models",
    "gaussian_noise": "damage.models",
    "lost_from_fates": "damage.models",
    "packet_erasure": "damage.models",
    "random_loss_map": "damage.models",
    "FILL_MODES": "wire.fill",
    "fill_erased": "wire.fill",
    "LossyResult": "lossy",
    "lossy_batch": "lossy",
    "lossy_step": "lossy",
    "wire_codec": "lossy",
    "ModelParts": "locate",
    "locate": "locate",
    "DEFAULT_MODEL": "model",
    "default_cache_dir": "model",
    "load_model": "model",
    "random_like": "model",
    "Evaluator": "perplexity",
    "HiddenStateCache": "perplexity",
    "SplitModel": "split",
    "DecodeSession": "split",
}
__all__ = [
    "Codec", "CostModel", "DEFAULT_MODEL", "Damage", "DeviceProfile", "Evaluator", "FILL_MODES",
    "HiddenStateCache", "LossyResult", "ModelParts", "PROFILES", "SplitModel", "DecodeSession", "WIRE_DTYPES",
    "Window", "default_cache_dir", "element_erasure", "fill_erased", "gaussian_noise",
    "load_model", "load_profile", "load_text", "locate", "lossy_batch", "lossy_step", "lost_from_fates",
    "measure_profile", "wire_codec",
    "packet_erasure", "random_like", "random_loss_map", "save_profile", "sliding_windows", "tokenize",
]


lazy_exports(__name__, _WHERE)
