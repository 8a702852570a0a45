"""Builds the pure-Python `embedkit` package (ctypes + NumPy; no compiled extension).

Works offline with Debian's python3-setuptools: there is deliberately no
pyproject.toml, so pip builds without an isolated environment that would have to
download setuptools.

    pip install ./bindings/python                                   # library found at run time
    EMBEDKIT_LIBRARY=build/sdk/capi/libembedkit.so pip install ./bindings/python
                                                                    # copies the library in

When EMBEDKIT_LIBRARY names a library file at build time, it is copied into the
package as libembedkit.so.<ABI major>, where the package looks first.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ABI_MAJOR = 1


class build_py_with_library(build_py):
    """build_py that also copies $EMBEDKIT_LIBRARY next to the package modules."""

    def run(self):
        super().run()
        lib = os.environ.get("EMBEDKIT_LIBRARY")
        if not lib:
            return
        if not os.path.isfile(lib):
            raise SystemExit("EMBEDKIT_LIBRARY=%s is not a file" % lib)
        dest = os.path.join(self.build_lib, "embedkit", "libembedkit.so.%d" % ABI_MAJOR)
        self.announce("copying %s -> %s" % (lib, dest), level=2)
        shutil.copyfile(os.path.realpath(lib), dest)
        os.chmod(dest, 0o755)


with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
    long_description = f.read()

setup(
    name="embedkit",
    version="0.1.0",
    description="Python binding of embedkit: plugins that turn data into vectors, "
                "and a SQLite vector store (ctypes over the C ABI)",
    long_description=long_description,
    long_description_content_type="text/markdown",
    packages=["embedkit"],
    package_data={"embedkit": ["py.typed"]},
    python_requires=">=3.8",
    install_requires=["numpy>=1.20"],
    cmdclass={"build_py": build_py_with_library},
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
        "Typing :: Typed",
    ],
)
