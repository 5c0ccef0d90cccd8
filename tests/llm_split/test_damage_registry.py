"""A damage model registered from outside llm_split runs end to end: `layersplit profile` sweeps it
and the strata stratify on its units (docs/extending.md walks the same steps)."""
import argparse

import pandas as pd
import pytest
import torch

import llm_split.cli as cli
from llm_split import Damage
from llm_split.damage import registry
from llm_split.damage.strata import decisive_units


class RowErasure(registry.DamageModel):
    """Whole tokens lost: each row of the hidden state erased (zeroed) with probability p."""

    name, by_p, stratified = "row", True, True

    def apply(self, damage, hidden, generator, sink_row=None, forced=None):
        lost = torch.rand(hidden.shape[0], generator=generator) < damage.p
        for row, is_lost in (forced or {}).items():
            lost[row] = is_lost
        out = hidden.clone()
        out[lost.to(hidden.device)] = 0
        return out

    def units(self, damage, hidden, row, col):
        return [row]


@pytest.fixture
def row_erasure():
    model = registry.register(RowErasure())
    yield model
    registry.unregister("row")


def test_a_registered_damage_model_is_profiled(tmp_path, smol, row_erasure):
    parser = argparse.ArgumentParser(prog="layersplit")
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["profile", "--max-tokens", "48", "--window", "48", "--stride", "48", "--ks", "5",
                              "--ps", "0,0.3", "--modes", "row", "--seed", "1", "--max-seeds", "3",
                              "--out", str(tmp_path), "--no-progress"])
    assert args.func(args) == 0
    df = pd.read_csv(tmp_path / "profile.csv")
    assert set(df["mode"]) == {"row"} and len(df) == 2
    assert df[df.p == 0.3].ppl.iloc[0] > 1.5 * df[df.p == 0].ppl.iloc[0]  # losing a third of the tokens hurts


def test_a_registered_model_is_applied_and_stratified(row_erasure):
    h = torch.ones(6, 4)
    h[2, 1] = 1000.0  # the decisive element: its unit is its row
    d = Damage("row", 0.5)
    assert decisive_units(h, d, 2, 100.0) == (2,)
    out = d.apply(h, torch.Generator().manual_seed(0), forced={2: True})
    assert (out[2] == 0).all() and ((out == 0).all(1) | (out == h).all(1)).all()
    with pytest.raises(ValueError, match="mode: 'burst' is not one of none, element, packet, noise, row"):
        Damage("burst")
