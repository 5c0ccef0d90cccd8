"""Packages whose public names load on first use (PEP 562), so that `layersplit --help` and a
cell run do not import torch or stable-baselines3. Used by llm_split and mbrl."""

import importlib
import sys
import types
from typing import Mapping


def lazy_exports(package: str, where: Mapping[str, str]) -> None:
    """Makes each name of ``where`` (name -> submodule) load from ``package.<submodule>`` on first
    access. Importing a submodule binds its name in the package; where a function has that name
    (as before, when the package imported everything), the function wins."""
    module = sys.modules[package]
    namespace = vars(module)

    def __getattr__(name):
        if name in where:
            value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(where))

    class _Package(types.ModuleType):
        def __setattr__(self, name, value):
            if not (isinstance(value, types.ModuleType) and where.get(name) == name):
                super().__setattr__(name, value)

    namespace["__getattr__"] = __getattr__
    namespace["__dir__"] = __dir__
    module.__class__ = _Package
