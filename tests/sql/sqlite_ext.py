"""Opens Python sqlite3 connections with embedkit's SQL extension (and, for the parity
suite, sqlite-vec's vec0) loaded. Every SQL test imports this.

The extension's path comes from EK_SQL_EXTENSION (ctest sets it to the built
libembedkit_sqlite.so); vec0's from EK_VEC0 or the npm copy setup installs.
"""
import os
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EXTENSION = ROOT / "build" / "sdk" / "sql" / "libembedkit_sqlite.so"
DEFAULT_VEC0 = ROOT / "tools" / "npm" / "node_modules" / "sqlite-vec-linux-x64" / "vec0.so"


def extension_path() -> str:
    return os.environ.get("EK_SQL_EXTENSION", str(DEFAULT_EXTENSION))


def vec0_path() -> str:
    return os.environ.get("EK_VEC0", str(DEFAULT_VEC0))


def _load(conn: sqlite3.Connection, path: str) -> None:
    conn.enable_load_extension(True)
    try:
        conn.load_extension(path)
    finally:
        conn.enable_load_extension(False)


def connect(path=":memory:", **kwargs) -> sqlite3.Connection:
    """A connection to `path` with embedkit's extension loaded."""
    conn = sqlite3.connect(path, **kwargs)
    _load(conn, extension_path())
    return conn


def connect_vec0(path=":memory:", **kwargs) -> sqlite3.Connection:
    """A connection to `path` with sqlite-vec's vec0 loaded (the parity peer)."""
    conn = sqlite3.connect(path, **kwargs)
    _load(conn, vec0_path())
    return conn


def require_vec0() -> None:
    """Exit 77 (ctest's skip code) with a message when vec0 is not installed."""
    if not Path(vec0_path()).exists():
        print(f"skipped: sqlite-vec's vec0 not found at {vec0_path()} (scripts/setup.sh installs it)")
        sys.exit(77)
