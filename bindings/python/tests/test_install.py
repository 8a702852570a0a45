"""`pip install ./bindings/python` works offline with any pip, build isolation
included (the build backend is in the tree and needs no package), and the installed
package finds the library in each documented place: copied next to the package,
EMBEDKIT_LIBRARY, the install prefix."""
import os
import shutil
import subprocess
import sys

import pytest

PKG = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PROBE = "import embedkit as e; print(e.library_path()); print(e.version())"


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("EMBEDKIT_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH")}
    env.update({"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}, **extra)
    return env


@pytest.fixture
def venv(tmp_path):
    root = tmp_path
    # uses the system's numpy; pip itself comes from Debian's ensurepip wheels
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(root / "venv")],
                   check=True)
    return root


def _install(venv_root, src_name, *pip_args, **env):
    src = venv_root / src_name  # a copy: pip builds in the source folder
    shutil.copytree(PKG, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__",
                                                            ".pytest_cache", "tests"))
    py = venv_root / "venv" / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-index", *pip_args, str(src)],
                   check=True, env=_env(**env), cwd=str(venv_root))
    return py


SEARCH = """
import numpy as np, embedkit as ek
with ek.Context(num_threads=1, plugin_path="") as ctx, ctx.open_store(":memory:") as store:
    c = store.create_collection("t", 3, "l2")
    c.upsert(["a", "b"], np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32))
    with c.search(np.array([0.1, 0.9, 0], dtype=np.float32), k=1) as res:
        print(res.ids(0)[0])
"""


def test_pip_install_with_build_isolation_needs_no_index(venv):
    # An isolated build environment is what any pip but Debian's uses (pip >= 23.1
    # without `wheel`, every pip for a pyproject.toml): it may install nothing that
    # is not in the tree, since PyPI is out of reach here (--no-index).
    lib = os.environ["EMBEDKIT_LIBRARY"]
    py = _install(venv, "src-isolated", "--use-pep517", EMBEDKIT_LIBRARY=lib)
    r = subprocess.run([str(py), "-c", SEARCH], env=_env(), cwd=str(venv), capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["b"]
    r = _probe(py, venv)
    assert r.returncode == 0, r.stderr
    assert "site-packages" in r.stdout.split()[0]  # the copy bundled into the wheel


def _probe(py, cwd, **env):
    return subprocess.run([str(py), "-c", PROBE], env=_env(**env), cwd=str(cwd),
                          capture_output=True, text=True)


def test_pip_install_bundles_the_library(venv):
    lib = os.environ["EMBEDKIT_LIBRARY"]
    py = _install(venv, "src-bundled", EMBEDKIT_LIBRARY=lib)
    r = _probe(py, venv)
    assert r.returncode == 0, r.stderr
    path, version = r.stdout.split()
    assert "site-packages" in path and path.endswith("libembedkit.so.1")
    assert version == "0.1.0"


def test_pip_install_without_library_finds_env_then_prefix(venv):
    lib = os.environ["EMBEDKIT_LIBRARY"]
    py = _install(venv, "src-plain")
    # nothing next to the package: EMBEDKIT_LIBRARY (a file, or the folder holding it)
    r = _probe(py, venv, EMBEDKIT_LIBRARY=lib)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == lib
    r = _probe(py, venv, EMBEDKIT_LIBRARY=os.path.dirname(os.path.realpath(lib)))
    assert r.returncode == 0, r.stderr
    # a wrong EMBEDKIT_LIBRARY is an error, not silently something else
    r = _probe(py, venv, EMBEDKIT_LIBRARY="/nonexistent/libembedkit.so")
    assert r.returncode != 0 and "EMBEDKIT_LIBRARY" in r.stderr
    # the install prefix: <prefix>/lib/libembedkit.so.1
    libdir = venv / "venv" / "lib"
    shutil.copyfile(os.path.realpath(lib), libdir / "libembedkit.so.1")
    r = _probe(py, venv)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == str(libdir / "libembedkit.so.1")
