"""The co-simulation and the agent's real evaluator share one lossy-inference step
(llm_split.lossy): the same (window, lost set, k) gives the same NLL in both, protected
channels and interleaving included."""
import math

import pytest

from cosim.session.inference import SplitInference
from cosim.session.config import ModelSection, RequestsSection, SessionConfig
from mbrl.evaluator import EvalConfig, RealEvaluator, activation_layout


@pytest.mark.parametrize("protect, interleave", [((), False), ((507,), False), ((), True)])
def test_session_and_real_evaluator_give_the_same_nll(protect, interleave):
    cosim = SplitInference(SessionConfig(model=ModelSection(protect=protect, interleave=interleave),
                                         requests=RequestsSection(prompt_tokens=16, windows=2)), payload_bytes=1200)
    ev = RealEvaluator(EvalConfig(prompt_tokens=16, n_windows=2, payload_bytes=1200, protect=protect,
                                  interleave=interleave))
    # the same wire layout: the protected channels' block comes out of each packet's payload
    assert cosim.codec == ev.codec and activation_layout(ev.cfg)[1] == ev.n_packets
    n = ev.n_packets
    for w, k, lost in [(0, 3, {0}), (1, 15, set(range(0, n, 2))), (0, 29, set(range(n - 3, n)))]:
        q = cosim.quality(w, k, cosim.packets(w, k), lost)
        assert q.nll == ev.nll(w, k, lost)
        assert ev.ppl(w, k, lost) == pytest.approx(math.exp(q.nll / q.n_scored), rel=1e-12)
    # 1200 bytes on the air = 20 header + the protected block (17 tokens x float16) + tensor bytes
    assert ev.codec.tensor_bytes == 1200 - 20 - 17 * 2 * len(protect)
