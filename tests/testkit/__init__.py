"""Helpers shared by test folders, imported as ``testkit.<module>`` (pyproject puts tests/ on
sys.path). Not in conftest.py: every folder's conftest is a module named "conftest", so
``from conftest import ...`` got whichever folder's conftest was loaded last. Fixtures stay in
the conftest.py files and call these helpers."""
