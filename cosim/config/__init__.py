"""The config engine every schema is built on: strict YAML, typed fields, full key paths in errors."""
