"""Radios: each technology's scenario schema, the config its ns-3 program reads, and the registry."""
