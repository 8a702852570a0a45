"""Issue 17 through the Python binding, store side: cosine scores stay within [-1, 1]
for every finite vector, however large or small its components (item 2)."""
import numpy as np

import embedkit as ek  # noqa: F401  (the package under test; ctx comes from conftest)

ROWS = np.array([[1, 0, 0, 0],
                 [2e19, 0, 0, 0],     # its squared norm overflows float
                 [1e-25, 0, 0, 0],    # its squared norm underflows float
                 [3e38, 3e38, 0, 0],  # near the largest float
                 [0, 1, 0, 0],
                 [-1e-30, 0, 0, 0]], dtype=np.float32)
IDS = ["one", "huge", "tiny", "max", "y", "minus"]


def test_cosine_of_extreme_magnitudes_ranks_by_direction(ctx):
    with ctx.open_store(":memory:") as store:
        col = store.create_collection("c", 4, "cosine")
        col.upsert(IDS, ROWS)
        for query in ([1, 0, 0, 0], [2e19, 0, 0, 0], [1e-25, 0, 0, 0], [3e38, 0, 0, 0]):
            with col.search(np.array(query, dtype=np.float32), k=len(IDS)) as res:
                scores = res.scores(0)
                ids = res.ids(0)
            assert np.isfinite(scores).all(), (query, scores)
            assert (scores <= 1.0).all() and (scores >= -1.0).all(), (query, scores)
            # the three rows along +x score 1 and keep insertion order; -x scores -1
            assert ids[:3] == ["one", "huge", "tiny"], (query, ids)
            np.testing.assert_allclose(scores[:3], 1.0, atol=1e-6)
            assert ids[3] == "max"
            np.testing.assert_allclose(scores[3], np.sqrt(0.5), atol=1e-6)
            assert ids[-1] == "minus"
            np.testing.assert_allclose(scores[-1], -1.0, atol=1e-6)
        # vectors are stored as given (normalised only in memory)
        np.testing.assert_array_equal(col.get("huge"), ROWS[1])
        np.testing.assert_array_equal(col.get("tiny"), ROWS[2])
