"""How the answer of one extension is compared with vec0's.

Rows must come back in the same order with equal values, except:
- floats (distances above all) may differ by 1e-5 relative (two implementations sum in
  different orders); values within 1e-6 of zero compare absolutely, since cosine distances
  of parallel vectors come out as 0 or as rounding noise like 2.2e-16;
- f32 blobs (4 bytes per element) compare element-wise under the same tolerance;
- JSON array text (vec_to_json) compares as numbers: vec0 prints "%f" ("0.500000"), which
  is formatting, not a different vector;
- rows at equal distance (a tie) may come in any order, so each tie group compares as a
  set; and when the answer holds exactly k rows, the last tie group may have been cut by
  k, so there only its size and distance must agree (which tied rows survive is arbitrary).
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


def tie_groups(rows: list, distance_at: int) -> list:
    """Consecutive runs of rows whose distances are equal within the tolerance."""
    groups = []
    for row in rows:
        if groups and close(groups[-1][-1][distance_at], row[distance_at]):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def _sort_key(row: tuple):
    return tuple((type(v).__name__, v) for v in row if v is not None and not isinstance(v, float))


def _same_group(expected: list, actual: list, cut: bool) -> str:
    if len(expected) != len(actual):
        return f"a tie group has {len(actual)} rows, vec0's {len(expected)}"
    if cut:
        return ""
    for e, a in zip(sorted(expected, key=_sort_key), sorted(actual, key=_sort_key)):
        if not same_row(e, a):
            return f"tied rows differ: {a!r} where vec0 has {e!r}"
    return ""


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
    groups_e, groups_a = tie_groups(expected, at), tie_groups(actual, at)
    if len(groups_e) != len(groups_a):
        return f"{len(groups_a)} distinct distances where vec0 has {len(groups_e)}"
    for n, (ge, ga) in enumerate(zip(groups_e, groups_a)):
        cut = k is not None and len(expected) == k and n == len(groups_e) - 1
        problem = _same_group(ge, ga, cut)
        if problem:
            return f"at distance {ge[0][at]!r}: {problem}"
    return ""
