"""The parity suite against sqlite-vec: the corpus of its documented examples
(corpus_*.py), the data they run on (data.py), how an example runs on one connection
(harness.py) and how two answers are compared (compare.py). tests/sql/test_parity.py runs it.
"""
