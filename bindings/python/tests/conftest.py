"""Fixtures for the binding tests. They drive the real libembedkit.

Environment (ctest sets all of them, tests/bindings/python/CMakeLists.txt):
  EMBEDKIT_LIBRARY               the library under test (required)
  EMBEDKIT_TEST_TEMPLATE_PLUGIN  samples/plugin_template module trigram_hash.so (required)
  EMBEDKIT_TEST_FIXTURE_DIR      tests/plugins/host_fixtures build folder (loader failure paths)
  EMBEDKIT_TEST_INCLUDE_DIR      abi/include (default: found from this file)
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# Test the package in this source tree unless told otherwise (the pip test installs it).
if os.environ.get("EMBEDKIT_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.dirname(HERE))


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise pytest.UsageError("set %s (see tests/conftest.py)" % name)
    return value


def pytest_configure(config):
    _required("EMBEDKIT_LIBRARY")
    _required("EMBEDKIT_TEST_TEMPLATE_PLUGIN")


@pytest.fixture(scope="session")
def template_plugin() -> str:
    return os.environ["EMBEDKIT_TEST_TEMPLATE_PLUGIN"]


@pytest.fixture(scope="session")
def fixture_dir() -> str:
    d = os.environ.get("EMBEDKIT_TEST_FIXTURE_DIR")
    if not d:
        pytest.skip("EMBEDKIT_TEST_FIXTURE_DIR not set (loader failure fixtures)")
    return d


@pytest.fixture(scope="session")
def include_dir() -> str:
    return os.environ.get("EMBEDKIT_TEST_INCLUDE_DIR") or os.path.normpath(
        os.path.join(HERE, "..", "..", "..", "abi", "include"))


@pytest.fixture
def ctx():
    import embedkit
    with embedkit.Context(num_threads=2, plugin_path="") as c:
        yield c
