"""Plain mask draws against the exact expectation over decisive elements (llm_split.damage.strata).

Setup: `layersplit profile`'s run_profile on SmolLM2, 8 Lee windows of 64 tokens, no sink row,
k = 3 and 15, element and packet erasure at p = 0.01 and 0.1, exactly 5 mask seeds per cell
(no adaptive extra seeds), once with --decisive 0 (plain draws) and once with each value of
--decisive given. Prints each cell's perplexity and 95 % interval; last line one JSON object:
per decisive setting the wall seconds (measured) and each cell's relative half-width.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import record  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisive", default="0,1", help="settings to compare (default 0,1)")
    ap.add_argument("--ks", default="3,15")
    ap.add_argument("--seeds", type=int, default=5)
    record.add_save_option(ap)
    args = ap.parse_args()
    rec = record.Run(args)
    from llm_split.profile import ProfileConfig, run_profile

    out = {}
    for dec in (int(x) for x in args.decisive.split(",")):
        t0 = time.perf_counter()
        cfg = ProfileConfig(window=64, stride=64, max_tokens=512, ks=tuple(int(k) for k in args.ks.split(",")),
                            ps=(0.01, 0.1), modes=("element", "packet"), seeds=args.seeds, max_seeds=args.seeds,
                            decisive=dec)
        df = run_profile(cfg, progress=False)
        wall = time.perf_counter() - t0
        df = df[df.p > 0].assign(half=lambda d: d[["ppl_hi", "ppl"]].eval("ppl_hi / ppl - 1"))
        print(f"decisive={dec}: {wall:.0f} s")
        print(df[["k", "p", "mode", "ppl", "ppl_lo", "ppl_hi", "half"]].round(3).to_string(index=False), flush=True)
        out[f"decisive_{dec}"] = {"wall_s": round(wall, 1), "wall_measured": True,
                                  "half": {f"k{r.k}_p{r.p:g}_{r.mode}": round(float(r.half), 4) for r in df.itertuples()}}
    print(json.dumps(out))
    rec.save(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
