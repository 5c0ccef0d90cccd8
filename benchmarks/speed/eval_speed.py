"""Speed of tail-only perplexity evaluation against the full forward pass, on the CPU or a GPU.

Default: SmolLM2-135M (float32, CPU) on Lee-corpus windows. The hidden states entering layers
1, 15 and 29 are cached by one head pass per window (not timed); then the tail (layers k..L-1,
norm, head, NLL) is timed for each k and compared with the full forward pass (+ NLL), one window
per pass as the real evaluator runs them.

    --device cuda       the model in bfloat16 on the GPU (llm_split.model.device_dtype); every
                        timing waits for the GPU (the NLL is read back to the host)
    --batch B           also the tail of B windows in one pass: what a GPU edge serving many
                        UEs would batch (tail_batched_tok_s)
    --architecture DIR  random weights of the architecture in DIR/config.json on random token ids,
                        for a machine where the bundled model and the text cannot be installed
                        (the GPU machine): the same shapes and kernels, so the same speed (docs/benchmarks.md
                        compares both on the CPU); no quality figure comes from it
    --profile           also llm_split.measure_profile on the device (a measured compute profile)

Last line: one JSON object {"device", "dtype", "weights", "window", "windows", "full_tok_s",
"tail_tok_s": {"1", "15", "29"}, "tail_ms_per_window", "tail_batched_tok_s" (with --batch),
"cache_mb", "profile" (with --profile)}.

    python benchmarks/speed/eval_speed.py [--window 256] [--windows 4] [--repeats 3] [--device cpu]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

from llm_split import Evaluator, SplitModel, load_model, load_text, measure_profile, sliding_windows, tokenize
from llm_split.model import device_dtype, resolve_device, resolve_dtype
from llm_split.perplexity import nll_from_logits

sys.path.append(str(Path(__file__).resolve().parents[2]))  # the repository root, for benchmarks.record
from benchmarks import record  # noqa: E402

KS = (1, 15, 29)


def _best_times(fns: dict, repeats: int, wait) -> dict:
    """Best wall time of each callable; rounds interleave them so that load from other
    processes on a shared machine hits every variant alike. The first round warms up (a GPU
    compiles and caches its kernels then) and is not counted."""
    best = {name: float("inf") for name in fns}
    for round_ in range(repeats + 1):
        for name, fn in fns.items():
            wait()
            start = time.perf_counter()
            fn()
            wait()
            if round_:
                best[name] = min(best[name], time.perf_counter() - start)
    return best


def _model(args, device: str):
    """(model, windows): the bundled model on Lee text, or random weights of --architecture."""
    if args.architecture is None:
        model, tok = load_model("smollm2-135m", "float32", device=device)
        ids = tokenize(load_text("lee"), tok, max_tokens=args.window * args.windows)
        return model, sliding_windows(ids, args.window, args.window, tok.bos_token_id)
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    config = AutoConfig.from_pretrained(args.architecture)
    dtype = resolve_dtype(device_dtype("float32", device))  # as load_model picks it
    model = AutoModelForCausalLM.from_config(config, dtype=dtype).to(device)
    model.eval().requires_grad_(False)
    ids = torch.randint(0, int(config.vocab_size), (args.window * args.windows,))
    return model, sliding_windows(ids, args.window, args.window, int(config.bos_token_id or 0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", type=int, default=256, help="tokens per window (default 256)")
    ap.add_argument("--windows", type=int, default=4, help="number of windows (default 4)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repetitions, best counts")
    ap.add_argument("--device", default="cpu", help="auto, cpu or cuda (default cpu)")
    ap.add_argument("--batch", type=int, default=0, help="also time the tail of this many windows in one pass")
    ap.add_argument("--architecture", default=None, help="folder with a config.json: random weights of it")
    ap.add_argument("--profile", action="store_true", help="also measure a compute profile on the device")
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)

    device = resolve_device(args.device, "--device")
    wait = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    model, windows = _model(args, device)
    split = SplitModel(model)
    ev = Evaluator(split, windows, ks=KS, max_cache_mb=4096)
    tokens = sum(len(w.ids) for w in windows)
    where = torch.cuda.get_device_name() if device == "cuda" else f"{torch.get_num_threads()} torch threads"
    weights = "random (architecture only)" if args.architecture else "SmolLM2-135M"
    print(f"setup: {weights}, {model.dtype}, {device} ({where}), {len(windows)} windows x {args.window} tokens "
          f"(+BOS), best of {args.repeats} after a warm-up round, load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")

    def full():
        for w in windows:
            nll_from_logits(split.full(w.ids.unsqueeze(0))[0], w)

    def tail(k):
        for w in range(len(windows)):
            ev.tail_nll(w, k, ev.cache.get(w, k))

    for w in range(len(windows)):
        ev.cache.get(w, KS[0])  # fill the cache outside the timing
    fns = {"full": full, **{str(k): (lambda k=k: tail(k)) for k in KS}}
    if args.batch:
        batch = torch.cat([ev.cache.get(w % len(windows), KS[1]) for w in range(args.batch)]).reshape(
            args.batch, -1, model.config.hidden_size)
        fns["batched"] = lambda: float(split.tail(batch, KS[1]).float().sum())  # read back: waits for the pass
    best = _best_times(fns, args.repeats, wait)
    out = {"device": device, "dtype": str(model.dtype).removeprefix("torch."), "weights": weights,
           "window": args.window, "windows": len(windows), "full_tok_s": round(tokens / best["full"], 1),
           "tail_tok_s": {str(k): round(tokens / best[str(k)], 1) for k in KS},
           "tail_ms_per_window": {str(k): round(1000 * best[str(k)] / len(windows), 2) for k in KS}}
    print(f"full forward: {out['full_tok_s']} tok/s")
    for k, v in out["tail_tok_s"].items():
        print(f"tail k={k:>2}: {v} tok/s ({v / out['full_tok_s']:.2f}x full), "
              f"{out['tail_ms_per_window'][k]} ms per window")
    if args.batch:
        out["tail_batched_tok_s"] = round(args.batch * tokens / len(windows) / best["batched"], 1)
        print(f"tail k={KS[1]}, {args.batch} windows per pass: {out['tail_batched_tok_s']} tok/s")
    out["cache_mb"] = round(ev.cache.peak_bytes / 2**20, 2)
    print(f"hidden-state cache: {out['cache_mb']} MiB peak for {len(KS)} split points, head passes "
          f"{ev.cache.head_passes}")
    if args.profile:
        prof = measure_profile(model)
        out["profile"] = asdict(prof)
        print(f"measured profile: {prof.flop_rate / 1e12:.2f} TFLOP/s, {prof.byte_rate / 1e9:.0f} GB/s ({prof.source})")
    print(json.dumps(out))
    rec.save(out)


if __name__ == "__main__":
    main()
