"""A split policy learned from live requests: a reward model of the splits, and the policy acting on it.

The agent trained on trace tables learns from rewards scored per step, which cannot see what a
live run charges only once it ends (the UE radio's energy, from the slot traces) nor the UE's own
backlog and the edge's load. This model learns instead from finished requests (requests.parquet of
live runs, each scored by an objective: mbrl.reward.RewardConfig.of_requests) what a request's
reward was, given what the UE knew when it chose (:func:`decision_states`) and the split chosen.

What the UE knew: the agent's observation (mbrl.features.observation: its recent slot records and
packet fates), rebuilt from the run's traces at the decision time, plus its queue and the edge's
advertised load (the request's ``ue_queue`` and ``edge_load``, cosim.session.policies.UeState).
The model is one of mbrl.surrogate's ensembles of small MLPs per split, over those features (one
network shared by every split lets the noise of a risky split's rewards leak into a safe one's);
the policy (:class:`RequestModelPolicy`, ``split: {policy: reward_model, agent: FILE}``) scores each
split in its set by its predicted reward less ``pessimism`` ensemble spreads and takes the best.
Pessimism, because the data are fixed (offline): where a split's reward is rare and extreme (a
lost transfer costs hundreds of times what a clean one gains under a latency objective), the
mean of a few hundred requests cannot tell a gain of a millisecond from noise, and acting on the
mean alone offloaded into losses (measured: study split_matters_live, docs/metrics.md). It is a
contextual bandit's policy: a request's reward does not depend on the previous split unless the
objective charges switching, which this model does not see.

The states of a run are those its own policy produced (a run at k = L sends nothing, so its
packet features stay empty); a model fitted on runs of fixed splits meets, once deployed, the
history its own mix of splits makes. Say so beside any figure it gives.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import FEATURES, N_FEATURES, WINDOW_SLOTS, observation
from .surrogate import Surrogate, SurrogateConfig

KNOWN = ("ue_queue", "edge_load")  # UeState fields observed beside the channel features
_CAP = 5.0  # queue and load above this read as this (scaled to 0..1)
SLOT_COLUMNS = ("t_ns", "ul_est_sinr_db", "ul_est_age_ms", "cqi", "harq", "ul_tbs_bytes", "ul_buffer_bytes")
EVENT_COLUMNS = ("t_send_ns", "t_recv_ns", "tag", "n_packets", "direction")


def known(queue, edge_load) -> np.ndarray:
    """The scaled (n, 2) columns of the UE's queue and the edge's load."""
    return np.column_stack([np.minimum(queue, _CAP) / _CAP, np.minimum(edge_load, _CAP) / _CAP]).astype(np.float32)


def decision_states(run_dir: str | Path, req, deadline_ms: float) -> np.ndarray:
    """(n, N_FEATURES + 2) states of the requests ``req`` (rows of the run's requests.parquet, in
    their order): the observation at each decision, rebuilt from the run's slot and packet traces
    (fates visible once ns-3 reported them), then the UE's queue and the edge's load."""
    from cosim.outputs.traces import read_packets, read_slots
    from cosim.outputs.codes import UPLINK

    from .traces import run_loss_timeout_ms

    if (req["new_tokens"] > 0).any():
        raise ValueError("decision_states: requests that decode new tokens (requests.decode_tokens) do not record "
                         "when their split was chosen; use runs without decoding")
    run = Path(run_dir)
    slots = read_slots(run, list(SLOT_COLUMNS) + ["ue"])
    pk = read_packets(run, list(EVENT_COLUMNS) + ["ue"])
    pk = pk[pk["direction"] == UPLINK]
    timeout_ms = run_loss_timeout_ms(run)
    t_decide = np.round((req["t_arrival_s"] + req["ue_wait_s"]).to_numpy() * 1e9).astype(np.int64)
    feats = np.zeros((len(req), N_FEATURES), np.float32)
    for ue, rows in req.groupby("ue").indices.items():
        s = slots[slots["ue"] == ue].sort_values("t_ns")
        cols = {c: s[c].to_numpy() for c in SLOT_COLUMNS}
        events = {c: pk.loc[pk["ue"] == ue, c].to_numpy() for c in EVENT_COLUMNS}
        for i in rows:
            end = int(np.searchsorted(cols["t_ns"], t_decide[i], side="left"))
            recent = {c: v[max(0, end - WINDOW_SLOTS):end] for c, v in cols.items()}
            feats[i] = observation(recent, events, int(t_decide[i]), deadline_ms, timeout_ms)
    return np.column_stack([feats, known(req["ue_queue"].to_numpy(), req["edge_load"].to_numpy())])


@dataclass
class RequestModel:
    """A reward model over the splits ``ks``: the reward each split would get in each state, with
    its ensemble spread; ``best_k`` is the policy."""

    ks: tuple[int, ...]
    n_layers: int
    deadline_ms: float      # the packet features' deadline, at fit and at deployment alike
    models: dict            # {k: Surrogate} of each split's reward
    objective: dict         # the RewardConfig the rewards were scored by, for the record
    pessimism: float = 1.0  # ensemble spreads taken off each prediction before choosing

    @classmethod
    def fit(cls, states: np.ndarray, k: np.ndarray, reward: np.ndarray, ks, n_layers: int, deadline_ms: float,
            objective: dict, cfg: SurrogateConfig = SurrogateConfig(), pessimism: float = 1.0) -> "RequestModel":
        ks = tuple(sorted(int(x) for x in ks))
        stray = sorted(set(int(x) for x in np.unique(k)) - set(ks))
        if stray:
            raise ValueError(f"RequestModel.fit: requests at k {stray} are not of ks {ks}")
        missing = [x for x in ks if not (k == x).any()]
        if missing:
            raise ValueError(f"RequestModel.fit: no request at k {missing}; each split of ks needs some")
        if states.shape[1] != N_FEATURES + len(KNOWN):
            raise ValueError(f"RequestModel.fit: states have {states.shape[1]} columns, not {N_FEATURES + len(KNOWN)}")
        models = {x: Surrogate(states.shape[1], cfg).fit(states[k == x], reward[k == x]) for x in ks}
        return cls(ks, n_layers, float(deadline_ms), models, dict(objective), float(pessimism))

    def predict(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, spread) of each state's reward at each split of ``ks``, both (n, len(ks))."""
        pred = [self.models[k].predict(states) for k in self.ks]
        return np.column_stack([m for m, _ in pred]), np.column_stack([s for _, s in pred])

    def best_k(self, states: np.ndarray) -> np.ndarray:
        mean, spread = self.predict(states)
        return np.asarray(self.ks)[(mean - self.pessimism * spread).argmax(axis=1)]

    def save(self, path: str | Path) -> None:
        import torch

        torch.save({"ks": self.ks, "n_layers": self.n_layers, "deadline_ms": self.deadline_ms,
                    "objective": self.objective, "pessimism": self.pessimism, "features": list(FEATURES) + list(KNOWN),
                    "models": {k: m.state_dict() for k, m in self.models.items()}}, path)

    @classmethod
    def load(cls, path: str | Path) -> "RequestModel":
        import torch

        d = torch.load(path, weights_only=False)
        if d.get("features") != list(FEATURES) + list(KNOWN):
            raise ValueError(f"split.agent: {path} observes {d.get('features')}, this version observes "
                             f"{list(FEATURES) + list(KNOWN)}; fit it again")
        models = {int(k): Surrogate.from_state_dict(m) for k, m in d["models"].items()}
        return cls(tuple(d["ks"]), d["n_layers"], d["deadline_ms"], models, d["objective"], d["pessimism"])


class RequestModelPolicy:
    """The greedy policy of a RequestModel, as a session policy (cosim.session.policies)."""

    def __init__(self, model: RequestModel):
        self.model = model

    def choose(self, ue, recent_slots, current_k, recent_packets=None, state=None) -> int:
        from .agent import live_features

        q, load = (state.queue, state.edge_load) if state is not None else (0, 0.0)
        x = np.append(live_features(recent_slots, recent_packets, self.model.deadline_ms), known([q], [load])[0])
        return int(self.model.best_k(x[None, :].astype(np.float32))[0])


def load_policy(path, n_layers: int) -> RequestModelPolicy:
    """``split: {policy: reward_model, agent: FILE}``: the policy of a saved RequestModel."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ValueError(f"split.agent: {path!r} is not a file; save one with mbrl.request_model.RequestModel.save")
    model = RequestModel.load(p)
    if model.n_layers != n_layers:
        raise ValueError(f"split.agent: {path!r} was fitted for {model.n_layers} layers, the session's model has "
                         f"{n_layers}; fit it again with the same model")
    return RequestModelPolicy(model)
