"""Seeded data for the documented examples whose docs show a schema and a query but no rows
(`'[...]'`, `:query`, `embed(contents)`). Both extensions get exactly these values.

Stdlib only (the SQL tests run under any python3 with sqlite3): random.Random(seed) draws,
rounded to 3 decimals so the JSON text and the f32 blob of a vector are the same numbers.
"""
import json
import random
import struct
import zlib


def vector(rng: random.Random, dim: int) -> list:
    return [round(rng.uniform(-1.0, 1.0), 3) for _ in range(dim)]


def vectors(seed: int, count: int, dim: int) -> list:
    rng = random.Random(seed)
    return [vector(rng, dim) for _ in range(count)]


def f32_blob(values) -> bytes:
    """vec0's float32 layout: 4 little-endian bytes per element."""
    return struct.pack(f"<{len(values)}f", *values)


def json_text(values) -> str:
    return json.dumps(values)


def embed(text: str, dim: int = 768) -> bytes:
    """A stand-in for the docs' embedding model `embed(contents)`: a vector seeded by the
    text's CRC32, as an f32 blob. Registered under the name `embed` on both connections."""
    return f32_blob(vector(random.Random(zlib.crc32(text.encode())), dim))


def movies(count: int, dim: int, seed: int) -> list:
    """Rows for vec0.md's vec_movies: (id, vector, genre, num_reviews, mean_rating,
    contains_violence). Genres, counts and ratings spread so every filter of the doc's
    query keeps some rows and drops others."""
    rng = random.Random(seed)
    genres = ("scifi", "drama", "comedy", "horror")
    return [(i + 1, json_text(vector(rng, dim)), rng.choice(genres), rng.randrange(0, 800),
             round(rng.uniform(1.0, 5.0), 1), rng.randrange(2)) for i in range(count)]
