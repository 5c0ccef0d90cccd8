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
* :class:`CostModel`, :class:`DeviceProfile`, :data:`PROFILES`, :func:`measure_profile` - compute cost.
"""
from .codec import WIRE_DTYPES, Codec
from .corpus import Window, load_text, sliding_windows, tokenize
from .cost import PROFILES, CostModel, DeviceProfile, load_profile, measure_profile, save_profile
from .damage import (Damage, element_erasure, gaussian_noise, lost_from_fates, packet_erasure,
                     random_loss_map)
from .fill import FILL_MODES, fill_erased
from .locate import ModelParts, locate
from .model import DEFAULT_MODEL, default_cache_dir, load_model, random_like
from .perplexity import Evaluator, HiddenStateCache
from .split import SplitModel, SplitSession

__all__ = [
    "Codec", "CostModel", "DEFAULT_MODEL", "Damage", "DeviceProfile", "Evaluator", "FILL_MODES",
    "HiddenStateCache", "ModelParts", "PROFILES", "SplitModel", "SplitSession", "WIRE_DTYPES",
    "Window", "default_cache_dir", "element_erasure", "fill_erased", "gaussian_noise",
    "load_model", "load_profile", "load_text", "locate", "lost_from_fates", "measure_profile",
    "packet_erasure", "random_like", "random_loss_map", "save_profile", "sliding_windows", "tokenize",
]
