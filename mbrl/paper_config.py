"""Configuration of the seed paper's own experiment (mbrl.paper): the schema is these dataclasses,
``examples/mbrl_paper.yaml`` only fills values. Sections: ``model``, ``channel``, ``env``,
``reward``, ``bank``, ``surrogate``, ``learners``, plus ``seed`` and ``threads``; unknown keys
and bad values are errors naming the key path (mbrl.config's strict reader).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cosim.config.checks import Int

from .config import EPOCHS, SEED, SHARE, STEP_SIZE, STEPS, THREADS, UNITS, _build, add_bounds, with_overrides
from .harness import STEP_SIZE_GRID
from .reward import RewardConfig, check_step_reward

CHANNEL_PROCESSES = ("episode", "walk")
OBS_FORMS = ("onehot", "scalar")
METHODS = ("mbrl_ppo", "ppo", "a2c", "dqn")
SURROGATE_FORMS = ("table", "mlp")
MAX_DECISIVE = 2  # per window; an evaluation of W windows holds 2^(decisive * W) strata
MAX_MASKS = 1000  # per cell: mask seeds 10_000 * seed + m must not reach the next seed's


def _decisive(key: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DECISIVE:
        raise ValueError(f"{key}: {value!r} must be an integer in 0..{MAX_DECISIVE} (decisive elements per window "
                         f"evaluated lost and kept: 2^decisive tail passes per window)")


def _ints(key: str, values, lo: int, hi: float, distinct: bool = True) -> None:
    if not values or any(not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi for v in values):
        raise ValueError(f"{key}: {list(values) if values else values!r} must be a non-empty list of integers "
                         f"in {lo}..{hi:g}")
    if distinct and len(set(values)) != len(values):
        raise ValueError(f"{key}: {list(values)} has repeated values")


@dataclass(frozen=True)
class ModelSection:
    """What one real evaluation runs. Args: name (mbrl.evaluator's models, e.g. smollm2-135m);
    dtype (float32 | bfloat16); corpus (lee | wiki | a text file); window (tokens per window,
    >= 2); windows (windows per evaluation, >= 1: one evaluation is the perplexity of these
    windows under one fresh mask); fill (zero: the paper's erased elements are 0)."""

    name: str = "smollm2-135m"
    dtype: str = "float32"
    corpus: str = "lee"
    window: int = 128
    windows: int = 2
    fill: str = "zero"

    def __post_init__(self):
        from llm_split.wire.fill import check_fill

        if self.dtype not in ("float32", "bfloat16"):
            raise ValueError(f"model.dtype: {self.dtype!r} is not one of float32, bfloat16")
        if not isinstance(self.window, int) or self.window < 2:
            raise ValueError(f"model.window: {self.window!r} must be an integer >= 2")
        if not isinstance(self.windows, int) or self.windows < 1:
            raise ValueError(f"model.windows: {self.windows!r} must be an integer >= 1")
        try:
            check_fill(self.fill)
        except ValueError as exc:
            raise ValueError(f"model.{exc}") from None


@dataclass(frozen=True)
class ChannelSection:
    """The channel's loss probability p, the state the agent reads. Args: ps (the grid of element
    loss probabilities in [0, 1], distinct); process (``episode``: p drawn uniformly from the
    grid at the start of an episode and held; ``walk``: also, then after each step p moves to a
    neighbouring grid value with probability ``walk_prob``)."""

    ps: tuple = (0.0, 0.01, 0.03, 0.05, 0.1, 0.2)
    process: str = "episode"
    walk_prob: float = 0.2

    def __post_init__(self):
        if not self.ps or any(isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1
                              for p in self.ps):
            raise ValueError(f"channel.ps: {list(self.ps)} must be a non-empty list of probabilities in [0, 1]")
        if len(set(self.ps)) != len(self.ps):
            raise ValueError(f"channel.ps: {list(self.ps)} has repeated values")
        if self.process not in CHANNEL_PROCESSES:
            raise ValueError(f"channel.process: {self.process!r} is not one of {', '.join(CHANNEL_PROCESSES)}")
        if not 0 <= self.walk_prob <= 1:
            raise ValueError(f"channel.walk_prob: {self.walk_prob!r} must be in [0, 1]")


@dataclass(frozen=True)
class EnvSection:
    """Args: ks (the split points the agent may use, ascending, within 0..L; null: every one);
    moves (the action set: position changes along ``ks``, the paper's keep or 1..4 either
    way); episode_len (steps, the paper's 5); obs (``onehot`` or ``scalar``: how the state (p, k)
    is shown to the learners, mbrl.paper_env)."""

    ks: tuple | None = None
    moves: tuple = (-4, -3, -2, -1, 0, 1, 2, 3, 4)
    episode_len: int = 5
    obs: str = "onehot"

    def __post_init__(self):
        if self.ks is not None:
            _ints("env.ks", self.ks, 0, 1e6)
            if list(self.ks) != sorted(self.ks):
                raise ValueError(f"env.ks: {list(self.ks)} must be ascending")
        if not self.moves or any(isinstance(m, bool) or not isinstance(m, int) for m in self.moves) \
                or 0 not in self.moves or len(set(self.moves)) != len(self.moves):
            raise ValueError(f"env.moves: {list(self.moves)} must be distinct integers including 0 (keep)")
        if not isinstance(self.episode_len, int) or self.episode_len < 1:
            raise ValueError(f"env.episode_len: {self.episode_len!r} must be an integer >= 1")
        if self.obs not in OBS_FORMS:
            raise ValueError(f"env.obs: {self.obs!r} is not one of {', '.join(OBS_FORMS)}")


@dataclass(frozen=True)
class PaperReward(RewardConfig):
    """mbrl.reward.RewardConfig with the paper's ratio quality term as the default."""

    quality: str = "ratio"


@dataclass(frozen=True)
class BankSection:
    """Precomputed real evaluations that the model-free learners draw from. Args: masks (fresh
    i.i.d. masks per damaged (p, k) cell, >= 2: their mean is the true expected reward that
    scores every policy, their spread the confidence interval); seed (mask seeds; the surrogate's
    fit never uses these masks); decisive (0: plain draws; 1: each entry the exact expectation
    over each window's largest element, evaluated lost and kept, the rest of the mask drawn:
    mbrl.paper_bank.real_eval)."""

    masks: int = 8
    seed: int = 0
    decisive: int = 1

    def __post_init__(self):
        if not isinstance(self.masks, int) or not 2 <= self.masks <= MAX_MASKS:
            raise ValueError(f"bank.masks: {self.masks!r} must be an integer in 2..{MAX_MASKS}")
        _decisive("bank.decisive", self.decisive)


@dataclass(frozen=True)
class ScoringSection:
    """The scoring data (issue 28: the truth is never training data). Args: windows_from (the
    first corpus window of the scoring bank's evaluations; null: right after the training
    windows, ``model.windows``; its windows must not overlap the training ones); seed (its mask
    seeds ``10_000 * seed + m``, never ``bank.seed``); masks (per damaged (p, k) cell: the
    scoring bank's mean is the true reward every policy is scored with). The training bank
    (``bank``) and the surrogate's fits read only the first ``model.windows`` windows."""

    windows_from: int | None = None
    seed: int = 1
    masks: int = 8

    def __post_init__(self):
        if self.windows_from is not None and (not isinstance(self.windows_from, int) or self.windows_from < 0):
            raise ValueError(f"scoring.windows_from: {self.windows_from!r} must be an integer >= 0 or null")
        if not isinstance(self.masks, int) or not 2 <= self.masks <= MAX_MASKS:
            raise ValueError(f"scoring.masks: {self.masks!r} must be an integer in 2..{MAX_MASKS}")


@dataclass(frozen=True)
class StepSizes:
    """Each learner's step size, chosen from ``learners.grid`` on training data
    (benchmarks/mbrl_paper_select.py)."""

    mbrl_ppo: float = 3e-4
    ppo: float = 3e-4
    a2c: float = 7e-4
    dqn: float = 1e-4

    def __post_init__(self):
        for m in METHODS:
            v = getattr(self, m)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                raise ValueError(f"learners.step_sizes.{m}: {v!r} must be a number in (0, 1]")


@dataclass(frozen=True)
class SurrogateSection:
    """The offline surrogate on (p, k). Args: form (``table``: k as a category, per k linear in p
    between the fitted p; ``mlp``: the paper's MLP on (p, k); mbrl.paper_bank.predict); ps, ks
    (the fit grid, subsets of channel.ps and env.ks; null: all of them); masks (real evaluations
    per damaged grid cell, each a fresh mask); hidden (units of the MLP's two hidden layers: the
    paper's 128); epochs (full-batch Adam steps); lr (the last three: mlp only); decisive (as
    bank.decisive, for the fit evaluations); refine, refine_top (after the first fit, the
    refine_top ks the surrogate rates best per fitted p get refine more masks each, then it is
    fitted again: mbrl.paper_bank.refine_evals; refine 0: none)."""

    form: str = "table"
    ps: tuple | None = None
    ks: tuple | None = None
    masks: int = 1
    hidden: int = 128
    epochs: int = 3000
    lr: float = 3e-3
    decisive: int = 1
    refine: int = 0
    refine_top: int = 3

    def __post_init__(self):
        _decisive("surrogate.decisive", self.decisive)
        if self.form not in SURROGATE_FORMS:
            raise ValueError(f"surrogate.form: {self.form!r} is not one of {', '.join(SURROGATE_FORMS)}")
        for key in ("masks", "hidden", "epochs"):
            if not isinstance(getattr(self, key), int) or getattr(self, key) < 1:
                raise ValueError(f"surrogate.{key}: {getattr(self, key)!r} must be an integer >= 1")
        if not self.lr > 0:
            raise ValueError(f"surrogate.lr: {self.lr!r} must be > 0")


@dataclass(frozen=True)
class LearnersSection:
    """Args: methods (any of mbrl_ppo, ppo, a2c, dqn); timesteps (environment steps each,
    the same budget for every method); eval_every (steps between learning-curve points);
    heldout_episodes (fixed test episodes, drawn from ``heldout_seed``, never from a training
    seed); gamma; hidden (units of the two hidden layers of every policy); n_steps (PPO's
    rollout length; PPO's curve points fall on its multiples; A2C and DQN keep SB3's defaults);
    step_sizes (each learner's step size: mbrl_ppo, ppo, a2c, dqn); grid (the step sizes the
    selection script tries, the same for every learner); own_episodes (training episodes, drawn
    from ``seed``, on which each learner scores its own checkpoints and the best fixed split is
    chosen, with the learner's own data); norm_reward (every learner's rewards divided by a running estimate of their spread, SB3
    VecNormalize, observations untouched: the ratio reward spans -105..1 here, and on that
    scale PPO's value loss takes its gradient-norm clip from the policy)."""

    methods: tuple = METHODS
    timesteps: int = 20_000
    eval_every: int = 1_000
    heldout_episodes: int = 300
    heldout_seed: int = 12345
    gamma: float = 0.9
    hidden: int = 64
    n_steps: int = 1024
    step_sizes: StepSizes = field(default_factory=StepSizes)
    grid: tuple = STEP_SIZE_GRID
    own_episodes: int = 300
    norm_reward: bool = True

    def __post_init__(self):
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods or len(set(self.methods)) != len(self.methods):
            raise ValueError(f"learners.methods: {list(self.methods)} must be distinct values of {', '.join(METHODS)}")
        for key in ("timesteps", "eval_every", "heldout_episodes", "hidden", "n_steps", "own_episodes"):
            if not isinstance(getattr(self, key), int) or getattr(self, key) < 1:
                raise ValueError(f"learners.{key}: {getattr(self, key)!r} must be an integer >= 1")
        if not 0 <= self.gamma <= 1:
            raise ValueError(f"learners.gamma: {self.gamma!r} must be in [0, 1]")
        if not self.grid or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1
                                for v in self.grid):
            raise ValueError(f"learners.grid: {list(self.grid)} must be a non-empty list of numbers in (0, 1]")


@dataclass(frozen=True)
class PaperConfig:
    seed: int = 0
    threads: int = 1
    model: ModelSection = field(default_factory=ModelSection)
    channel: ChannelSection = field(default_factory=ChannelSection)
    env: EnvSection = field(default_factory=EnvSection)
    reward: PaperReward = field(default_factory=PaperReward)
    bank: BankSection = field(default_factory=BankSection)
    surrogate: SurrogateSection = field(default_factory=SurrogateSection)
    learners: LearnersSection = field(default_factory=LearnersSection)
    scoring: ScoringSection = field(default_factory=ScoringSection)

    def __post_init__(self):
        if not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(f"threads: {self.threads!r} must be an integer >= 1")
        check_step_reward(self.reward)
        if self.scoring_first_window < self.model.windows:
            raise ValueError(f"scoring.windows_from: {self.scoring.windows_from} overlaps the training windows "
                             f"0..{self.model.windows - 1} (model.windows); it must be >= {self.model.windows}")
        if self.scoring.seed == self.bank.seed:
            raise ValueError(f"scoring.seed: {self.scoring.seed} is bank.seed: the scoring bank needs masks of its own")
        s = self.surrogate
        if s.ps is not None and (not s.ps or set(s.ps) - set(self.channel.ps)):
            raise ValueError(f"surrogate.ps: {list(s.ps)} must be a non-empty subset of channel.ps "
                             f"{list(self.channel.ps)}")
        if s.ks is not None and self.env.ks is not None and (not s.ks or set(s.ks) - set(self.env.ks)):
            raise ValueError(f"surrogate.ks: {list(s.ks)} must be a non-empty subset of env.ks {list(self.env.ks)}")

    @property
    def scoring_first_window(self) -> int:
        return self.model.windows if self.scoring.windows_from is None else self.scoring.windows_from


# Both bounds of every number (mbrl.config's bounds: one-line errors naming the key and the range,
# e.g. 'surrogate.masks: 1000000000 must be <= 1000 (allowed: 1 <= x <= 1000)', where the
# value once reached numpy as an allocation of terabytes). Masks are per cell: MAX_MASKS keeps a
# seed's mask seeds 10_000 * seed + m from reaching the next seed's, and MASK_SEED keeps them
# within 2^31.
MASK_SEED = Int(0, 100_000)
WINDOWS = Int(1, 100_000)
add_bounds(ModelSection, window=Int(2, 8192), windows=WINDOWS)
add_bounds(ChannelSection, ps=SHARE, walk_prob=SHARE)
add_bounds(EnvSection, ks=Int(0, 10_000), moves=Int(-10_000, 10_000), episode_len=Int(1, 100_000))
add_bounds(BankSection, masks=Int(2, MAX_MASKS), seed=MASK_SEED, decisive=Int(0, MAX_DECISIVE))
add_bounds(ScoringSection, windows_from=Int(0, 100_000), seed=MASK_SEED, masks=Int(2, MAX_MASKS))
add_bounds(StepSizes, **{m: STEP_SIZE for m in METHODS})
add_bounds(SurrogateSection, masks=Int(1, MAX_MASKS), hidden=UNITS, epochs=EPOCHS, lr=STEP_SIZE,
           decisive=Int(0, MAX_DECISIVE), refine=Int(0, MAX_MASKS), refine_top=Int(1, 10_000))
add_bounds(LearnersSection, timesteps=STEPS, eval_every=STEPS, heldout_episodes=Int(1, 1_000_000), heldout_seed=SEED,
           gamma=SHARE, hidden=UNITS, n_steps=Int(1, 10_000_000), grid=STEP_SIZE, own_episodes=Int(1, 1_000_000))
add_bounds(PaperConfig, seed=SEED, threads=THREADS)


def parse_paper_config(raw: dict) -> PaperConfig:
    """PaperConfig from a mapping (parsed YAML); ValueError names the bad key."""
    return _build(PaperConfig, raw or {}, "")


def load_paper_config(path: str | Path) -> PaperConfig:
    """PaperConfig from a YAML file, read strictly (cosim.config.checks.load_yaml)."""
    from cosim.config.checks import load_yaml

    return parse_paper_config(load_yaml(path, "paper experiment"))


def with_paper_overrides(cfg: PaperConfig, overrides: dict) -> PaperConfig:
    """cfg with some sections' fields replaced (``{"seed": 2, "learners": {"timesteps": 500}}``)."""
    return with_overrides(cfg, overrides)
