"""Training configuration: the schema is these dataclasses; YAML files only fill values.

Sections: ``traces`` (mbrl.traces.TraceConfig), ``evaluator`` (mbrl.evaluator.EvalConfig),
``reward`` (mbrl.reward.RewardConfig), ``surrogate`` (mbrl.surrogate.SurrogateConfig), ``env``,
``ppo``, ``model_free``, ``table`` (below), plus ``seed`` and ``threads``. Unknown keys are errors that
name the key path and the allowed keys.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cosim.config.checks import MAX_DURATION_S, Field, Int, Num

from .env import ACTION_MODES
from .evaluator import EvalConfig
from .reward import RewardConfig, check_step_reward, resolve_objective
from .surrogate import SurrogateConfig
from .traces import TraceConfig

# ----------------------------------------------------------------------------- bounds
# Every number of every section has both bounds, checked by the scenario files' own parsers
# (cosim.config.checks), so a message reads 'ppo.learning_rate: -0.1 must be > 0 (allowed:
# 0 < x <= 1)': an unbounded field is how a typo becomes a run that never ends, runs out of
# memory or fails deep inside torch naming no key. Keyed by the class that declares the field (a
# subclass finds its base's), so sections shared with the paper's config (reward) are bounded
# once; a list field's bound applies to each item. mbrl.paper_config adds its sections'.
SEED = Int(0, 2**31 - 1)
SCENARIO_SEED = Int(1, 2**31 - 1)  # cosim.config.checks.COMMON_TOP's seed: the traces' runs take it
THREADS = Int(1, 1024)
STEP_SIZE = Num(0, 1, lo_open=True)
SHARE = Num(0, 1)
WEIGHT = Num(0, 1e6)
UNITS = Int(1, 65_536)  # hidden units of a layer
STEPS = Int(1, 1_000_000_000)  # environment steps
EPOCHS = Int(1, 1_000_000)
BOUNDS: dict[type, dict[str, Field]] = {}


def add_bounds(cls: type, **fields: Field) -> None:
    """Registers the bounds of ``cls``'s numeric fields (a parser of cosim.config.checks each)."""
    BOUNDS.setdefault(cls, {}).update(fields)


def bound_of(cls: type, name: str) -> Field | None:
    for klass in cls.__mro__:
        if name in BOUNDS.get(klass, {}):
            return BOUNDS[klass][name]
    return None


def _value(cls: type, name: str, annotation: str, v: Any, where: str) -> Any:
    """``v`` if it fits field ``name`` of ``cls``: within its bounds where it has some (their parser
    checks the type too, and its message names ``where`` and the range), else of the annotation's
    type (:func:`_checked`). The value is kept as written (10, not 10.0: configs are saved and
    hashed as given)."""
    bound = bound_of(cls, name)
    if bound is None or v is None:
        return _checked(where, annotation, v)
    bound(where, v)
    return v


add_bounds(TraceConfig, train_seeds=SCENARIO_SEED, test_seeds=SCENARIO_SEED, duration_s=Num(1.5, MAX_DURATION_S),
           period_ms=Num(50, 3_600_000), deadline_ms=Num(1, 3_600_000))
add_bounds(EvalConfig, prompt_tokens=Int(8, 8192), n_windows=Int(1, 1_000_000),
           payload_bytes=Int(1, 1400), protect=Int(0, 1_000_000))
add_bounds(RewardConfig, a=WEIGHT, b=WEIGHT, latency_weight=WEIGHT, switch_weight=WEIGHT,
           energy_weight=WEIGHT, miss_weight=WEIGHT,
           quality_floor=Num(-1e6, 0))
add_bounds(SurrogateConfig, members=Int(2, 1000), hidden=Int(4, 65_536), epochs=EPOCHS, lr=STEP_SIZE,
           budget=Int(2, 10_000_000), init=Int(2, 10_000_000), batch=Int(1, 10_000_000), seed=SEED,
           beta=Num(0, 1000), columns=Int(1, 100_000))


@dataclass(frozen=True)
class EnvConfig:
    """Args: action_mode (moves | direct); episode_len (decisions, >= 1); start_k (0..L, the
    held-out episodes' and a session's first split; null = random in training); damaged_share
    (null, or the share of damaged states in training episodes of one decision, with importance
    weights that keep the objective the plain mean reward: mbrl.env)."""

    action_mode: str = "moves"
    episode_len: int = 20
    start_k: int = 15
    damaged_share: float | None = None

    def __post_init__(self):
        if self.action_mode not in ACTION_MODES:
            raise ValueError(f"env.action_mode: {self.action_mode!r} is not one of {', '.join(ACTION_MODES)}")


@dataclass(frozen=True)
class PPOConfig:
    """stable-baselines3 PPO settings.

    Args:
        timesteps: environment steps (>= n_steps).
        n_steps: rollout length per update; batch_size: minibatch (divides n_steps ideally).
        learning_rate, ent_coef, gamma: as in SB3 (gamma low: the channel does not follow the
            action, only the switching term links steps).
        hidden: units of the two hidden layers of policy and value nets.
        n_epochs: passes over each rollout.
        norm_reward: divide rewards by a running estimate of their spread (SB3 VecNormalize,
            observations untouched): rewards here span about -105..4, and the value loss on that
            scale takes nearly all of PPO's gradient-norm clip (0.5) from the policy.
        eval_every: environment steps between checks (learning curve points).
        seeds: PPO runs from different seeds (MBRL only: they cost no real evaluation).
        select_best: deploy the checkpoint that scored best on the learner's own reward source
            over the train states (mbrl.train), not the last one.
    """

    timesteps: int = 30_000
    n_steps: int = 512
    batch_size: int = 128
    learning_rate: float = 3e-4
    ent_coef: float = 0.01
    gamma: float = 0.5
    hidden: int = 64
    n_epochs: int = 10
    norm_reward: bool = False
    eval_every: int = 2048
    seeds: int = 1
    select_best: bool = True

    def __post_init__(self):
        if not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"ppo.seeds: {self.seeds!r} must be an integer >= 1")
        if self.timesteps < self.n_steps:
            raise ValueError(f"ppo.timesteps: {self.timesteps} must be >= ppo.n_steps ({self.n_steps})")
        if self.n_steps < 2 or self.batch_size < 2:
            raise ValueError(f"ppo.n_steps: {self.n_steps} and ppo.batch_size: {self.batch_size} must be >= 2")


@dataclass(frozen=True)
class ModelFreeSteps:
    """Model-free learners' step sizes (issue 28: from mbrl.harness.STEP_SIZE_GRID, the grid every
    learner is tuned on). ppo null: ``ppo.learning_rate``, as MBRL's PPO."""

    ppo: float | None = None
    a2c: float = 7e-4
    dqn: float = 1e-4


@dataclass(frozen=True)
class ModelFreeConfig:
    """The paper's baseline: learners with a real evaluation at every step. Args: enabled;
    timesteps; methods (any of ppo, a2c, dqn: stable-baselines3's, on the same environment and
    ledger rule); step_sizes (per method)."""

    enabled: bool = True
    timesteps: int = 60_000
    methods: tuple = ("ppo",)
    step_sizes: ModelFreeSteps = field(default_factory=ModelFreeSteps)

    def __post_init__(self):
        bad = [m for m in self.methods if m not in ("ppo", "a2c", "dqn")]
        if bad or not self.methods or len(set(self.methods)) < len(self.methods):
            raise ValueError(f"model_free.methods: {list(self.methods)!r} must list distinct methods "
                             "(allowed: ppo, a2c, dqn)")


@dataclass(frozen=True)
class TableConfig:
    """Where a missing real-evaluation table is built (mbrl.evaluator.build_table; not what it
    holds: the cached tables do not depend on it). Args: executor: serial (in the training's
    process, the default), local (a process pool) or ray (cosim.sweep.executors); workers: processes
    of the pool or CPUs of a local Ray (null: the machine's CPUs); address: the Ray cluster to
    join ("auto", "ray://head:10001"; null: a local Ray)."""

    executor: str = "serial"
    workers: int | None = None
    address: str | None = None

    def __post_init__(self):
        from cosim.sweep.executors import EXECUTORS

        if self.executor not in EXECUTORS:
            raise ValueError(f"table.executor: {self.executor!r} is not one of {', '.join(EXECUTORS)}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"table.workers: {self.workers!r} must be an integer >= 1 or null")


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    threads: int = 1
    traces: TraceConfig = field(default_factory=TraceConfig)
    evaluator: EvalConfig = field(default_factory=EvalConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    surrogate: SurrogateConfig = field(default_factory=SurrogateConfig)
    env: EnvConfig = field(default_factory=EnvConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    model_free: ModelFreeConfig = field(default_factory=ModelFreeConfig)
    table: TableConfig = field(default_factory=TableConfig)

    def __post_init__(self):
        check_step_reward(self.reward)


add_bounds(EnvConfig, episode_len=Int(1, 100_000), start_k=Int(0, 10_000), damaged_share=SHARE)
add_bounds(PPOConfig, timesteps=STEPS, n_steps=Int(2, 10_000_000), batch_size=Int(2, 10_000_000),
           learning_rate=STEP_SIZE, ent_coef=Num(0, 10), gamma=SHARE, hidden=UNITS, n_epochs=Int(1, 10_000),
           eval_every=STEPS, seeds=Int(1, 1000))
add_bounds(ModelFreeConfig, timesteps=STEPS)
add_bounds(ModelFreeSteps, ppo=STEP_SIZE, a2c=STEP_SIZE, dqn=STEP_SIZE)
add_bounds(TableConfig, workers=Int(1, 4096))
add_bounds(TrainConfig, seed=SEED, threads=THREADS)


def _build(cls, raw: Any, path: str):
    if not isinstance(raw, dict):
        raise ValueError(f"{path or 'config'}: expected a mapping, got {type(raw).__name__}")
    if issubclass(cls, RewardConfig):
        raw = resolve_objective(raw)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(raw) - set(fields)
    if unknown:
        raise ValueError(f"{path + '.' if path else ''}{sorted(unknown)[0]}: unknown key; allowed: "
                         f"{', '.join(sorted(fields))}")
    kwargs = {}
    for name, value in raw.items():
        sub = fields[name].default_factory if fields[name].default_factory is not dataclasses.MISSING else None
        key = f"{path}.{name}" if path else name
        if sub is not None and dataclasses.is_dataclass(sub):
            kwargs[name] = _build(sub, value or {}, key)
        elif isinstance(value, list) and "tuple" in str(fields[name].type):
            kwargs[name] = tuple(_value(cls, name, fields[name].type, v, f"{key}[{i}]") for i, v in enumerate(value))
        else:
            kwargs[name] = _value(cls, name, fields[name].type, value, key)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a value of a type the class's own checks did not expect
        raise ValueError(f"{path or 'config'}: {exc}") from None


MAX_NUMBER = 1e9  # every number is bounded: an unbounded one is how a typo becomes a run that never ends


def _checked(key: str, annotation: str, v: Any, where: str | None = None) -> Any:
    """The value if its type fits the field's annotation (int, float, bool, str, optional, tuple)
    and it is within MAX_NUMBER; else ValueError naming the key."""
    where = where or key
    kinds = {k.strip() for k in str(annotation).split("|")}
    if v is None and "None" in kinds:
        return v
    if isinstance(v, bool):
        ok = "bool" in kinds or kinds & {"tuple", "Any"}
    elif isinstance(v, int):
        ok = bool(kinds & {"int", "float", "tuple", "Any"}) and (0 <= v <= MAX_NUMBER or kinds & {"float", "tuple"})
    elif isinstance(v, float):
        ok = bool(kinds & {"float", "tuple", "Any"}) and math.isfinite(v)
    elif isinstance(v, str):
        ok = bool(kinds & {"str", "tuple", "Any"}) and 0 < len(v) <= 4096 and "\n" not in v
    else:
        ok = bool(kinds & {"tuple", "Any"}) and isinstance(v, dict)
    if ok and isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) > MAX_NUMBER:
        ok = False
    if not ok:
        raise ValueError(f"{where}: {v!r} is not {_expected(kinds)}")
    return v


def _expected(kinds: set[str]) -> str:
    words = {"int": f"an integer in 0..{MAX_NUMBER:.0e}", "float": f"a number within +-{MAX_NUMBER:.0e}",
             "bool": "true or false", "str": "a one-line string", "None": "null", "tuple": "a list of values"}
    return " or ".join(words.get(k, k) for k in sorted(kinds))


def parse_config(raw: dict) -> TrainConfig:
    """TrainConfig from a mapping (e.g. parsed YAML); ValueError names the bad key."""
    return _build(TrainConfig, raw or {}, "")


def load_config(path: str | Path, _seen: tuple = ()) -> TrainConfig:
    """TrainConfig from a YAML file, read strictly (cosim.config.checks.load_yaml: duplicate keys, empty
    files and syntax errors are one-line errors naming the file and line).

    ``base: other.yaml`` (relative to this file) starts from that config; each section given
    here then replaces the base's fields one by one (:func:`with_overrides`), so a variant
    names only what it changes."""
    from cosim.config.checks import load_yaml

    raw = load_yaml(path, "training")
    if not isinstance(raw, dict) or "base" not in raw:
        return parse_config(raw)
    raw = dict(raw)
    base = raw.pop("base")
    if not isinstance(base, str) or not base:
        raise ValueError(f"base: {base!r} is not a path to a training YAML")
    seen, base_path = (*_seen, Path(path).resolve()), (Path(path).parent / base).resolve()
    if base_path in seen:
        raise ValueError(f"base: {base!r} in {path} leads back to itself")
    if not base_path.is_file():
        raise ValueError(f"base: {base!r} is not a file (looked for {base_path})")
    return with_overrides(load_config(base_path, seen), raw)


def with_overrides(cfg, overrides: dict):
    """cfg (a TrainConfig, or any config of this schema reader, e.g. mbrl.paper_config.PaperConfig)
    with some sections' fields replaced, e.g. ``{"surrogate": {"budget": 600}, "seed": 2}``,
    checked as a config file is (unknown keys and bad values name the key)."""
    raw = to_dict(cfg)
    for section, values in overrides.items():
        merge = isinstance(values, dict) and isinstance(raw.get(section), dict)
        raw[section] = {**raw[section], **values} if merge else values
    return _build(type(cfg), raw, "")


def to_dict(cfg) -> dict:
    """Plain resolved mapping (tuples as lists) for config.yaml."""
    def plain(v):
        if isinstance(v, (tuple, list)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v
    return plain(dataclasses.asdict(cfg))
