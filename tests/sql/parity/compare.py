"""How the answer of one extension is compared with vec0's.

Rows must come back in the same order with equal values, except:
- floats (distances above all) may differ by 1e-5 relative (two implementations sum in
  different orders); values within 1e-6 of zero compare absolutely, since cosine distances
  of parallel vectors come out as 0 or as rounding noise like 2.2e-16;
- f32 blobs (4 bytes per element) compare element-wise under the same tolerance;
- JSON array text (vec_to_json) compares as numbers: vec0 prints "%f" ("0.500000"), which
  is formatting, not a different vector;
- rows at equal distance (a tie, within the tolerance) may come in any order: the
  distances must agree position by position, and each row must be one of vec0's rows with
  its values and its distance (matched row by row, not by counting tie groups, which
  chain: 26.004583 and 26.004848 are two groups at vec0 and one at 26.004593/26.004843);
  and when the answer holds exactly k rows, which rows at the k-th distance survive the
  cut is arbitrary, so there only their number and distance must agree.
"""
import json
import math
import struct

RELATIVE = 1e-5
ABSOLUTE_NEAR_ZERO = 1e-6


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= max(RELATIVE * max(abs(a), abs(b)), ABSOLUTE_NEAR_ZERO)


def _json_numbers(text: str):
    if not text.startswith("["):
        return None
    try:
        values = json.loads(text)
    except ValueError:
        return None
    if isinstance(values, list) and all(isinstance(v, (int, float)) for v in values):
        return values
    return None


def same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return close(a, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, bytes) and a != b:
        if len(a) != len(b) or len(a) % 4:
            return False
        count = len(a) // 4
        return all(close(x, y) for x, y in zip(struct.unpack(f"<{count}f", a),
                                                 struct.unpack(f"<{count}f", b)))
    if isinstance(a, str) and a != b:
        x, y = _json_numbers(a), _json_numbers(b)
        return x is not None and y is not None and len(x) == len(y) and \
            all(close(float(p), float(q)) for p, q in zip(x, y))
    return a == b


def same_row(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))


def unmatched_rows(expected: list, actual: list) -> tuple:
    """(rows of `actual` that are none of vec0's, vec0's rows left over), pairing each
    actual row with an unused expected row of the same values (distance within the
    tolerance)."""
    left = list(expected)
    extra = []
    for row in actual:
        j = next((j for j, e in enumerate(left) if same_row(e, row)), None)
        if j is None:
            extra.append(row)
        else:
            del left[j]
    return extra, left


def difference(expected: list, actual: list, columns: list, k=None) -> str:
    """'' when `actual` matches vec0's `expected`, else what differs (for the failure)."""
    if len(expected) != len(actual):
        return f"{len(actual)} rows where vec0 returns {len(expected)}: {actual!r} vs {expected!r}"
    if "distance" not in columns:
        for i, (e, a) in enumerate(zip(expected, actual)):
            if not same_row(e, a):
                return f"row {i}: {a!r} where vec0 has {e!r}"
        return ""
    at = columns.index("distance")
    for i, (e, a) in enumerate(zip(expected, actual)):
        if not isinstance(a[at], float) or not close(e[at], a[at]):
            return f"row {i}: distance {a[at]!r} where vec0 has {e[at]!r}"
    extra, missing = unmatched_rows(expected, actual)
    if expected and k is not None and len(expected) == k:  # the k-th distance's rows were cut
        extra = [r for r in extra if not close(r[at], expected[-1][at])]
        missing = [r for r in missing if not close(r[at], expected[-1][at])]
    if extra or missing:
        return f"rows differ: {extra!r} where vec0 has {missing!r}"
    return ""
