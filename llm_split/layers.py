"""How many decoder layers a model has, known before its weights load: a session's split points
(``split.k``, ``split.table``) are checked against it when the config is validated, so a k the model
does not have is refused before ns-3 starts. No torch here (checking a config must stay cheap)."""

from __future__ import annotations

import json
from pathlib import Path

# The bundled model's (llm_split.model.DEFAULT_MODEL): SmolLM2-135M's num_hidden_layers. Before its
# first use it exists only as a GGUF file, whose header is not worth parsing for one number.
BUNDLED_LAYERS = {"smollm2-135m": 30}
# Hugging Face configs name the count so (Llama, Qwen, ...; GPT-2; some others).
_KEYS = ("num_hidden_layers", "n_layer", "num_layers")


def layer_count(name: str) -> int | None:
    """Layers of model ``name`` (the bundled name or a Hugging Face folder, as llm_split.model
    takes it) from its config.json; None when it does not say (checked once the model loads)."""
    if name in BUNDLED_LAYERS:
        return BUNDLED_LAYERS[name]
    try:
        config = json.loads((Path(name).expanduser() / "config.json").read_text())
    except (OSError, ValueError):
        return None
    for scope in (config, config.get("text_config")) if isinstance(config, dict) else ():
        for key in _KEYS:
            value = scope.get(key) if isinstance(scope, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None
