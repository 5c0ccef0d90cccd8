"""The HTML page that `layersplit report` writes, for one run (report.py) or several side by side
(compare.py): a self-contained template and figures inlined as PNG. Once every figure has
decoded the page marks itself ``data-figures-loaded``, which the browser test checks."""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt


def png(fig) -> str:
    """A matplotlib figure as base64 PNG for an inline <img> (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")  # axis labels inside the image
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>layersplit: {title}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}} img{{max-width:100%}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}</style>
</head><body>
{body}
<script>
window.addEventListener("load", function () {{
  var imgs = document.querySelectorAll("img.figure"), ok = 0;
  imgs.forEach(function (i) {{ if (i.complete && i.naturalWidth > 0) ok++; }});
  document.body.setAttribute("data-figures-loaded", ok + "/" + imgs.length);
}});
</script>
</body></html>
"""
