"""The UE radio's energy, from its slot and packet traces, charged to its requests.

State model (per UE, per slot of its slot records):

* **transmitting**: a slot in which the UE sent a data-carrying PUSCH (harq ok or failed):
  ``connected_w`` plus the power drawn by its transmit chain, ``10 ** ((tx_dbm - 30) / 10) /
  pa_efficiency`` watts (tx_dbm: the slot record's ``ul_tx_power_dbm``), during the slot's
  uplink symbols (``ul_symbols / 14`` of the slot);
* **connected**: any other slot within ``tail_s`` of the UE's last activity (a transmitting slot
  or a downlink packet received): ``connected_w``;
* **idle**: every other slot: ``idle_w``. The first activity after an idle slot (or the run's
  first activity) pays a promotion, ``promotion_w * promotion_s`` joules, once.

The state model is an energy account laid over the run: ns-3 itself keeps every UE RRC-connected
and does not delay the first packet by the promotion time. Defaults and sources: cosim.session.config
UeRadioSection, docs/metrics.md.

Attribution: a slot's energy goes in equal shares to the UE's requests in flight then (arrival to
reply); a slot with none in flight but still connected goes to the request that finished last (its
tail); the rest (idle, or before the UE's first request) stays the UE's, uncharged. So the charged
and uncharged energy add up to the UE's whole radio energy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cosim.outputs.codes import DOWNLINK, HARQ_FAIL, HARQ_OK

SYMBOLS_PER_SLOT = 14


@dataclass(frozen=True)
class UeRadioEnergy:
    """One UE's radio energy: each request's share, and the totals by state (joules)."""

    per_request: np.ndarray  # in the order the requests were given
    uncharged_j: float
    transmitting_j: float
    connected_j: float
    idle_j: float
    promotion_j: float

    @property
    def total_j(self) -> float:
        return self.transmitting_j + self.connected_j + self.idle_j + self.promotion_j


def slot_energy(t_s: np.ndarray, slot_s: float, tx_fraction: np.ndarray, tx_dbm: np.ndarray,
                activity_s: np.ndarray, model, last_active_s: float = -np.inf) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Joules of each slot by state, and which slots are connected (transmitting included).

    Args:
        t_s: slot start times, ascending, ``slot_s`` apart (at least one).
        tx_fraction: share of each slot spent sending PUSCH data (0 where none).
        tx_dbm: transmit power in each slot (read where tx_fraction > 0).
        activity_s: times of other activity (downlink packets received).
        model: the power states (cosim.session.config.UeRadioSection).
        last_active_s: the UE's last activity before these slots (an account kept in pieces).
    Returns ({transmitting, connected, idle, promotion}: joules per slot, connected mask).
    """
    n = len(t_s)
    sending = tx_fraction > 0
    active = active_slots(t_s, slot_s, sending, activity_s)
    last = np.maximum.accumulate(np.where(active, np.arange(n), -1))
    since = t_s - np.where(last >= 0, t_s[np.maximum(last, 0)], last_active_s)
    connected = since < model.tail_s + 1e-12
    was_idle = np.concatenate([[not t_s[0] - slot_s - last_active_s < model.tail_s + 1e-12], ~connected[:-1]])
    pa_w = 10 ** ((np.where(sending, tx_dbm, -np.inf) - 30) / 10)
    return {
        "transmitting": pa_w / model.pa_efficiency * tx_fraction * slot_s,
        "connected": np.where(connected, model.connected_w * slot_s, 0.0),
        "idle": np.where(connected, 0.0, model.idle_w * slot_s),
        "promotion": np.where(active & was_idle, model.promotion_w * model.promotion_s, 0.0),
    }, connected


def charge(t_s: np.ndarray, energy: np.ndarray, connected: np.ndarray, start_s: np.ndarray,
           end_s: np.ndarray) -> tuple[np.ndarray, float]:
    """Splits the slots' energy among requests [start_s, end_s) (see the module doc); returns each
    request's joules and the joules charged to none."""
    order = np.argsort(end_s, kind="stable")
    in_flight = (np.searchsorted(np.sort(start_s), t_s, side="right")
                 - np.searchsorted(np.sort(end_s), t_s, side="right"))
    share = np.where(in_flight > 0, energy / np.maximum(in_flight, 1), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(share)])
    lo, hi = np.searchsorted(t_s, start_s, side="left"), np.searchsorted(t_s, end_s, side="left")
    per = cum[hi] - cum[lo]
    finished = np.searchsorted(end_s[order], t_s, side="right")  # requests ended by each slot
    tail = (in_flight == 0) & connected & (finished > 0)
    np.add.at(per, order[finished[tail] - 1], energy[tail])
    return per, float(energy.sum() - per.sum())


def active_slots(t_s: np.ndarray, slot_s: float, sending: np.ndarray, activity_s: np.ndarray) -> np.ndarray:
    """Which slots are active: sending, or holding another activity (a downlink packet received)."""
    active = sending.copy()
    inside = activity_s[(activity_s >= t_s[0]) & (activity_s < t_s[-1] + slot_s)]
    active[np.searchsorted(t_s, inside, side="right") - 1] = True
    return active


def _sending(slots) -> np.ndarray:
    """Share of each slot record's time spent sending PUSCH data (0 where none)."""
    harq = np.asarray(slots["harq"])
    sent = (harq == HARQ_OK) | (harq == HARQ_FAIL)
    return np.where(sent, np.minimum(np.asarray(slots["ul_symbols"], np.float64) / SYMBOLS_PER_SLOT, 1.0), 0.0)


class RadioMeter:
    """Each UE's radio energy so far, from the slot records and downlink packets as they arrive
    (a session's trace hook): the account's state model, without charging requests, read when
    a policy chooses (cosim.session.policies.UeState). Fed a whole run in time-ordered pieces, each
    reception with the slots of its time (as the bridge reports them), its totals equal
    :func:`ue_radio_energy`'s; a reception reported later marks its slot active from then on."""

    def __init__(self, n_ues: int, model, slot_s: float = 1e-3):
        self.model, self.slot_s = model, slot_s
        self.joules = np.zeros(n_ues)
        self._last_active = np.full(n_ues, -np.inf)

    def add(self, slots: np.ndarray, events: np.ndarray) -> None:
        """One batch of slot records (SLOT_DTYPE) and packet events (EVENT_DTYPE), in time order."""
        ues = np.asarray(slots["ue"])
        if len(events):
            rx_ue, rx_ns = np.asarray(events["ue"]), np.asarray(events["t_recv_ns"], np.float64)
            keep = (np.asarray(events["direction"]) == DOWNLINK) & (rx_ns >= 0)
            rx_ue, rx_ns = rx_ue[keep], rx_ns[keep]
        else:
            rx_ue, rx_ns = np.empty(0, int), np.empty(0)
        for ue in np.unique(ues):
            s = {c: np.asarray(slots[c])[ues == ue] for c in ("t_ns", "harq", "ul_symbols", "ul_tx_power_dbm")}
            t_s = s["t_ns"].astype(np.float64) / 1e9
            if len(t_s) > 1:
                self.slot_s = float(np.median(np.diff(t_s)))
            rx = rx_ns[rx_ue == ue] / 1e9
            before = rx[rx < t_s[0]]  # reported after its slot went by: that slot was active
            if len(before):
                self._last_active[ue] = max(self._last_active[ue], np.floor(before.max() / self.slot_s) * self.slot_s)
            sending = _sending(s)
            parts, _ = slot_energy(t_s, self.slot_s, sending, s["ul_tx_power_dbm"].astype(np.float64), rx,
                                   self.model, self._last_active[ue])
            self.joules[ue] += sum(float(p.sum()) for p in parts.values())
            active = t_s[active_slots(t_s, self.slot_s, sending > 0, rx)]
            self._last_active[ue] = max(self._last_active[ue], active.max(initial=-np.inf))


def ue_radio_energy(slots, downlink_s: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, model) -> UeRadioEnergy:
    """One UE's radio energy from its slot records (a DataFrame with t_ns, harq, ul_symbols,
    ul_tx_power_dbm; every slot of the run, at least one) and the times it received downlink packets."""
    t_s = slots["t_ns"].to_numpy(np.float64) / 1e9
    slot_s = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 1e-3
    parts, connected = slot_energy(t_s, slot_s, _sending(slots), slots["ul_tx_power_dbm"].to_numpy(np.float64),
                                   downlink_s, model)
    per, uncharged = charge(t_s, sum(parts.values()), connected, start_s, end_s)
    return UeRadioEnergy(per, uncharged, *(float(parts[k].sum()) for k in ("transmitting", "connected", "idle",
                                                                           "promotion")))


def charge_run(run_dir, records: list, model) -> dict[int, UeRadioEnergy]:
    """Sets ``ue_radio_j`` of every request record from the run's slot and packet traces; returns
    each UE's account. A UE without slot records (none were written) leaves its requests NaN."""
    from cosim.outputs.traces import read_packets, read_slots

    slots = read_slots(run_dir, ["t_ns", "ue", "harq", "ul_symbols", "ul_tx_power_dbm"])
    packets = read_packets(run_dir, ["ue", "direction", "lost", "t_recv_ns"])
    received = packets[(packets["direction"] == DOWNLINK) & ~packets["lost"]]
    by_ue: dict[int, list] = {}
    for rec in records:
        by_ue.setdefault(rec.ue, []).append(rec)
    accounts = {}
    for ue, s in slots.groupby("ue"):
        reqs = by_ue.get(int(ue), [])
        start = np.array([r.t_arrival_s for r in reqs])
        acc = ue_radio_energy(s.sort_values("t_ns"), received.loc[received["ue"] == ue, "t_recv_ns"].to_numpy() / 1e9,
                              start, start + np.array([r.latency_s for r in reqs]), model)
        for r, j in zip(reqs, acc.per_request):
            r.ue_radio_j = float(j)
        accounts[int(ue)] = acc
    return accounts
