"""The PEP 517 build backend of the `embedkit` package: standard library only.

pip builds in an isolated environment and installs the backend's requirements into
it first; with setuptools as the backend that means a download, which fails offline
(and PyPI is unreachable on the machines this project is built on). This backend
needs nothing but Python itself (``requires = []`` in pyproject.toml, found through
``backend-path``), so ``pip install ./bindings/python`` works offline with any pip.

The package is pure Python (ctypes + NumPy): a wheel is the ``embedkit/`` folder plus
the ``.dist-info`` metadata. When ``EMBEDKIT_LIBRARY`` names a library file at build
time, it is copied in as ``embedkit/libembedkit.so.<ABI major>`` (where the package
looks first) and the wheel is tagged for this platform instead of ``any``.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import sysconfig
import tarfile
import zipfile
from typing import Dict, List, Optional, Tuple

NAME = "embedkit"
VERSION = "0.1.0"
ABI_MAJOR = 1
SUMMARY = ("Python binding of embedkit: plugins that turn data into vectors, and a SQLite "
           "vector store (ctypes over the C ABI)")
REQUIRES_PYTHON = ">=3.8"
REQUIRES_DIST = ["numpy>=1.20"]
CLASSIFIERS = ["Programming Language :: Python :: 3", "Operating System :: POSIX :: Linux",
               "Typing :: Typed"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST_INFO = "%s-%s.dist-info" % (NAME, VERSION)

__all__ = ["build_wheel", "build_editable", "build_sdist", "get_requires_for_build_wheel",
           "get_requires_for_build_editable", "get_requires_for_build_sdist",
           "prepare_metadata_for_build_wheel", "prepare_metadata_for_build_editable"]


# ---- metadata ------------------------------------------------------------------------


def _metadata() -> str:
    """Core metadata 2.1 (PKG-INFO / METADATA), the README as the description."""
    lines = ["Metadata-Version: 2.1", "Name: " + NAME, "Version: " + VERSION,
             "Summary: " + SUMMARY, "Requires-Python: " + REQUIRES_PYTHON]
    lines += ["Requires-Dist: " + r for r in REQUIRES_DIST]
    lines += ["Classifier: " + c for c in CLASSIFIERS]
    lines.append("Description-Content-Type: text/markdown")
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return "\n".join(lines) + "\n\n" + readme


def _library() -> Optional[str]:
    """The library file EMBEDKIT_LIBRARY names, or None; a wrong name is an error."""
    lib = os.environ.get("EMBEDKIT_LIBRARY")
    if not lib:
        return None
    if not os.path.isfile(lib):
        raise SystemExit("EMBEDKIT_LIBRARY=%s is not a file" % lib)
    return os.path.realpath(lib)


def _tag(with_library: bool) -> str:
    if not with_library:
        return "py3-none-any"
    return "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _wheel_file(tag: str, pure: bool) -> str:
    return ("Wheel-Version: 1.0\nGenerator: embedkit_build\nRoot-Is-Purelib: %s\nTag: %s\n"
            % ("true" if pure else "false", tag))


# ---- wheels --------------------------------------------------------------------------


def _package_files() -> List[Tuple[str, str]]:
    """(archive name, source path) of every file of the package and its subpackages
    (embedkit.dask), sorted."""
    out = []
    for folder, dirs, files in os.walk(os.path.join(ROOT, NAME)):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel = os.path.relpath(folder, ROOT).replace(os.sep, "/")
        out += [("%s/%s" % (rel, f), os.path.join(folder, f)) for f in files
                if f.endswith(".py") or f == "py.typed"]
    return sorted(out)


class _Wheel:
    """A wheel being written: each entry is hashed for RECORD as it goes in."""

    def __init__(self, path: str) -> None:
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records: List[str] = []

    def add(self, name: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
        info.external_attr = (0o755 if executable else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        self.records.append("%s,sha256=%s,%d" % (name, digest.decode("ascii"), len(data)))

    def close(self) -> None:
        record = DIST_INFO + "/RECORD"
        self.records.append(record + ",,")
        self.zip.writestr(zipfile.ZipInfo(record, date_time=(2020, 1, 1, 0, 0, 0)),
                          "\n".join(self.records) + "\n")
        self.zip.close()


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _write_wheel(directory: str, contents: Dict[str, Tuple[bytes, bool]], pure: bool) -> str:
    tag = _tag(not pure)
    name = "%s-%s-%s.whl" % (NAME, VERSION, tag)
    wheel = _Wheel(os.path.join(directory, name))
    try:
        for arcname, (data, executable) in contents.items():
            wheel.add(arcname, data, executable)
        wheel.add(DIST_INFO + "/METADATA", _metadata().encode("utf-8"))
        wheel.add(DIST_INFO + "/WHEEL", _wheel_file(tag, pure).encode("ascii"))
        wheel.add(DIST_INFO + "/top_level.txt", (NAME + "\n").encode("ascii"))
    finally:
        wheel.close()
    return name


def build_wheel(wheel_directory: str, config_settings: Optional[dict] = None,
                metadata_directory: Optional[str] = None) -> str:
    contents = {arc: (_read(src), False) for arc, src in _package_files()}
    lib = _library()
    if lib:
        contents["%s/libembedkit.so.%d" % (NAME, ABI_MAJOR)] = (_read(lib), True)
    return _write_wheel(wheel_directory, contents, pure=lib is None)


def build_editable(wheel_directory: str, config_settings: Optional[dict] = None,
                   metadata_directory: Optional[str] = None) -> str:
    """PEP 660: a wheel holding only a .pth file that puts this folder on sys.path."""
    pth = {NAME + "_editable.pth": ((ROOT + "\n").encode("utf-8"), False)}
    return _write_wheel(wheel_directory, pth, pure=True)


def _prepare_metadata(metadata_directory: str) -> str:
    target = os.path.join(metadata_directory, DIST_INFO)
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    with open(os.path.join(target, "WHEEL"), "w", encoding="ascii") as f:
        f.write(_wheel_file(_tag(False), True))
    return DIST_INFO


def prepare_metadata_for_build_wheel(metadata_directory: str,
                                     config_settings: Optional[dict] = None) -> str:
    return _prepare_metadata(metadata_directory)


def prepare_metadata_for_build_editable(metadata_directory: str,
                                        config_settings: Optional[dict] = None) -> str:
    return _prepare_metadata(metadata_directory)


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[dict] = None) -> List[str]:
    return []


# ---- sdist ---------------------------------------------------------------------------


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    """The package, its backend and tests, README and pyproject.toml, plus PKG-INFO."""
    base = "%s-%s" % (NAME, VERSION)
    files = ["pyproject.toml", "README.md"] + [name for name, _ in _package_files()]
    for folder in ("build_backend", "tests"):
        if not os.path.isdir(os.path.join(ROOT, folder)):
            continue
        for f in sorted(os.listdir(os.path.join(ROOT, folder))):
            if f.endswith(".py") or f == "py.typed":
                files.append("%s/%s" % (folder, f))
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for rel in files:
            tar.add(os.path.join(ROOT, rel), arcname="%s/%s" % (base, rel), recursive=False)
        info = _metadata().encode("utf-8")
        entry = tarfile.TarInfo("%s/PKG-INFO" % base)
        entry.size = len(info)
        entry.mode = 0o644
        tar.addfile(entry, io.BytesIO(info))
    return name
