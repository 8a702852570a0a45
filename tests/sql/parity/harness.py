"""The shape of a corpus example and how one runs on one connection.

An example is sqlite-vec's own SQL. For embedkit it is rewritten by one rule only:
the module name `vec0` becomes `embedkit` (as a word, so `vec0`'s functions keep their
names). Where vec0 0.1.9 cannot run a documented query on this host's SQLite (3.40.1),
`Query.vec0_sql` gives the form the same doc recommends instead, with the reason; embedkit
always runs the query as documented.
"""
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

from . import data


@dataclass(frozen=True)
class Sql:
    """A setup statement; with `rows`, executed once per row (executemany)."""
    text: str
    rows: Optional[list] = None


@dataclass(frozen=True)
class Query:
    sql: str
    params: Union[tuple, dict] = ()
    k: Optional[int] = None           # how many rows the query asks for (ties at the cut)
    vec0_sql: Optional[str] = None    # what vec0 runs instead, when it cannot run `sql` here
    vec0_reason: str = ""
    both_refuse: bool = False         # documented as an error (❌): both must refuse it
    ours_error: Optional[str] = None  # a known difference: embedkit's error must contain this
    ours_rows: Optional[list] = None  # a known difference: embedkit must return these rows
    reason: str = ""                  # why (ours_error / ours_rows), listed in the summary


@dataclass(frozen=True)
class Example:
    name: str
    source: str                       # where sqlite-vec documents it (URL / file)
    setup: tuple
    queries: tuple
    ours_setup_error: Optional[str] = None   # known difference at CREATE/INSERT: our error
    reason: str = ""
    functions: tuple = field(default=())     # (name, nargs, fn) both connections get


@dataclass
class Outcome:
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    error: Optional[str] = None


def for_embedkit(sql: str) -> str:
    return re.sub(r"\bvec0\b", "embedkit", sql)


def _prepare(conn: sqlite3.Connection, example: Example, rewrite: Callable) -> None:
    conn.create_function("embed", 1, data.embed, deterministic=True)
    for name, nargs, fn in example.functions:
        conn.create_function(name, nargs, fn, deterministic=True)
    for step in example.setup:
        if step.rows is None:
            conn.execute(rewrite(step.text))
        else:
            conn.executemany(rewrite(step.text), step.rows)


def run_setup(conn: sqlite3.Connection, example: Example, ours: bool) -> Optional[str]:
    """Runs the setup; returns the error message, or None when it all ran."""
    try:
        _prepare(conn, example, for_embedkit if ours else (lambda s: s))
        return None
    except sqlite3.Error as error:
        return str(error)


def run_query(conn: sqlite3.Connection, query: Query, ours: bool) -> Outcome:
    sql = for_embedkit(query.sql) if ours else (query.vec0_sql or query.sql)
    try:
        cursor = conn.execute(sql, query.params)
        rows = cursor.fetchall()
        return Outcome([d[0] for d in cursor.description or ()], rows)
    except sqlite3.Error as error:
        return Outcome(error=str(error))
