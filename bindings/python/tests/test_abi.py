"""The ctypes declarations match the C header: struct sizes and offsets from the C
compiler, and the set of EK_API functions."""
import ctypes
import os
import re
import shutil
import subprocess

import pytest

import embedkit
from embedkit import _lib


def _c_layout(include_dir, tmp_path):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler is needed to check the layout"
    lines = ['#include <embedkit/embedkit.h>', '#include <stddef.h>', '#include <stdio.h>',
             'int main(void) {']
    for name, cls in _lib.STRUCTS.items():
        lines.append('printf("%s size %%zu\\n", sizeof(%s));' % (name, name))
        for field, _ in cls._fields_:
            lines.append('printf("%s %s %%zu\\n", offsetof(%s, %s));'
                         % (name, field, name, field))
    for s in embedkit.Status:
        if s.name != "OK":
            lines.append('printf("status %s %%d\\n", (int)EK_ERR_%s);' % (s.name, s.name))
    for m in embedkit.Metric:
        lines.append('printf("metric %s %%d\\n", (int)EK_METRIC_%s);' % (m.name, m.name))
    for lv in embedkit.LogLevel:
        lines.append('printf("log %s %%d\\n", (int)EK_LOG_%s);' % (lv.name, lv.name))
    for kind in embedkit.IndexKind:
        lines.append('printf("index %s %%d\\n", (int)EK_INDEX_%s);' % (kind.name, kind.name))
    for el in embedkit.Element:
        lines.append('printf("element %s %%d\\n", (int)EK_ELEMENT_%s);' % (el.name, el.name))
    lines.append('printf("abi_major %d\\n", EK_ABI_VERSION_MAJOR);')
    lines.append("return 0; }")
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c99", "-I", include_dir, str(src), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return dict((" ".join(l.split()[:-1]), int(l.split()[-1])) for l in out.splitlines())


def test_struct_layout_and_constants_match_the_header(include_dir, tmp_path):
    c = _c_layout(include_dir, tmp_path)
    for name, cls in _lib.STRUCTS.items():
        assert ctypes.sizeof(cls) == c["%s size" % name], name
        for field, _ in cls._fields_:
            assert getattr(cls, field).offset == c["%s %s" % (name, field)], (name, field)
    for s in embedkit.Status:
        if s.name != "OK":
            assert int(s) == c["status " + s.name]
    for m in embedkit.Metric:
        assert int(m) == c["metric " + m.name]
    for lv in embedkit.LogLevel:
        assert int(lv) == c["log " + lv.name]
    for kind in embedkit.IndexKind:
        assert int(kind) == c["index " + kind.name]
    for el in embedkit.Element:
        assert int(el) == c["element " + el.name]
    assert c["abi_major"] == _lib.ABI_MAJOR


def test_every_host_function_is_declared(include_dir):
    with open(os.path.join(include_dir, "embedkit", "embedkit.h")) as f:
        header = f.read()
    declared = set(re.findall(r"EK_API\s[^;(]*?\b(ek_\w+)\s*\(", header))
    assert declared, "no EK_API declarations found"
    assert declared == set(_lib.FUNCTION_NAMES)
