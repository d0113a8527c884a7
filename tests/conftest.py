"""Registers the shared test-support plugins (fixtures that start real servers)."""

pytest_plugins = [
    "tests.support.envtest",
    "tests.support.moto_server",
    "tests.support.prometheus",
]
