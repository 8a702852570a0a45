#!/usr/bin/env python3
"""The LLM hooks of `embedkit match` through an external command, recorded and replayed.

Usage: test_cli_match_llm.py --binary PATH [unittest args]

fixtures/match_llm/transcript.jsonl was recorded with match_llm_standin.py, a
deterministic stand-in that is NOT a language model (word overlap), by the command in
RECORD below. Every candidate is judged (--judge-top-n 1024 over a 6-entry glossary), so
the set of prompts depends on the columns and the templates only, not on the model's
ranking. The tests: a fresh recording asks exactly the committed prompts and gets the
committed answers; replaying the committed transcript prints byte-identical JSON on
every run and the same JSON as the recording run; a prompt the transcript lacks, a
failing command and an answer that is no probability fail with messages that say so.
To record again (after changing a prompt template):
  embedkit match <ARGS below> --llm-command '/usr/bin/python3 tests/cli/match_llm_standin.py' \\
      --llm-record tests/cli/fixtures/match_llm/transcript.jsonl
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_cli  # noqa: E402
from test_cli import TempDir, run  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "match_llm")
TRANSCRIPT = os.path.join(FIXTURE, "transcript.jsonl")
STANDIN = f"{sys.executable} {os.path.join(HERE, 'match_llm_standin.py')}"
ARGS = ["match", "-q", "-s", os.path.join(FIXTURE, "source.sql"), "-t", os.path.join(FIXTURE, "glossary.csv"),
        "--config", '{"wordvec":"none"}', "-k", "3", "--judge-top-n", "1024", "--json"]


def lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines(keepends=True)


class RecordReplay(TempDir):
    def replay(self, transcript=TRANSCRIPT, expect=0):
        return run(*ARGS, "--llm-replay", transcript, expect=expect)

    def test_recording_matches_the_committed_transcript_and_replays_byte_identically(self):
        record = self.path("run.jsonl")
        _, recorded_out, _ = run(*ARGS, "--llm-command", STANDIN, "--llm-record", record, expect=0)
        # Same prompts and answers as committed (the order follows the model's ranking,
        # which may change; the set may not without recording again).
        self.assertEqual(sorted(lines(record)), sorted(lines(TRANSCRIPT)),
                         "prompts changed: record tests/cli/fixtures/match_llm/transcript.jsonl again "
                         "(command in this file's docstring)")
        self.assertEqual(len(lines(TRANSCRIPT)), 7 + 7 * 6)  # 7 contexts, 7 x 6 judgements
        first, second = self.replay()[1], self.replay()[1]
        self.assertEqual(first, second)
        self.assertEqual(first, recorded_out)
        self.assertIn('"judge":', first)  # the judge's answers are in the output

    def test_missing_prompt_fails_and_names_it(self):
        kept = [l for l in lines(TRANSCRIPT) if '"kind":"judge"' not in l or "labs.taken_at" not in l]
        self.assertLess(len(kept), len(lines(TRANSCRIPT)))
        partial = self.write("partial.jsonl", "".join(kept))
        _, _, err = self.replay(partial, expect=1)
        self.assertIn("has no response to the judge prompt for 'labs.taken_at' and", err)
        self.assertIn("judge failed for 'labs.taken_at'", err)

    def test_conflicting_answers_in_a_transcript_are_refused(self):
        first = lines(TRANSCRIPT)[0]
        changed = first.replace('"response":"', '"response":"other ')
        bad = self.write("bad.jsonl", first + changed)
        _, _, err = self.replay(bad, expect=1)
        self.assertIn("bad.jsonl:2: this context prompt was recorded before with another response", err)

    def test_command_failures_and_bad_answers(self):
        _, _, err = run(*ARGS, "--llm-command", "exit 3", expect=1)
        self.assertIn("--llm-command 'exit 3' exited with status 3 on a context prompt", err)
        _, _, err = run(*ARGS, "--llm-hooks", "judge", "--llm-command", "echo maybe", expect=1)
        self.assertIn("neither a probability in [0, 1] nor yes/no: 'maybe'", err)
        # yes/no answers are read as 1/0.
        _, out, _ = run(*ARGS, "--llm-hooks", "judge", "--judge-top-n", "1", "--llm-command", "echo Yes.", expect=0)
        self.assertIn('"judge":1', out)

    def test_usage_errors(self):
        for extra, message in [(["--llm-record", "x.jsonl"], "--llm-record needs --llm-command"),
                               (["--llm-command", "true", "--llm-replay", TRANSCRIPT], "give one of"),
                               (["--judge-top-n", "3"], "--judge-top-n needs --llm-command"),
                               (["--llm-replay", TRANSCRIPT, "--llm-hooks", "all"], "--llm-hooks must be"),
                               (["--llm-replay", TRANSCRIPT, "--judge-weight", "0"], "--judge-weight must be"),
                               (["--oracle-epsilon", "0.1"], "unknown option")]:
            _, _, err = run(*ARGS, *extra, expect=2)
            self.assertIn(message, err)


if __name__ == "__main__":
    test_cli.main_with_binary()
