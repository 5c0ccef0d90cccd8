"""``layersplit profile``: the split-point analysis from the command line.

Wire it into the ``layersplit`` command with ``llm_split.cli.register(subparsers)``.
"""
from __future__ import annotations

import argparse
import dataclasses
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


class _ConfigDefaults(argparse.HelpFormatter):
    """Help that shows each option's default as ProfileConfig has it (the one place defaults are
    typed); read when help is printed: importing llm_split.profile imports torch, which the
    other `layersplit` commands must not pay for."""

    def _get_help_string(self, action):
        from llm_split.profile import ProfileConfig

        default = {f.name: f.default for f in dataclasses.fields(ProfileConfig)}.get(action.dest)
        unset = default is None or default is False or default == () or default is dataclasses.MISSING
        if unset or action.help == argparse.SUPPRESS:
            return action.help
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        return f"{action.help} (default {shown})"


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``profile`` subcommand to a ``layersplit`` subparsers object; returns its parser."""
    # Every option's default is None (unset): ProfileConfig fills in its own (see _config).
    p = subparsers.add_parser(
        "profile", help="split-point analysis: compute share, bytes and perplexity under erasure",
        formatter_class=_ConfigDefaults,
        description="For every split point k: UE share of FLOPs, tensor bytes per token and "
                    "perplexity under element and packet erasure. Writes OUT/profile.csv and OUT/profile.png.")
    a = p.add_argument
    a("--model", help="'smollm2-135m' (bundled) or a local Hugging Face folder")
    a("--corpus", help="'lee', 'wiki' or a path to a text file")
    a("--window", type=int, help="tokens per evaluation window")
    a("--stride", type=int, help="tokens between window starts")
    a("--max-tokens", type=int, help="tokens of the corpus to use")
    a("--ks", type=_int_list, help="split points: 'all' (default), '0,5,10' or '0-30:5'")
    a("--ps", type=_float_list, help="loss probabilities")
    a("--modes", type=_str_list, help="damage models whose strength is p, e.g. element,packet")
    a("--dtype", help="model dtype: float32 or bfloat16")
    a("--device", help="auto, cpu or cuda (bfloat16 on a GPU)")
    a("--seed", type=int, help="damage seed (same seed, same table)")
    a("--seeds", type=int, help="mask seeds averaged per damaged cell at least")
    a("--max-seeds", type=int, help="more seeds, one at a time, while a cell's 95%% interval is wider "
      "than --ci-target, up to this many")
    a("--ci-target", type=float, help="relative half-width of the 95%% interval to reach")
    a("--decisive", type=int, help="exact expectation over up to this many decisive elements (or their "
      "packets) per window, 0 = plain draws (llm_split.damage.strata)")
    a("--decisive-factor", type=float, help="an element is decisive at this many times the median magnitude")
    a("--out", help="output folder")
    a("--cache-dir", help="model cache root (default $LAYERSPLIT_CACHE or ~/.cache/layersplit)")
    a("--wire-dtype", help="activation format: float32, float16, bfloat16, int8, int4")
    a("--tensor-bytes", type=int, help="tensor bytes per packet (the 20-byte header and any protected "
      "channels come on top; a session's transfer.payload_bytes counts the whole packet)")
    a("--payload-bytes", type=int, dest="old_payload_bytes", help=argparse.SUPPRESS)  # deprecated: --tensor-bytes
    a("--fill", help="erased elements: zero (seed paper) or mean (per-channel mean)")
    a("--sink-row", "--sink", action="store_true", default=None, help="edge restores the BOS row from its own copy (free, helps a lot)")
    a("--protect", type=_int_list, help="channels repeated in every packet, e.g. 507")
    a("--interleave", action="store_true", default=None, help="packet mode: spread the elements over the packets, "
      "so a lost packet erases a scattered share of every token (float wire dtypes)")
    a("--ue-device", help="UE profile: phone, edge-gpu or measured")
    a("--edge-device", help="edge profile: phone, edge-gpu or measured")
    a("--measure", action="store_true", help="measure this machine's profile first and save it as 'measured'")
    a("--max-cache-mb", type=float, help="hidden-state cache bound in MiB")
    a("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
    return p


def _config(args):
    """ProfileConfig of the options given (an option left out, or 'all' for --ks / --protect, takes
    the dataclass's default)."""
    from llm_split.profile import ProfileConfig

    given = {f.name: getattr(args, f.name, None) for f in dataclasses.fields(ProfileConfig)}
    if getattr(args, "old_payload_bytes", None) is not None:
        if given["tensor_bytes"] is not None:
            raise ValueError("--payload-bytes: the old name of --tensor-bytes; give only --tensor-bytes")
        print("layersplit profile: --payload-bytes is deprecated, it counts tensor bytes per packet: "
              "use --tensor-bytes", file=sys.stderr)
        given["tensor_bytes"] = args.old_payload_bytes
    return ProfileConfig(**{k: v for k, v in given.items() if v is not None})


def _measure(cfg) -> None:
    from llm_split.cost import measure_profile, save_profile
    from llm_split.model import default_cache_dir, load_model

    model, _ = load_model(cfg.model, cfg.dtype, cfg.cache_dir, device=cfg.device, field="--device")
    prof = measure_profile(model)  # on the model's device: a GPU edge's profile where --device cuda
    path = Path(cfg.cache_dir or default_cache_dir()) / "profiles" / "measured.json"
    save_profile(prof, path)
    print(f"measured: {prof.flop_rate / 1e9:.1f} GFLOP/s, {prof.byte_rate / 1e9:.1f} GB/s -> {path}")


def run(args) -> int:
    """Entry point of ``layersplit profile``; returns the exit code (2 on a bad option)."""
    from llm_split.profile import write_profile

    try:
        cfg = _config(args)
        if args.measure:
            _measure(cfg)
        df = write_profile(cfg, progress=not args.no_progress)
    except ValueError as exc:
        print(f"layersplit profile: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {Path(cfg.out) / 'profile.csv'} ({len(df)} rows) and {Path(cfg.out) / 'profile.png'}")
    return 0
