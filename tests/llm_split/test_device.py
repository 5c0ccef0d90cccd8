"""model.device: auto | cpu | cuda. Tests run on the CPU; cuda's absence is simulated."""
import pytest
import torch

from llm_split.model import device_dtype, resolve_device


def test_device_resolution(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu" and resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="model.device: 'cuda' asked for, but torch sees no CUDA device"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="evaluator.device: 'tpu' is not one of auto, cpu, cuda"):
        resolve_device("tpu", "evaluator.device")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda" == resolve_device("cuda")
    assert device_dtype("float32", "cuda") == "bfloat16" and device_dtype("float32", "cpu") == "float32"


def test_configs_name_the_device_field(monkeypatch):
    from cosim.config.checks import ConfigError
    from cosim.session.config import parse_session
    from mbrl.evaluator import EvalConfig, RealEvaluator

    assert parse_session({"model": {"device": "auto"}}).model.device == "auto"
    assert parse_session({}).model.device == "cpu"
    with pytest.raises(ConfigError, match="model.device"):
        parse_session({"model": {"device": "gpu"}})
    with pytest.raises(ValueError, match="evaluator.device: 'gpu'"):
        EvalConfig(device="gpu")
    # the device is not part of a cached table's key unless it changes the numbers (bf16 on a GPU)
    assert EvalConfig(device="cpu").key() == EvalConfig().key()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="evaluator.device: 'cuda' asked for"):
        RealEvaluator(EvalConfig(device="cuda"))


def test_cpu_split_model_reports_its_device():
    from llm_split import SplitModel, load_model

    model, _ = load_model(device="cpu")
    assert SplitModel(model).device == torch.device("cpu")
