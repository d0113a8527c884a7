"""Test support shared across test folders: pytest plugins that start real servers.

Each module here is registered as a plugin in ``tests/conftest.py`` (``pytest_plugins``), so
its fixtures are available to every test without imports.
"""
