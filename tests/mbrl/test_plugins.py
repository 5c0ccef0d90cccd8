"""cosim imports no mbrl module: mbrl plugs in through the layersplit.plugins entry point."""
import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_cosim_never_imports_mbrl():
    for path in sorted((ROOT / "cosim").glob("**/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "mbrl" or n.startswith("mbrl.") for n in names), (path, node.lineno)


def test_mbrl_plugs_in_through_its_entry_point(tmp_path):
    from importlib.metadata import entry_points

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["layersplit.plugins"]
    assert declared == {"mbrl": "mbrl.plugin"}
    assert {ep.name: ep.value for ep in entry_points(group="layersplit.plugins")} == declared  # installed so

    from cosim.cli import build_parser
    from cosim.run.dispatch import config_kind
    from cosim.plugins import policy_factory

    import mbrl.cli

    assert build_parser().parse_args(["train", "x.yaml"]).func is mbrl.cli._train
    cfg = tmp_path / "t.yaml"
    cfg.write_text("seed: 1\nsurrogate: {budget: 200}\n")
    assert config_kind(cfg) == "training"
    assert config_kind(ROOT / "examples" / "mbrl_interleave.yaml") == "training"  # base: + sections
    import mbrl.plugin

    assert policy_factory("agent") is mbrl.plugin._agent
    from cosim.config.checks import ConfigError

    with pytest.raises(ConfigError, match="split.policy: 'oracle' comes from a plugin"):
        policy_factory("oracle")
