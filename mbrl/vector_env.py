"""Many live co-simulations behind one learner: a Gymnasium vector environment of LiveSplitEnvs.

Each sub-environment is a :class:`mbrl.live_env.LiveSplitEnv` in a process of its own
(gymnasium.vector.AsyncVectorEnv, started with ``spawn``), with its own ns-3 child and its own
shared-memory segment, its torch threads pinned to ``threads`` whatever N is. Sub-environment i
runs ``scenarios[i % len(scenarios)]``: a list of split scenario YAMLs is the domain
randomisation (different UE counts, mobility or channels per sub-environment). After
``reset(seed=s)`` sub-environment i draws from seed s + i (Gymnasium's rule), and each episode's
ns-3 seed from that, so a rerun with the same seed steps through the same observations and rewards.

Autoreset: Gymnasium 1.x's next-step mode (``metadata["autoreset_mode"]``): the step after a
sub-environment's episode ends resets it, returning its first observation with reward 0.
A sub-environment whose ns-3 dies or stalls ends its episode truncated, its ``infos["fault"]``
naming the error (``infos["_fault"]`` marks which), and the autoreset starts a fresh ns-3: the
vector keeps stepping. ``close()`` closes every sub-environment, which stops its ns-3 and
removes its segment.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any


def _sub_env(scenario: str, threads: int, kwargs: dict):
    """A sub-environment's factory (runs in its own process)."""
    def make():
        from cosim.sweep.executors import pin_threads

        pin_threads(threads)
        from .live_env import LiveSplitEnv

        return LiveSplitEnv(scenario, **kwargs)
    return make


def live_vector_env(scenarios: str | Path | list, n: int, threads: int = 1, **env_kwargs: Any):
    """N live split environments stepped in parallel (see the module doc).

    Args:
        scenarios: one split scenario YAML, or a list that sub-environments take in turn.
        n: sub-environments (>= 1).
        threads: torch threads of each sub-environment (>= 1).
        env_kwargs: LiveSplitEnv's (reward, action_mode, episode_len, ue, period_ms, start_k).
    """
    from gymnasium.vector import AsyncVectorEnv, AutoresetMode

    paths = [str(Path(s)) for s in (scenarios if isinstance(scenarios, (list, tuple)) else [scenarios])]
    if not paths:
        raise ValueError("scenarios: give at least one split scenario YAML")
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise ValueError(f"scenarios: {missing} are not files")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n: {n!r} must be an integer >= 1")
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads: {threads!r} must be an integer >= 1")
    return AsyncVectorEnv([_sub_env(paths[i % len(paths)], threads, env_kwargs) for i in range(n)],
                          context="spawn", autoreset_mode=AutoresetMode.NEXT_STEP)
