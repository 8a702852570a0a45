"""Runs the tour of docs/sql.md verbatim and checks every output it shows.

The tour is the section "## A tour": one ```sh block starting the sqlite3 shell, the
```sql blocks typed into that one session, one ```python block run afterwards, each
followed by a ```text block showing its output (a code block without one must print
nothing). The commands run in a scratch directory laid out like a built checkout
(build/sdk/sql/libembedkit_sqlite.so and build/sdk/cli/embedkit link to the built
files), so the relative paths the tour uses work as written.

Only two things are normalised: trailing spaces (the shell pads columns) and the
"near line N" the shell adds to an error when its input is not a terminal.

Usage: test_sql_tour.py --doc docs/sql.md --extension LIB --cli EMBEDKIT
Exit 0 pass, 77 skip (no sqlite3 shell or stdbuf), 1 fail.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
MARKER = "@@ek-tour-block-{}@@"


def tour_section(doc: str) -> str:
    start = doc.index("\n## A tour\n")
    end = doc.find("\n## ", start + 1)
    return doc[start:end if end >= 0 else len(doc)]


def code_blocks(section: str):
    """[(language, text)] in order."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(section)]


def pair_outputs(blocks):
    """[(language, code, expected output)]; a text block belongs to the code before it."""
    steps = []
    for language, text in blocks:
        if language == "text":
            if not steps or steps[-1][2] is not None:
                raise ValueError("a ```text block that follows no code block:\n" + text)
            steps[-1] = (steps[-1][0], steps[-1][1], text)
        elif language in ("sh", "sql", "python"):
            steps.append((language, text, None))
        else:
            raise ValueError(f"the tour has a ```{language} block; the test runs sh, sql, python")
    return steps


def normalise(text: str) -> str:
    text = re.sub(r"^(Parse|Runtime) error near line \d+:", r"\1 error:", text, flags=re.MULTILINE)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def checkout_like(root: Path, extension: str, cli: str) -> None:
    for link, target in (("build/sdk/sql/libembedkit_sqlite.so", extension),
                         ("build/sdk/cli/embedkit", cli)):
        path = root / link
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(os.path.abspath(target))


class SqlTourTest(unittest.TestCase):
    args = None

    def setUp(self):
        for tool in ("sqlite3", "stdbuf"):
            if not shutil.which(tool):
                raise unittest.SkipTest(f"no {tool} on PATH (scripts/setup.sh installs Debian's sqlite3)")
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        checkout_like(self.root, self.args.extension, self.args.cli)
        self.steps = pair_outputs(code_blocks(tour_section(Path(self.args.doc).read_text())))

    def tearDown(self):
        self.tmp.cleanup()

    def run_step(self, argv, stdin=""):
        # Line-buffered stdout (stdbuf) keeps the shell's results in order with its
        # errors on stderr and with the output of the commands .shell runs.
        done = subprocess.run(["stdbuf", "-oL", "-eL", *argv], input=stdin, cwd=self.root,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=120)
        return done.stdout

    def check(self, language, code, expected, actual):
        self.assertEqual(normalise(expected or ""), normalise(actual),
                         f"the ```{language} block\n{code}\nprints otherwise than docs/sql.md shows")

    def run_shell_session(self, command, sql_steps):
        script = "".join(f".print {MARKER.format(i)}\n{code}" for i, (_, code, _) in
                         enumerate(sql_steps))
        output = self.run_step(["bash", "-c", command], script)
        parts = re.split(r"^@@ek-tour-block-(\d+)@@\n", output, flags=re.MULTILINE)
        self.assertEqual(normalise(parts[0]), "", f"`{command}` printed before the first block")
        seen = [int(n) for n in parts[1::2]]
        self.assertEqual(seen, list(range(len(sql_steps))),
                         f"the shell stopped early; its output:\n{output}")
        for (language, code, expected), actual in zip(sql_steps, parts[2::2]):
            self.check(language, code, expected, actual)

    def test_the_tour_runs_verbatim_and_prints_what_it_shows(self):
        steps = self.steps
        self.assertEqual(steps[0][0], "sh", "the tour starts with the ```sh block that opens the shell")
        self.assertIsNone(steps[0][2], "the shell's own ```sh block shows no output")
        command = steps[0][1].strip()
        sql = [s for s in steps[1:] if s[0] == "sql"]
        rest = [s for s in steps[1:] if s[0] != "sql"]
        self.assertGreater(len(sql), 10, "the tour's SQL blocks were not found")
        self.assertEqual([s[0] for s in steps[1:len(sql) + 1]], ["sql"] * len(sql),
                         "every ```sql block comes right after the shell's ```sh block")
        self.run_shell_session(command, sql)
        self.assertEqual([s[0] for s in rest], ["python"], "one ```python block ends the tour")
        for language, code, expected in rest:
            self.check(language, code, expected, self.run_step([sys.executable, "-c", code]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--doc", required=True)
    parser.add_argument("--extension", required=True)
    parser.add_argument("--cli", required=True)
    args, rest = parser.parse_known_args()
    SqlTourTest.args = args
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False).result
    if result.skipped and not result.failures and not result.errors and result.testsRun == len(result.skipped):
        sys.exit(77)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
