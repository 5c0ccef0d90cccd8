"""Helpers that drive `layersplit run` from outside and check what it leaves behind, shared by the
test suite (tests/hardening) and benchmarks/studies/reliability.py, as ``numpy.testing`` is shared:
``runs`` (a run as a child process, its ns-3 child, trace checks), ``storm`` (a run stopped by a
random signal on a random side) and ``fuzz`` (hypothesis strategies over configs; needs the
``test`` extra). The package itself never imports them."""
