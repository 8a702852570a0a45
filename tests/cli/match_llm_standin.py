#!/usr/bin/env python3
"""A deterministic stand-in for a language model behind `embedkit match --llm-command`.

NOT a model: it answers the CLI's prompts (sdk/cli/match_prompts.cc) by word overlap, so
that the record/replay fixture (fixtures/match_llm/) can be recorded and checked on any
machine. EK_LLM_KIND says which prompt it is given on standard input:
  judge:   the Jaccard overlap of the words of the two blocks' name and description
           lines, as a probability with two decimals;
  context: one sentence naming the column and its table.
"""
import os
import re
import sys


def block_words(block):
    words = set()
    for line in block.splitlines():
        line = line.strip()
        for field in ("name: ", "description: "):
            if line.startswith(field):
                words |= set(re.findall(r"[a-z]+", line[len(field):].lower().replace("_", " ")))
    return words


def main():
    prompt = sys.stdin.read()
    kind = os.environ.get("EK_LLM_KIND", "")
    if kind == "judge":
        source, _, target = prompt.partition("\nTarget ")
        a, b = block_words(source), block_words(target)
        overlap = len(a & b) / len(a | b) if a | b else 0.0
        print(f"{overlap:.2f}")
    elif kind == "context":
        fields = dict(re.findall(r"^  (name|table): (.*)$", prompt, re.M))
        print(f"The {fields.get('name', '?')} recorded for each row of {fields.get('table', '?')}.")
    else:
        sys.exit(f"match_llm_standin.py: EK_LLM_KIND must be judge or context, got '{kind}'")


if __name__ == "__main__":
    main()
