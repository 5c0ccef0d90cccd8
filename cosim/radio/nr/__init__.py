"""The 5G NR cell (5G-LENA): schema and program config."""
