"""``layersplit profile``: the split-point analysis from the command line.

Wire it into the ``layersplit`` command with ``llm_split.cli.register(subparsers)``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _int_list(text: str) -> tuple[int, ...] | None:
    """``"all"``, ``"0,5,10"`` or ranges ``"0-30"`` / ``"0-30:5"`` -> tuple of ints (None = all)."""
    if text == "all":
        return None
    out: list[int] = []
    for part in text.split(","):
        rng, _, step = part.partition(":")
        lo, sep, hi = rng.partition("-")
        try:
            out += list(range(int(lo), int(hi) + 1, int(step or 1))) if sep else [int(lo)]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected 'all', integers '0,5,10' or ranges '0-30' / '0-30:5'") from None
    return tuple(out)


def _float_list(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated numbers, e.g. 0,0.1") from None


def _str_list(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``profile`` subcommand to a ``layersplit`` subparsers object; returns its parser."""
    # The defaults are llm_split.profile's (DEFAULT_PS, PROFILE_MODES), filled in by run(): importing
    # it here would import torch for every `layersplit` command.
    p = subparsers.add_parser(
        "profile", help="split-point analysis: compute share, bytes and perplexity under erasure",
        description="For every split point k: UE share of FLOPs, payload bytes per token and "
                    "perplexity under element and packet erasure. Writes OUT/profile.csv and OUT/profile.png.")
    a = p.add_argument
    a("--model", default="smollm2-135m", help="'smollm2-135m' (bundled) or a local Hugging Face folder")
    a("--corpus", default="lee", help="'lee', 'wiki' or a path to a text file (default lee)")
    a("--window", type=int, default=256, help="tokens per evaluation window (default 256)")
    a("--stride", type=int, default=256, help="tokens between window starts (default 256)")
    a("--max-tokens", type=int, default=1024, help="tokens of the corpus to use (default 1024)")
    a("--ks", type=_int_list, default=None, help="split points: 'all' (default), '0,5,10' or '0-30:5'")
    a("--ps", type=_float_list, default=None, help="loss probabilities (default 0,0.01,0.05,0.1,0.2,0.3)")
    a("--modes", type=_str_list, default=None, help="damage modes: element,packet (default both)")
    a("--dtype", default="float32", help="model dtype: float32 or bfloat16")
    a("--device", default="cpu", help="auto, cpu or cuda (bfloat16 on a GPU; default cpu)")
    a("--seed", type=int, default=0, help="damage seed (same seed, same table)")
    a("--seeds", type=int, default=3, help="mask seeds averaged per damaged cell at least (default 3)")
    a("--max-seeds", type=int, default=12, help="more seeds, one at a time, while a cell's 95%% interval is wider "
      "than --ci-target, up to this many (default 12)")
    a("--ci-target", type=float, default=0.10, help="relative half-width of the 95%% interval to reach (default 0.10)")
    a("--decisive", type=int, default=1, help="exact expectation over up to this many decisive elements (or their "
      "packets) per window, 0 = plain draws (default 1; llm_split.damage.strata)")
    a("--decisive-factor", type=float, default=100.0, help="an element is decisive at this many times the median "
      "magnitude (default 100)")
    a("--out", default="profile_out", help="output folder (default ./profile_out)")
    a("--cache-dir", default=None, help="model cache root (default $LAYERSPLIT_CACHE or ~/.cache/layersplit)")
    a("--wire-dtype", default="float16", help="activation format: float32, float16, bfloat16, int8")
    a("--payload-bytes", type=int, default=1024, help="tensor bytes per packet (default 1024)")
    a("--fill", default="zero", help="erased elements: zero (seed paper) or mean (per-channel mean)")
    a("--sink", action="store_true", help="edge restores the BOS row from its own copy (free, helps a lot)")
    a("--protect", type=_int_list, default=(), help="channels repeated in every packet, e.g. 507")
    a("--interleave", action="store_true", help="packet mode: spread the elements over the packets, so a lost "
      "packet erases a scattered share of every token (float wire dtypes)")
    a("--ue-device", default="phone", help="UE profile: phone, edge-gpu or measured")
    a("--edge-device", default="edge-gpu", help="edge profile: phone, edge-gpu or measured")
    a("--measure", action="store_true", help="measure this machine's profile first and save it as 'measured'")
    a("--max-cache-mb", type=float, default=1024.0, help="hidden-state cache bound in MiB")
    a("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
    return p


def _measure(args) -> None:
    from llm_split.cost import measure_profile, save_profile
    from llm_split.model import default_cache_dir, load_model

    model, _ = load_model(args.model, args.dtype, args.cache_dir, device=args.device, field="--device")
    prof = measure_profile(model)  # on the model's device: a GPU edge's profile where --device cuda
    path = Path(args.cache_dir or default_cache_dir()) / "profiles" / "measured.json"
    save_profile(prof, path)
    print(f"measured: {prof.flop_rate / 1e9:.1f} GFLOP/s, {prof.byte_rate / 1e9:.1f} GB/s -> {path}")


def run(args) -> int:
    """Entry point of ``layersplit profile``; returns the exit code (2 on a bad option)."""
    from llm_split.profile import DEFAULT_PS, PROFILE_MODES, ProfileConfig, write_profile

    args.ps = DEFAULT_PS if args.ps is None else args.ps
    args.modes = PROFILE_MODES if args.modes is None else args.modes
    try:
        cfg = ProfileConfig(
            model=args.model, corpus=args.corpus, window=args.window, stride=args.stride,
            max_tokens=args.max_tokens, ks=args.ks, ps=tuple(args.ps), modes=tuple(args.modes),
            dtype=args.dtype, device=args.device, seed=args.seed, seeds=args.seeds, max_seeds=args.max_seeds,
            ci_target=args.ci_target, decisive=args.decisive, decisive_factor=args.decisive_factor, out=args.out,
            cache_dir=args.cache_dir,
            wire_dtype=args.wire_dtype, payload_bytes=args.payload_bytes, fill=args.fill,
            sink=args.sink, protect=tuple(args.protect or ()), interleave=args.interleave, ue_device=args.ue_device,
            edge_device=args.edge_device, max_cache_mb=args.max_cache_mb)
        if args.measure:
            _measure(args)
        df = write_profile(cfg, progress=not args.no_progress)
    except ValueError as exc:
        print(f"layersplit profile: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {Path(cfg.out) / 'profile.csv'} ({len(df)} rows) and {Path(cfg.out) / 'profile.png'}")
    return 0
