"""What the activation's wire precision costs in quality, with no packet lost.

Setup: SmolLM2-135M (float32) split at each k, consecutive Lee-corpus windows (BOS + 128 tokens),
every window encoded by the session's codec (llm_split.lossy.wire_codec: 1200-byte packets, mean
fill, the edge's copy of the BOS row) in each wire dtype and rebuilt with nothing lost; the tail
runs on the rebuilt state. Prints, per dtype, the bytes on the air for one window and the pooled
perplexity at each k beside the unsplit model's. The last line is one JSON object.

    python benchmarks/studies/wire_precision.py [--max-tokens 1024] [--ks 0,5,15,25,30] [--protect 507]
"""
from __future__ import annotations

import argparse
import json
import math

from llm_split import Evaluator, SplitModel, load_model, load_text, sliding_windows, tokenize
from llm_split.lossy import lossy_step, wire_codec
from llm_split.wire.settings import WIRE_DTYPES

WINDOW, PAYLOAD = 128, 1200


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-tokens", type=int, default=1024)
    p.add_argument("--ks", default="0,5,15,25,30")
    p.add_argument("--protect", default="", help="channels repeated exactly in every packet, e.g. 507")
    args = p.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    protect = tuple(int(c) for c in args.protect.split(",") if c)
    model, tok = load_model("smollm2-135m", "float32")
    wins = sliding_windows(tokenize(load_text("lee"), tok, max_tokens=args.max_tokens), WINDOW, WINDOW,
                           tok.bos_token_id)
    ev = Evaluator(SplitModel(model), wins, ks=ks)
    n = sum(w.n_scored for w in wins)
    clean = math.exp(sum(ev.window_nll(w, ev.split.n_layers) for w in range(len(wins))) / n)
    print(f"SmolLM2-135M float32, {len(wins)} Lee windows of {WINDOW} tokens + BOS, {PAYLOAD}-byte packets, "
          f"protect {list(protect)}; unsplit perplexity {clean:.3f}")
    print(f"{'dtype':<9} {'bytes':>7}  " + "  ".join(f"k={k:<5}" for k in ks))
    out = {"windows": len(wins), "clean_ppl": clean, "ks": ks, "protect": list(protect), "dtypes": {}}
    for dtype in WIRE_DTYPES:
        codec = wire_codec(ev.split.hidden_size, dtype, PAYLOAD, protect, "mean", WINDOW + 1)
        ppl = [math.exp(sum(lossy_step(ev, codec, w, k, []).nll for w in range(len(wins))) / n) for k in ks]
        out["dtypes"][dtype] = {"wire_bytes": codec.wire_bytes(WINDOW + 1), "ppl": ppl}
        print(f"{dtype:<9} {codec.wire_bytes(WINDOW + 1):>7}  " + "  ".join(f"{v:<7.3f}" for v in ppl))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
