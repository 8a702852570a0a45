"""Runs the tour of docs/distributed.md as written and checks every output it shows.

The tour is the section "## A tour": ```sh blocks typed into one bash session (they
start `dask scheduler` and two `dask worker`s on 127.0.0.1, stop and restart one, back
the shards up, stop the cluster) and ```python blocks typed into one Python session
started from that shell (its EMBEDKIT_LIBRARY and PYTHONPATH), in the page's order.
A ```text block after a code block is that block's output; a code block without one
must print nothing. The session runs in a scratch directory laid out like a built
checkout (build/sdk/capi/libembedkit.so and bindings/python link to the real ones),
so the relative paths the tour uses work as written. Whatever the tour leaves running
is stopped at the end through the pid files it writes.

The scheduler's address: the tour takes EK_SCHEDULER from the environment when set
(default 127.0.0.1:8786); this test sets it to a free port of 127.0.0.1, so that a
cluster already on 8786 (or two test runs at once) cannot collide with it. Only
trailing spaces are normalised.

Usage: test_distributed_tour.py --doc docs/distributed.md --library LIBEMBEDKIT
       --python-src bindings/python [--print]   (--print: show each block's output)
Exit 0 pass, 77 skip (no dask/distributed for this python), 1 fail.
"""
import argparse
import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
MARKER = "@@ek-dask-tour-block-{}@@"
SH_BLOCK_TIMEOUT_S = 120


def tour_section(doc: str) -> str:
    start = doc.index("\n## A tour\n")
    end = doc.find("\n## ", start + 1)
    return doc[start:end if end >= 0 else len(doc)]


def steps_of(section: str):
    """[(language, code, expected output or None)]; a text block belongs to the code
    block before it."""
    steps = []
    for m in BLOCK.finditer(section):
        language, text = m.group(1), m.group(2)
        if language == "text":
            if not steps or steps[-1][2] is not None:
                raise ValueError("a ```text block that follows no code block:\n" + text)
            steps[-1] = (steps[-1][0], steps[-1][1], text)
        elif language in ("sh", "python"):
            steps.append((language, text, None))
        else:
            raise ValueError("the tour has a ```%s block; the test runs sh and python" % language)
    return steps


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


class Shell:
    """One bash session fed block by block; a block's output ends at its marker."""

    def __init__(self, cwd: Path) -> None:
        self.proc = subprocess.Popen(["bash", "--norc", "--noprofile"], cwd=cwd,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     start_new_session=True)
        self.count = 0

    def run(self, code: str) -> str:
        self.count += 1
        marker = MARKER.format(self.count)
        self.proc.stdin.write(code + "\necho; echo '%s' $?\n" % marker)
        self.proc.stdin.flush()
        lines = []
        deadline = time.monotonic() + SH_BLOCK_TIMEOUT_S
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("the shell ended during block %d:\n%s"
                                     % (self.count, "".join(lines)))
            if line.startswith(marker):
                status = int(line.split()[1])
                break
            lines.append(line)
            if time.monotonic() > deadline:
                raise AssertionError("sh block %d ran over %d s" % (self.count, SH_BLOCK_TIMEOUT_S))
        out = "".join(lines)
        out = out[:-1] if out.endswith("\n") else out  # the echo before the marker
        if status != 0:
            raise AssertionError("sh block %d exited %d:\n%s" % (self.count, status, out))
        return out

    def variable(self, name: str) -> str:
        return self.run('printf "%%s" "${%s:-}"' % name)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def run_python(code: str, namespace: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<docs/distributed.md>", "exec"), namespace)
    return out.getvalue()


def stop_leftovers(scratch: Path) -> None:
    """Stops every process the tour left behind (its pid files), and waits for them."""
    pids = []
    for pid_file in scratch.rglob("*.pid"):
        try:
            pids.append(int(pid_file.read_text().strip()))
        except ValueError:
            continue
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def free_local_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lay_out_checkout(scratch: Path, library: Path, python_src: Path) -> None:
    (scratch / "build/sdk/capi").mkdir(parents=True)
    (scratch / "build/sdk/capi/libembedkit.so").symlink_to(library)
    (scratch / "bindings").mkdir()
    (scratch / "bindings/python").symlink_to(python_src)


def run_tour(doc: Path, library: Path, python_src: Path, show: bool) -> int:
    steps = steps_of(tour_section(doc.read_text(encoding="utf-8")))
    failures = []
    with tempfile.TemporaryDirectory(prefix="ek-dask-tour-") as tmp:
        scratch = Path(tmp)
        lay_out_checkout(scratch, library, python_src)
        os.environ.setdefault("EK_SCHEDULER", "127.0.0.1:%d" % free_local_port())
        shell = Shell(scratch)
        namespace = {"__name__": "__main__"}
        python_ready = False
        old_cwd = os.getcwd()
        os.chdir(scratch)
        try:
            for n, (language, code, expected) in enumerate(steps, 1):
                if language == "python" and not python_ready:
                    # python3 started from the tour's shell: its environment and path
                    os.environ["EMBEDKIT_LIBRARY"] = shell.variable("EMBEDKIT_LIBRARY")
                    sys.path[:0] = [p for p in shell.variable("PYTHONPATH").split(":") if p]
                    python_ready = True
                try:
                    got = shell.run(code) if language == "sh" else run_python(code, namespace)
                except BaseException:  # the tour stops at a block that fails
                    failures.append("block %d (%s) failed:\n%s\n%s"
                                    % (n, language, code, traceback.format_exc()))
                    break
                if show:
                    print("---- block %d (%s) output:\n%s" % (n, language, got))
                if normalise(got) != normalise(expected or ""):
                    failures.append("block %d (%s):\n%s\nexpected:\n%s\ngot:\n%s"
                                    % (n, language, code, expected or "(nothing)", got))
        finally:
            os.chdir(old_cwd)
            with contextlib.suppress(Exception):
                client = namespace.get("client")
                if client is not None:
                    client.close()
            stop_leftovers(scratch)
            with contextlib.suppress(Exception):
                shell.close()
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    print("%d of %d tour blocks as the page shows" % (len(steps) - len(failures), len(steps)))
    return 1 if failures else 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--doc", required=True, type=Path)
    ap.add_argument("--library", required=True, type=Path)
    ap.add_argument("--python-src", required=True, type=Path)
    ap.add_argument("--print", dest="show", action="store_true")
    args = ap.parse_args()
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as e:
        print("skipped: the tour needs dask and distributed for %s (Debian: python3-dask "
              "python3-distributed, installed by scripts/setup.sh): %s" % (sys.executable, e))
        return 77
    return run_tour(args.doc.resolve(), args.library.resolve(), args.python_src.resolve(),
                    args.show)


if __name__ == "__main__":
    sys.exit(main())
