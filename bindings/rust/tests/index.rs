//! Collection indexes through the safe wrapper (ABI 1.2, issue 19): an hnsw
//! collection answers from its graph (>= 4096 rows) with the recall of the exact
//! scan, an exact collection converts to int8 + rescore, compaction, index_info,
//! cancellation, and a bad option as an Error carrying ek_last_error's message.
mod common;
use common::{ctx, fails};
use embedkit::*;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const DIM: usize = 8;
const ROWS: usize = 5000; // >= 4096: the planner answers from the graph
const K: usize = 10;

/// `n * DIM` floats in [-1, 1) from a fixed xorshift stream.
fn vectors(n: usize, seed: u64) -> Vec<f32> {
    let mut x = seed;
    (0..n * DIM)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("r{i}")).collect()
}

fn upsert_all(coll: &Collection, base: &[f32], names: &[String]) {
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    coll.upsert(&refs, base, None).unwrap();
}

fn l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Index of the nearest base row to `q`, and its squared L2 distance.
fn nearest(base: &[f32], q: &[f32]) -> (usize, f32) {
    base.chunks(DIM).map(|r| l2(r, q)).enumerate().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap()
}

#[test]
fn hnsw_graph_recall_against_exact() {
    let c = ctx();
    let store = c.open_store(":memory:", &StoreOptions::default()).unwrap();
    let hnsw = CollectionOptions { index: IndexKind::Hnsw, defer_build: true, ..Default::default() };
    let coll = store.create_collection_with("ann", DIM as u32, Metric::L2, &hnsw).unwrap();
    let (base, names) = (vectors(ROWS, 19), ids(ROWS));
    upsert_all(&coll, &base, &names);
    let info = coll.index_info().unwrap();
    assert_eq!((info.index, info.element, info.building), (IndexKind::Hnsw, Element::F32, true));

    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    c.set_progress(Some(move |task: &str, done: u64, total: u64| {
        s.lock().unwrap().push((task.to_string(), done, total));
        false
    }))
    .unwrap();
    let built = CollectionOptions { index: IndexKind::Hnsw, m: 12, ef_construction: 64, ef_search: 32, ..Default::default() };
    coll.build_index(Some(&built)).unwrap();
    c.set_progress(None::<fn(&str, u64, u64) -> bool>).unwrap();
    assert_eq!(seen.lock().unwrap().last().unwrap(), &("index build".to_string(), ROWS as u64, ROWS as u64));
    let info = coll.index_info().unwrap();
    assert_eq!(
        (info.index, info.element, info.m, info.ef_construction, info.ef_search, info.rescore, info.building),
        (IndexKind::Hnsw, Element::F32, 12, 64, 32, 1, false)
    );
    assert!(info.bytes_per_vector >= (DIM * 4 + 4 * (1 + 2 * 12)) as u64); // vector + layer-0 links

    let queries = vectors(50, 7);
    let exact = coll.search(&queries, &SearchOptions { k: K as u32, exact: true, ..Default::default() }).unwrap();
    let graph = coll.search(&queries, &SearchOptions { k: K as u32, ef: K as u32, ..Default::default() }).unwrap();
    let mut found = 0;
    for (q, query) in queries.chunks(DIM).enumerate() {
        let truth: HashSet<&str> = exact.hits(q).unwrap().iter().map(|h| h.id).collect();
        assert_eq!(exact.hit(q, 0).unwrap().id, names[nearest(&base, query).0]); // the true baseline
        found += graph.hits(q).unwrap().iter().filter(|h| truth.contains(h.id)).count();
    }
    let recall = found as f64 / (50 * K) as f64;
    assert!(recall >= 0.9, "recall {recall}");
    let default = coll.search(&queries, &SearchOptions { k: K as u32, ..Default::default() }).unwrap();
    assert!((0..50).all(|q| default.hit_count(q) == K));
}

#[test]
fn build_index_converts_exact_to_int8_with_rescore_and_compacts() {
    let c = ctx();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("index");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("int8.db");
    let _ = std::fs::remove_file(&path);
    let store = c.open_store(&path, &StoreOptions::default()).unwrap();
    let coll = store.create_collection("docs", DIM as u32, Metric::L2).unwrap();
    let (base, names) = (vectors(ROWS, 23), ids(ROWS));
    upsert_all(&coll, &base, &names);
    let f32_info = coll.index_info().unwrap();
    assert_eq!((f32_info.index, f32_info.element, f32_info.rescore), (IndexKind::Exact, Element::F32, 1));

    let int8 = CollectionOptions { element: Element::Int8, rescore: 4, ..Default::default() };
    coll.build_index(Some(&int8)).unwrap();
    let info = coll.index_info().unwrap();
    assert_eq!((info.index, info.element, info.rescore, info.m), (IndexKind::Exact, Element::Int8, 4, 0));
    assert!(info.bytes_per_vector < f32_info.bytes_per_vector); // a 1-byte code per component
    let queries = vectors(20, 5);
    let res = coll.search(&queries, &SearchOptions { k: 1, ..Default::default() }).unwrap();
    for (q, query) in queries.chunks(DIM).enumerate() {
        // re-ranked with the f32 originals: the true neighbour and its exact score
        let (row, dist) = nearest(&base, query);
        let hit = res.hit(q, 0).unwrap();
        assert_eq!(hit.id, names[row]);
        assert!((hit.score - dist).abs() <= 1e-4 * dist.max(1.0), "{} vs {dist}", hit.score);
    }
    coll.build_index(None).unwrap(); // the current options again
    assert_eq!(coll.index_info().unwrap(), info);

    let gone: Vec<&str> = names[..ROWS / 2].iter().map(|s| s.as_str()).collect();
    assert_eq!(coll.delete(&gone).unwrap(), ROWS / 2);
    assert!(coll.compact_index().unwrap() > 0);
    assert_eq!(coll.count().unwrap(), (ROWS - ROWS / 2) as u64);
    assert_eq!(coll.index_info().unwrap(), info);
}

#[test]
fn cancelled_build_keeps_the_previous_index() {
    let c = ctx();
    let store = c.open_store(":memory:", &StoreOptions::default()).unwrap();
    let coll = store.create_collection("c", DIM as u32, Metric::L2).unwrap();
    upsert_all(&coll, &vectors(500, 3), &ids(500));
    let hnsw = CollectionOptions { index: IndexKind::Hnsw, ..Default::default() };
    c.cancel().unwrap();
    fails(coll.build_index(Some(&hnsw)), Status::Cancelled, "");
    c.reset_cancel().unwrap();
    assert_eq!(coll.index_info().unwrap().index, IndexKind::Exact);
    coll.build_index(Some(&hnsw)).unwrap();
    assert_eq!(coll.index_info().unwrap().index, IndexKind::Hnsw);
}

#[test]
fn bad_index_options_are_errors_with_the_library_message() {
    let c = ctx();
    let store = c.open_store(":memory:", &StoreOptions::default()).unwrap();
    let bad_m = CollectionOptions { index: IndexKind::Hnsw, m: 300, ..Default::default() };
    fails(store.create_collection_with("x", DIM as u32, Metric::Cosine, &bad_m), Status::InvalidArgument,
          "ek_collection_create_with: m is 300; it must be 2..255");
    let deferred_exact = CollectionOptions { defer_build: true, ..Default::default() };
    fails(store.create_collection_with("x", DIM as u32, Metric::Cosine, &deferred_exact), Status::InvalidArgument,
          "defer_build applies to an hnsw index only");

    let f16 = CollectionOptions { index: IndexKind::Hnsw, element: Element::F16, ..Default::default() };
    let coll = store.create_collection_with("x", DIM as u32, Metric::Cosine, &f16).unwrap();
    let hnsw = CollectionOptions { index: IndexKind::Hnsw, ..Default::default() };
    fails(store.create_collection_with("x", DIM as u32, Metric::Cosine, &hnsw), Status::AlreadyExists, "element f16 vs f32");
    drop(store.create_collection_with("x", DIM as u32, Metric::Cosine, &f16).unwrap()); // same options: opens
    fails(coll.search(&[0.5; DIM], &SearchOptions { rescore: 5000, ..Default::default() }), Status::InvalidArgument,
          "rescore is 5000");
    fails(coll.build_index(Some(&CollectionOptions { ef_search: 70000, ..hnsw })), Status::InvalidArgument, "ef_search is 70000");
    store.begin().unwrap();
    fails(coll.build_index(None), Status::InvalidArgument, "ek_collection_index_build");
    store.rollback().unwrap();
    assert_eq!(coll.index_info().unwrap().element, Element::F16);
}
