"""The LTE cell (ns-3's own LTE module): schema, bands, fading traces, program config."""
