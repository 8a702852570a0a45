"""The embedkit.dask subpackage ships: the in-tree build backend puts every module of
bindings/python/embedkit/dask into the wheel and the sdist (python_pip_install checks
that the wheel installs)."""
import os
import sys
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "build_backend"))

import embedkit_build  # noqa: E402

MODULES = sorted(f for f in os.listdir(os.path.join(ROOT, "embedkit", "dask")) if f.endswith(".py"))


def test_wheel_and_sdist_hold_every_dask_module(tmp_path, monkeypatch):
    monkeypatch.delenv("EMBEDKIT_LIBRARY", raising=False)  # a pure wheel is enough here
    assert "__init__.py" in MODULES and "writes.py" in MODULES
    wheel = embedkit_build.build_wheel(str(tmp_path))
    names = zipfile.ZipFile(os.path.join(tmp_path, wheel)).namelist()
    assert sorted(n[len("embedkit/dask/"):] for n in names
                  if n.startswith("embedkit/dask/")) == MODULES
    record = [n for n in names if n.endswith("RECORD")][0]
    assert "embedkit/dask/routing.py," in zipfile.ZipFile(
        os.path.join(tmp_path, wheel)).read(record).decode()
    sdist = embedkit_build.build_sdist(str(tmp_path))
    with tarfile.open(os.path.join(tmp_path, sdist)) as tar:
        in_sdist = [n.split("/embedkit/dask/")[1] for n in tar.getnames() if "/embedkit/dask/" in n]
    assert sorted(in_sdist) == MODULES
