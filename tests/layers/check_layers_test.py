#!/usr/bin/env python3
"""scripts/check_layers.py on small trees: it must refuse every upward, sideways or
plugin-to-sdk arrow, name file:line, and accept a tree whose arrows run down."""
import contextlib
import io
import pathlib
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
import check_layers  # noqa: E402


class CheckLayersTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = pathlib.Path(self.tmp.name)
        self.write("sdk/base/error.h", "#pragma once\n")
        self.write("sdk/kernels/kernels.h", '#pragma once\n#include "base/error.h"\n')
        self.write("sdk/core/context.h", '#include "kernels/kernels.h"\n#include "core/x.h"\n')

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, relative, text):
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def run_check(self, *extra):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = check_layers.main(["--root", str(self.root), *extra])
        return status, out.getvalue()

    def test_downward_tree_passes(self):
        status, out = self.run_check()
        self.assertEqual(status, 0, out)

    def test_upward_include_fails_naming_file_and_line(self):
        self.write("sdk/kernels/scan.cc", '#include "kernels/kernels.h"\n#include "core/context.h"\n')
        status, out = self.run_check()
        self.assertEqual(status, 1)
        self.assertIn("sdk/kernels/scan.cc:2: kernels includes core, a layer above it", out)

    def test_base_including_anything_fails(self):
        self.write("sdk/base/log.cc", '#include "base/log.h"\n\n#include "json/json.h"\n')
        status, out = self.run_check()
        self.assertEqual(status, 1)
        self.assertIn("sdk/base/log.cc:3: base includes json", out)

    def test_sideways_include_fails(self):
        self.write("sdk/json/json.cc", '  #  include "text/tokenizer.h"\n')
        status, out = self.run_check()
        self.assertEqual(status, 1)
        self.assertIn("sdk/json/json.cc:1: json includes text, a neighbour", out)

    def test_plugin_including_sdk_fails(self):
        self.write("plugins/vsa_json/encoder.cc", '#include "embedkit/plugin.h"\n#include "base/philox.h"\n')
        status, out = self.run_check()
        self.assertEqual(status, 1)
        self.assertIn("plugins/vsa_json/encoder.cc:2: includes sdk/base", out)

    def test_unlisted_sdk_folder_fails(self):
        self.write("sdk/extras/x.h", "#pragma once\n")
        status, out = self.run_check()
        self.assertEqual(status, 1)
        self.assertIn("sdk/extras: not in the layer table", out)

    def test_docs_must_show_the_order(self):
        docs = self.write("architecture.md", "capi -> core\n")
        self.assertEqual(self.run_check("--docs", str(docs))[0], 1)
        docs.write_text("# x\n" + check_layers.order_line() + "\n")
        self.assertEqual(self.run_check("--docs", str(docs))[0], 0)


if __name__ == "__main__":
    unittest.main()
