"""Doc comments of declarations, read from the header text itself.

libclang attaches only Doxygen-style comments (and with -fparse-all-comments still no
trailing `/* ... */` after a field), while the headers use plain C comments above a
declaration and after a field on the same line. So the comments are taken from the
source lines around each cursor's extent and kept verbatim, less the comment markers:
ownership and threading notes are part of that text.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional

#: Threading tags the headers put in doc comments ("[thread-safe]", "[callback]", ...).
THREADING_TAG = re.compile(
    r"\[(thread-safe|callback|any thread|the calling thread|one thread at a time[^\]]*)\]")


class SourceText:
    """The lines of each header, read once."""

    def __init__(self) -> None:
        self._lines: Dict[str, List[str]] = {}

    def lines(self, path: str) -> List[str]:
        if path not in self._lines:
            with open(path, encoding="utf-8") as f:
                self._lines[path] = f.read().split("\n")
        return self._lines[path]

    def comment_above(self, path: str, line: int) -> Optional[str]:
        """The comment block ending on the line just above `line` (1-based), if that
        block starts on a line of its own (not a trailing comment of the line above)."""
        lines = self.lines(path)
        end = line - 2  # 0-based index of the line above
        if end < 0 or not lines[end].rstrip().endswith("*/"):
            return None
        start = end
        while "/*" not in lines[start]:
            start -= 1
            if start < 0:
                return None
        opening = lines[start]
        if opening[:opening.index("/*")].strip():
            return None  # a trailing comment of the declaration above
        return _strip_markers(lines[start:end + 1])

    def comment_after(self, path: str, line: int, column: int) -> Optional[str]:
        """A comment starting on `line` after `column` (1-based), through its `*/`."""
        lines = self.lines(path)
        rest = lines[line - 1][column - 1:]
        at = rest.find("/*")
        if at < 0 or rest[:at].strip(" ;,"):
            return None
        block = [rest[at:]]
        i = line
        while "*/" not in block[-1] and i < len(lines):
            block.append(lines[i])
            i += 1
        return _strip_markers(block)


def _strip_markers(block: List[str]) -> str:
    """The text of a /* ... */ block: markers and the ' * ' margin removed, lines joined
    with '\\n', each line's indentation relative to the block kept out."""
    text = "\n".join(block)
    text = text[text.index("/*") + 2:text.rindex("*/")]
    out = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line.startswith("* ") or line == "*":
            line = line[2:]
        out.append(line.rstrip())
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def threading_tags(doc: Optional[str]) -> List[str]:
    return sorted(set(THREADING_TAG.findall(doc or "")))
