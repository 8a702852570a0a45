"""Every exported ek_* function of the ABI description, and every member of every plugin
extension table (abi/include/embedkit/ext/*.h), has a wrapper in Python, Rust and JS, or
is listed in not_applicable.txt with a reason (issue 21 item 4).

What counts as a wrapper is binding_scan's rule: the binding's hand-written code calls
the function (JS possibly through the C glue of wasm/src). The tests after the
repository check pin that rule on small sources, so that the check cannot pass by
accident (a comment, a message, a generated declaration).
"""
from __future__ import annotations

import json
import os
import re
from typing import Dict, List, Tuple

import sys

import binding_scan as scan

sys.path.insert(0, os.path.join(scan.ROOT, "tools", "abigen"))
import gen_common  # noqa: E402  (the tables as the generators read them)

HERE = os.path.dirname(os.path.abspath(__file__))
DESCRIPTION = os.path.join(scan.ROOT, "abi", "embedkit_abi.json")
NOT_APPLICABLE = os.path.join(HERE, "not_applicable.txt")
WHERE = {"python": "bindings/python/embedkit", "rust": "bindings/rust/src",
         "js": "wasm/js (directly or through wasm/src glue)"}


def _description() -> dict:
    with open(DESCRIPTION, encoding="utf-8") as f:
        return json.load(f)


def described_functions() -> List[str]:
    return [fn["name"] for fn in _description()["functions"]]


def described_tables() -> Dict[str, List[str]]:
    """Extension table -> its members, for the tables of ext/*.h."""
    return {t["table"]: [m["name"] for m in t["members"]]
            for t in gen_common.extension_tables(_description())}


def described_members() -> List[str]:
    return ["%s.%s" % (t, m) for t, ms in described_tables().items() for m in ms]


def read_not_applicable(text: str) -> Dict[Tuple[str, str], str]:
    """(function, binding) -> reason, from lines "<function> <binding>: <reason>";
    a table member is written "<table>.<member>", every member of a table "<table>.*"."""
    out: Dict[Tuple[str, str], str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"(\w+(?:\.(?:\w+|\*))?)\s+(\w+):\s*(.*)$", line)
        assert m, "not_applicable.txt:%d: expected '<function> <binding>: <reason>'" % number
        key = (m.group(1), m.group(2))
        assert key not in out, "not_applicable.txt:%d: %s %s listed twice" % ((number,) + key)
        out[key] = m.group(3)
    return out


def _not_applicable() -> Dict[Tuple[str, str], str]:
    with open(NOT_APPLICABLE, encoding="utf-8") as f:
        return read_not_applicable(f.read())


# ---- the repository ----------------------------------------------------------------------

def test_every_function_has_a_wrapper_in_every_binding_or_a_reason():
    wrapped = scan.wrapped()
    exempt = _not_applicable()
    missing = ["%s: no wrapper in the %s binding (%s)" % (fn, binding, WHERE[binding])
               for fn in described_functions() for binding in scan.BINDINGS
               if fn not in wrapped[binding] and (fn, binding) not in exempt]
    assert not missing, (
        "EK_API functions without a wrapper; add one (docs/bindings.md) or list the "
        "function in tests/bindings/coverage/not_applicable.txt with a reason:\n  "
        + "\n  ".join(missing))


def test_every_extension_table_member_has_a_wrapper_in_every_binding_or_a_reason():
    wrapped = scan.members_wrapped(described_tables())
    exempt = _not_applicable()
    missing = ["%s: no call in the %s binding (%s)" % (m, binding, WHERE[binding])
               for m in described_members() for binding in scan.BINDINGS
               if m not in wrapped[binding] and (m, binding) not in exempt
               and (m.split(".")[0] + ".*", binding) not in exempt]
    assert not missing, (
        "extension table members no binding code calls; wrap them (docs/bindings.md) or "
        "list them in tests/bindings/coverage/not_applicable.txt with a reason:\n  "
        + "\n  ".join(missing))


def test_not_applicable_entries_are_current_and_give_a_reason():
    tables = described_tables()
    functions = set(described_functions()) | set(described_members())
    functions |= {t + ".*" for t in tables}
    wrapped = scan.wrapped()
    members = scan.members_wrapped(tables)
    for binding in scan.BINDINGS:
        # "<table>.*" is stale as soon as the binding calls one member of the table.
        wrapped[binding] = wrapped[binding] | members[binding] | {
            m.split(".")[0] + ".*" for m in members[binding]}
    stale = []
    for (fn, binding), reason in sorted(_not_applicable().items()):
        if binding not in scan.BINDINGS:
            stale.append("%s %s: unknown binding (one of %s)" % (fn, binding,
                                                                 ", ".join(scan.BINDINGS)))
        elif fn not in functions:
            stale.append("%s %s: no such function or table member in abi/embedkit_abi.json"
                         % (fn, binding))
        elif fn in wrapped[binding]:
            stale.append("%s %s: the binding wraps it now; remove the entry" % (fn, binding))
        elif len(reason.split()) < 3:
            stale.append("%s %s: the reason is missing or too short" % (fn, binding))
    assert not stale, "not_applicable.txt:\n  " + "\n  ".join(stale)


def test_the_description_has_tables_and_each_binding_calls_most_members():
    tables = described_tables()
    assert {"ek_classifier_ext", "ek_matcher_ext", "ek_recommender_ext",
            "ek_unlearner_ext"} <= set(tables)
    members = described_members()
    wrapped = scan.members_wrapped(tables)
    for binding in scan.BINDINGS:
        assert len(set(members) & wrapped[binding]) > len(members) * 0.5, binding


def test_the_description_has_functions_and_each_binding_wraps_most():
    functions = described_functions()
    assert len(functions) > 50
    wrapped = scan.wrapped()
    for binding in scan.BINDINGS:
        assert len(set(functions) & wrapped[binding]) > len(functions) * 0.9, binding


# ---- the rule, on small sources ---------------------------------------------------------------

def test_python_counts_calls_and_bare_names_not_comments_or_messages():
    names = scan.python_names(
        '"""Wraps ek_store_open."""\n'
        "# ek_store_free is called by the base class\n"
        "_free = 'ek_context_free'\n"
        "lib().ek_version()\n"
        "raise Error('ek_store_begin failed')\n")
    assert {"ek_context_free", "ek_version"} <= names
    assert not names & {"ek_store_open", "ek_store_free", "ek_store_begin"}


def test_rust_counts_calls_not_extern_declarations_comments_or_strings():
    names = scan.rust_names(
        'extern "C" {\n    pub fn ek_version() -> *const c_char;\n'
        "    pub fn ek_store_free(store: *mut ek_store);\n}\n"
        "/// Calls ek_store_begin.\n"
        "fn quote<'a>(s: &'a str) -> char { '\"' }\n"
        'fn open() { unsafe { ffi::ek_store_free(p) }; panic!("ek_context_free failed") }\n')
    assert "ek_store_free" in names
    assert not names & {"ek_version", "ek_store_begin", "ek_context_free"}


def test_js_follows_glue_functions_macros_and_static_helpers():
    glue = scan.c_functions(
        "/* ek_store_begin in a comment */\n"
        "#define GET(var, inst) \\\n  do { lookup(inst, &var); } while (0)\n"
        "static int lookup(ek_instance* i, void** out) {\n"
        "  return ek_instance_get_extension(i, \"x\", out);\n}\n"
        "EKW_EXPORT int ekw_fit(ek_instance* i) { void* t; GET(t, i); return 0; }\n"
        "EKW_EXPORT int ekw_unused(void) { return ek_store_commit(0); }\n")
    names = scan.js_names(["// _ek_store_free\nM._ekw_fit(p); M._ek_version();\n"
                           "const msg = 'ek_context_free failed'; call('ek_store_rollback');"],
                          glue)
    assert {"ek_instance_get_extension", "ek_version", "ek_store_rollback"} <= names
    assert not names & {"ek_store_free", "ek_store_commit", "ek_store_begin",
                        "ek_context_free"}


def test_members_count_when_read_from_an_object_of_a_named_table():
    tables = {"ek_t_ext": ["fit", "load", "dim"], "ek_u_ext": ["purge"]}
    py = scan.python_members("t = _ext.ek_t_ext\nself._table.fit(p)\n"
                             "def load(self): pass  # .dim\nmsg = 'x.dim'\n")
    assert scan.members_reached(tables, {"ek_t_ext"}, py) == {"ek_t_ext.fit"}
    rs = scan.c_like_members("let t: &ffi::ek_t_ext; unsafe { f!(e.table, fit)(e.this) };"
                             " (t.dim.unwrap())(x); // t.load\n", rust=True)
    assert scan.members_reached(tables, {"ek_t_ext"}, rs) == {"ek_t_ext.fit", "ek_t_ext.dim"}
    keyword = scan.c_like_members("f!(e.table, match_)(e.this)", rust=True)
    assert scan.members_reached({"ek_m_ext": ["match"]}, {"ek_m_ext"}, keyword) == {
        "ek_m_ext.match"}
    js = scan.c_like_members("this._t.load(self); // this._t.fit()\nconst s = '.dim';\n"
                             "purge() { return this._u.purge(p); }")
    assert scan.members_reached(tables, {"ek_t_ext"}, js) == {"ek_t_ext.load"}
    assert scan.members_reached(tables, {"ek_t_ext", "ek_u_ext"}, js) == {
        "ek_t_ext.load", "ek_u_ext.purge"}


def test_generated_files_do_not_count(tmp_path):
    generated = tmp_path / "gen.py"
    generated.write_text("# Generated by tools/abigen/gen_python.py from "
                         "abi/embedkit_abi.json: do not edit.\nlib.ek_version()\n")
    written = tmp_path / "core.py"
    written.write_text("lib.ek_store_open()\n")
    files = {"python": [str(generated), str(written)], "rust": [], "js": [], "glue": []}
    assert "ek_version" not in scan.wrapped(files)["python"]
    assert "ek_store_open" in scan.wrapped(files)["python"]


def test_not_applicable_lines_need_a_binding_and_a_reason():
    entries = read_not_applicable("# comment\n\nek_x js: no dlopen in the module\n"
                                  "ek_t_ext.fit rust: a reason of some words\n")
    assert entries == {("ek_x", "js"): "no dlopen in the module",
                       ("ek_t_ext.fit", "rust"): "a reason of some words"}
    for bad in ("ek_x js\n", "ek_x: reason\n"):
        try:
            read_not_applicable(bad)
        except AssertionError:
            continue
        raise AssertionError("accepted %r" % bad)
