"""Speed of tail-only perplexity evaluation against the full forward pass.

Runs SmolLM2-135M (float32, CPU) on Lee-corpus windows. The hidden states entering layers
1, 15 and 29 are cached by one head pass per window (not timed); then the tail (layers k..L-1,
norm, head, NLL) is timed for each k and compared with the full forward pass (+ NLL).
Last line: one JSON object {"full_tok_s", "tail_tok_s": {"1", "15", "29"}, "cache_mb"}.

    python benchmarks/eval_speed.py [--window 256] [--windows 4] [--repeats 2]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch

from llm_split import Evaluator, SplitModel, load_model, load_text, sliding_windows, tokenize
from llm_split.perplexity import nll_from_logits

KS = (1, 15, 29)


def _best_times(fns: dict, repeats: int) -> dict:
    """Best wall time of each callable; rounds interleave them so that load from other
    processes on a shared machine hits every variant alike."""
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", type=int, default=256, help="tokens per window (default 256)")
    ap.add_argument("--windows", type=int, default=4, help="number of windows (default 4)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repetitions, best counts")
    args = ap.parse_args()

    model, tok = load_model("smollm2-135m", "float32")
    split = SplitModel(model)
    ids = tokenize(load_text("lee"), tok, max_tokens=args.window * args.windows)
    windows = sliding_windows(ids, args.window, args.window, tok.bos_token_id)
    ev = Evaluator(split, windows, ks=KS, max_cache_mb=4096)
    tokens = sum(len(w.ids) for w in windows)
    print(f"setup: SmolLM2-135M float32, {len(windows)} Lee windows x {args.window} tokens (+BOS), "
          f"{torch.get_num_threads()} torch threads, best of {args.repeats}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    def full():
        for w in windows:
            nll_from_logits(split.full(w.ids.unsqueeze(0))[0], w)

    def tail(k):
        for w in range(len(windows)):
            ev.tail_nll(w, k, ev.cache.get(w, k))

    for w in range(len(windows)):
        ev.cache.get(w, KS[0])  # fill the cache outside the timing
    fns = {"full": full, **{str(k): (lambda k=k: tail(k)) for k in KS}}
    best = _best_times(fns, args.repeats)
    full_tok_s = tokens / best["full"]
    print(f"full forward: {full_tok_s:.1f} tok/s")
    tail_tok_s = {str(k): tokens / best[str(k)] for k in KS}
    for k, v in tail_tok_s.items():
        print(f"tail k={k:>2}: {v:.1f} tok/s ({v / full_tok_s:.2f}x full)")
    cache_mb = ev.cache.peak_bytes / 2**20
    print(f"hidden-state cache: {cache_mb:.1f} MiB peak for {len(KS)} split points, head passes "
          f"{ev.cache.head_passes}")
    print(json.dumps({"full_tok_s": round(full_tok_s, 1),
                      "tail_tok_s": {k: round(v, 1) for k, v in tail_tok_s.items()},
                      "cache_mb": round(cache_mb, 2)}))


if __name__ == "__main__":
    main()
