//! Mirrors tests/abi/c_api_test.c through the safe wrapper, against the real
//! libembedkit: context, plugins (loading, discovery, every refusal), instances and
//! the encoder, the store and collections, search and results, and the failure path
//! of each call as an Error with the right Status and message.
//!
//! Environment: EMBEDKIT_TEST_TEMPLATE_PLUGIN (samples/plugin_template module),
//! EMBEDKIT_TEST_FIXTURE_DIR (tests/plugins/host_fixtures build folder).
mod common;
use common::{ctx, fails};
use embedkit::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const TEMPLATE_ID: &str = "embedkit.sample.trigram_hash";

fn template() -> String {
    std::env::var("EMBEDKIT_TEST_TEMPLATE_PLUGIN")
        .expect("set EMBEDKIT_TEST_TEMPLATE_PLUGIN to build/samples/plugin_template/trigram_hash.so")
}

fn fixture(name: &str) -> String {
    let dir = std::env::var("EMBEDKIT_TEST_FIXTURE_DIR")
        .expect("set EMBEDKIT_TEST_FIXTURE_DIR to build/tests/plugins/host_fixtures");
    format!("{dir}/{name}")
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("api");
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn version_and_errors() {
    assert_eq!(version(), "0.1.0");
    assert_eq!(abi_version(), (1, 2));
    assert_eq!(status_name(2), "EK_ERR_NOT_FOUND");
    assert_eq!(status_name(9999), "EK_ERR_UNKNOWN");
    for code in 1..=18 {
        let s = Status::from_code(code);
        assert!(!matches!(s, Status::Other(_)));
        assert_eq!(s.code(), code);
        assert!(s.name().starts_with("EK_ERR_"));
    }
    assert_eq!(Status::from_code(77), Status::Other(77));
    let e = Error { status: Status::NotFound, message: "ek_x: gone".into() };
    assert_eq!(e.to_string(), "EK_ERR_NOT_FOUND: ek_x: gone");
}

#[test]
fn context() {
    fails(Context::with_options(ContextOptions { backend: "tpu".into(), ..Default::default() }), Status::InvalidArgument, "backend 'tpu'");
    assert_eq!(last_error().0, 1);
    fails(Context::with_options(ContextOptions { num_threads: 100000, ..Default::default() }), Status::InvalidArgument, "num_threads");
    match Context::with_options(ContextOptions { backend: "cuda".into(), ..Default::default() }) {
        Ok(c) => assert_eq!(c.info().unwrap().backend, "cuda"), // a GPU machine with CUDA built
        Err(e) => {
            assert_eq!(e.status, Status::Unsupported);
            assert!(e.message.contains("cuda"));
        }
    }
    fails(Context::with_options(ContextOptions { backend: "a\0b".into(), ..Default::default() }), Status::InvalidArgument, "NUL");

    let lines = Arc::new(AtomicUsize::new(0));
    let l2 = lines.clone();
    let c = Context::with_options(ContextOptions {
        num_threads: 2,
        log_level: LogLevel::Info,
        log: Some(Box::new(move |_level, msg| {
            assert!(!msg.is_empty());
            l2.fetch_add(1, Ordering::SeqCst);
        })),
        plugin_path: Some(String::new()),
        ..Default::default()
    })
    .unwrap();
    assert!(lines.load(Ordering::SeqCst) > 0);
    let info = c.info().unwrap();
    assert_eq!(info.backend, "cpu");
    assert!(!info.simd_target.is_empty());
    assert_eq!(info.num_threads, 2);
    assert_eq!(info.abi_version, (1, 2));
    assert_eq!(info.plugin_count, c.plugin_count().unwrap());
    c.cancel().unwrap();
    c.reset_cancel().unwrap();
    c.set_progress(None::<fn(&str, u64, u64) -> bool>).unwrap();

    let bare = Context::with_options(ContextOptions { bundled_plugins: false, plugin_path: Some(String::new()), ..Default::default() }).unwrap();
    assert_eq!(bare.plugin_count().unwrap(), 0);
    assert_eq!(ctx().plugin("embedkit.vsa_json").unwrap().path, None);
}

#[test]
fn plugin_loading() {
    let c = ctx();
    let before = c.plugin_count().unwrap();
    fails(c.load_plugin("/nonexistent/plugin.so"), Status::Io, "no such file");
    fails(c.load_plugin(fixture("not_a_plugin.so")), Status::NotAPlugin, "not a loadable module");
    fails(c.load_plugin(fixture("fixture_no_entry.so")), Status::NotAPlugin, "ek_plugin_entry");
    fails(c.load_plugin(fixture("fixture_abi2.so")), Status::AbiMismatch, "built for ABI 2.0");
    fails(c.load_plugin(fixture("fixture_small_struct.so")), Status::AbiMismatch, "struct_size 8");
    fails(c.load_plugin(fixture("fixture_no_create.so")), Status::NotAPlugin, "lacks create");
    assert_eq!(c.plugin_count().unwrap(), before);

    assert_eq!(c.load_plugin(fixture("fixture_ok.so")).unwrap(), "test.fixture");
    fails(c.load_plugin(fixture("fixture_duplicate.so")), Status::AlreadyExists, "already registered");
    assert_eq!(c.load_plugin(template()).unwrap(), TEMPLATE_ID);
    assert_eq!(c.plugin_count().unwrap(), before + 2);

    let info = c.plugin(TEMPLATE_ID).unwrap();
    assert_eq!(info.version, "1.1.0");
    assert!(info.path.as_deref().unwrap().contains("trigram_hash"));
    assert_eq!(info.extensions, vec![ffi::EK_EXT_ENCODER.to_string()]);
    assert_eq!(info.abi_version, (1, 2));
    fails(c.plugin("no.such.plugin"), Status::NotFound, "no.such.plugin");
    fails(c.plugin_at(999), Status::NotFound, "out of range");
    let ids: Vec<String> = c.plugins().unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(&ids[ids.len() - 2..], &["test.fixture".to_string(), TEMPLATE_ID.to_string()]);

    fails(c.create_instance("no.such.plugin", None), Status::NotFound, "no.such.plugin");
    fails(c.create_instance("test.fixture", Some("{\"a\": ")), Status::Parse, "config_json");
    fails(c.create_instance("test.fixture", Some("[1,2]")), Status::Parse, "config_json");
    fails(c.create_instance("test.fixture", Some("{\"fail_with\": 16}")), Status::Limit, "asked to fail by config");
    fails(c.create_instance("test.fixture", Some("{\"fail_with\": \"x\"}")), Status::InvalidArgument, "fail_with");
    let inst = c.create_instance("test.fixture", None).unwrap();
    assert!(!inst.has_extension(ffi::EK_EXT_ENCODER));
    fails(inst.dim(), Status::Unsupported, "does not provide extension");
    assert!(inst.extension_table(ffi::EK_EXT_ENCODER).is_err());
}

#[test]
fn plugin_discovery() {
    let dir = std::env::var("EMBEDKIT_TEST_FIXTURE_DIR").unwrap();
    let c = Context::with_options(ContextOptions { plugin_path: Some(dir.clone()), log_level: LogLevel::Error, ..Default::default() }).unwrap();
    c.plugin("test.fixture").unwrap();
    c.plugin("test.throwing").unwrap();
    assert_eq!(c.load_plugin_dir("/nonexistent-folder").unwrap(), 0);
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn encoder() {
    let c = ctx();
    c.load_plugin(template()).unwrap();
    fails(c.create_instance(TEMPLATE_ID, Some("{\"dim\": 0}")), Status::InvalidArgument, "\"dim\" is 0");
    let enc = c.create_instance(TEMPLATE_ID, Some("{\"dim\": 32, \"seed\": 7}")).unwrap();
    assert!(enc.has_extension(ffi::EK_EXT_ENCODER));
    assert!(!enc.extension_table(ffi::EK_EXT_ENCODER).unwrap().is_null());
    assert!(!enc.plugin_data().is_null());
    assert_eq!(enc.dim().unwrap(), 32);
    let items = ["the quick brown fox", "the quick brown foxes", "zzzz 1234 ####"];
    let mut small = [0f32; 10];
    fails(enc.encode(&items, &mut small), Status::BufferTooSmall, "need 96");
    let mut out = vec![0f32; 96];
    enc.encode(&items, &mut out).unwrap();
    let same = dot(&out[0..32], &out[32..64]);
    let different = dot(&out[0..32], &out[64..96]);
    assert!(same > 0.7 && different.abs() < same);
    assert!((dot(&out[0..32], &out[0..32]) - 1.0).abs() < 1e-5);
    // bytes and &str agree; encode_vec allocates
    let bytes: Vec<&[u8]> = items.iter().map(|s| s.as_bytes()).collect();
    assert_eq!(enc.encode_vec(&bytes).unwrap(), out);
    drop(enc);

    c.load_plugin(fixture("fixture_throwing.so")).unwrap();
    let mut buf = [0f32; 8];
    let t = c.create_instance("test.throwing", Some("{\"mode\": \"throw\"}")).unwrap();
    fails(t.encode(&items[..1], &mut buf), Status::Plugin, "encoder exploded");
    let t = c.create_instance("test.throwing", Some("{\"mode\": \"bad_status\"}")).unwrap();
    fails(t.encode(&items[..1], &mut buf), Status::Plugin, "test.throwing");
    let t = c.create_instance("test.throwing", Some("{\"mode\": \"message\"}")).unwrap();
    fails(t.encode(&items[..1], &mut buf), Status::InvalidArgument, "refusing on purpose");
}

#[test]
fn progress_and_cancellation() {
    let c = ctx();
    let enc = c.create_instance("embedkit.vsa_json", Some("{\"dim\": 256}")).unwrap();
    let docs: Vec<String> = (0..4096).map(|i| format!("{{\"id\": {i}, \"tag\": \"t{}\"}}", i % 7)).collect();
    let calls = Arc::new(AtomicUsize::new(0));
    let k = calls.clone();
    c.set_progress(Some(move |_task: &str, done: u64, total: u64| {
        assert!(done <= total && total == 4096);
        k.fetch_add(1, Ordering::SeqCst);
        false
    }))
    .unwrap();
    let v = enc.encode_vec(&docs).unwrap();
    assert!(calls.load(Ordering::SeqCst) > 0);
    c.set_progress(Some(|_: &str, _: u64, _: u64| true)).unwrap();
    fails(enc.encode_vec(&docs), Status::Cancelled, "cancel");
    c.reset_cancel().unwrap();
    c.set_progress(Some(|_: &str, _: u64, _: u64| -> bool { panic!("a panicking callback cancels") })).unwrap();
    fails(enc.encode_vec(&docs), Status::Cancelled, "cancel");
    c.reset_cancel().unwrap();
    c.set_progress(None::<fn(&str, u64, u64) -> bool>).unwrap();
    c.cancel().unwrap();
    fails(enc.encode_vec(&docs[..100]), Status::Cancelled, "cancel");
    c.reset_cancel().unwrap();
    assert_eq!(enc.encode_vec(&docs[..100]).unwrap(), v[..100 * 256]);
}

const DIM: usize = 8;
const ROWS: usize = 50;

fn make_vectors(rows: usize, dim: usize, mut seed: u32) -> Vec<f32> {
    (0..rows * dim)
        .map(|_| {
            seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
            ((seed >> 8) & 0xFFFF) as f32 / 65536.0 - 0.5
        })
        .collect()
}

fn store_test(path: &str) {
    let c = ctx();
    fails(c.open_store("", &StoreOptions::default()), Status::InvalidArgument, "path");
    fails(c.open_store("/nonexistent-dir/x.db", &StoreOptions { must_exist: true, ..Default::default() }), Status::Io, "x.db");
    let store = c.open_store(path, &StoreOptions::default()).unwrap();
    fails(store.create_collection("docs", 0, Metric::Cosine), Status::InvalidArgument, "dim");
    fails(store.create_collection("", DIM as u32, Metric::Cosine), Status::InvalidArgument, "name");
    let coll = store.create_collection("docs", DIM as u32, Metric::Cosine).unwrap();
    fails(store.create_collection("docs", DIM as u32 + 1, Metric::Cosine), Status::AlreadyExists, "docs");
    drop(store.create_collection("docs", DIM as u32, Metric::Cosine).unwrap());
    fails(store.collection("nope"), Status::NotFound, "nope");

    let vectors = make_vectors(ROWS, DIM, 1);
    let ids_owned: Vec<String> = (0..ROWS).map(|i| format!("doc-{i}")).collect();
    let ids: Vec<&str> = ids_owned.iter().map(|s| s.as_str()).collect();
    let meta: Vec<Option<&str>> = (0..ROWS)
        .map(|i| Some(if i % 2 == 1 { "{\"parity\": \"odd\", \"n\": 1}" } else { "{\"parity\": \"even\"}" }))
        .collect();
    coll.upsert(&ids, &vectors, Some(&meta)).unwrap();
    assert_eq!(coll.count().unwrap(), ROWS as u64);

    // bad batches: nothing from them is stored
    let short: Vec<f32> = vectors[..ROWS * (DIM - 1)].to_vec();
    fails(coll.upsert(&ids, &short, None), Status::DimensionMismatch, "dim");
    let mut bad = [0f32; DIM];
    bad[3] = f32::NAN;
    fails(coll.upsert(&["nan-row"], &bad, None), Status::InvalidArgument, "nan-row");
    bad[3] = f32::INFINITY;
    fails(coll.upsert(&["nan-row"], &bad, None), Status::InvalidArgument, "nan-row");
    bad[3] = 0.0;
    fails(coll.upsert(&["nan-row"], &bad, Some(&[Some("{\"x\": ")])), Status::Parse, "nan-row");
    fails(coll.upsert(&["a", "b"], &bad[..7], None), Status::InvalidArgument, "rows");
    fails(coll.upsert(&["a"], &bad, Some(&[None, None])), Status::InvalidArgument, "metadata");
    assert_eq!(coll.count().unwrap(), ROWS as u64);

    // get
    let mut got = [0f32; DIM];
    assert_eq!(coll.get("doc-3", &mut got).unwrap(), DIM);
    assert_eq!(&got[..], &vectors[3 * DIM..4 * DIM]);
    fails(coll.get("doc-3", &mut got[..2]), Status::BufferTooSmall, "8");
    let (v, m) = coll.get_with_metadata("doc-3").unwrap();
    assert_eq!(v, &vectors[3 * DIM..4 * DIM]);
    assert!(m.unwrap().contains("odd"));
    fails(coll.get("missing", &mut got), Status::NotFound, "missing");
    assert!(coll.contains("doc-3").unwrap() && !coll.contains("missing").unwrap());

    // search: a stored vector finds itself first
    let so = SearchOptions { k: 5, include_metadata: true, ..Default::default() };
    let res = coll.search(&vectors[7 * DIM..8 * DIM], &so).unwrap();
    assert_eq!(res.query_count(), 1);
    assert_eq!(res.hit_count(0), 5);
    let hit = res.hit(0, 0).unwrap();
    assert_eq!(hit.id, "doc-7");
    assert!((hit.score - 1.0).abs() < 1e-5);
    assert!(hit.metadata_json.unwrap().contains("odd"));
    let hits = res.hits(0).unwrap();
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    fails(res.hit(0, 5), Status::InvalidArgument, "rank 5");
    fails(res.hit(1, 0), Status::InvalidArgument, "query 1");
    drop(res);

    // filter and batched queries
    let so = SearchOptions { k: 100, filter_json: Some("{\"parity\": \"even\"}"), include_metadata: true, ..Default::default() };
    let res = coll.search(&vectors[..2 * DIM], &so).unwrap();
    assert_eq!(res.query_count(), 2);
    assert_eq!(res.hit_count(1), ROWS / 2);
    assert!(res.hits(1).unwrap().iter().all(|h| h.metadata_json.unwrap().contains("even")));
    fails(coll.search(&vectors[..DIM], &SearchOptions { filter_json: Some("{\"parity\": "), ..Default::default() }), Status::Parse, "filter");
    assert_eq!(coll.search(&vectors[..DIM], &SearchOptions { k: 2000, ..Default::default() }).unwrap().hit_count(0), ROWS); // no cap on k
    fails(coll.search_dim(&vectors[..DIM + 1], DIM + 1, &SearchOptions { k: 3, ..Default::default() }), Status::DimensionMismatch, "dim");
    fails(coll.search(&vectors[..DIM + 1], &SearchOptions::default()), Status::DimensionMismatch, "dim");

    // delete, list, info
    assert_eq!(coll.delete(&["doc-0", "never-there"]).unwrap(), 1);
    assert_eq!(coll.count().unwrap(), ROWS as u64 - 1);
    fails(coll.get("doc-0", &mut got), Status::NotFound, "doc-0");
    let rows = coll.list(0, 3, false).unwrap();
    assert_eq!(rows.hit_count(0), 3);
    assert_eq!(rows.hit(0, 0).unwrap().id, "doc-1");
    let info = coll.info().unwrap();
    assert_eq!(info, CollectionInfo { name: "docs".into(), dim: DIM as u32, metric: Metric::Cosine, count: ROWS as u64 - 1 });

    let other = store.create_collection("l2", 3, Metric::L2).unwrap();
    assert_eq!(store.collections().unwrap().len(), 2);
    drop(other);
    store.drop_collection("l2").unwrap();
    fails(store.drop_collection("l2"), Status::NotFound, "l2");

    // drop the store and the context before the collection: the handle keeps working
    drop(store);
    drop(c);
    assert_eq!(coll.count().unwrap(), ROWS as u64 - 1);
    drop(coll);
    if path == ":memory:" {
        return;
    }
    let c = ctx();
    let store = c.open_store(path, &StoreOptions::default()).unwrap();
    assert_eq!(store.collection("docs").unwrap().count().unwrap(), ROWS as u64 - 1);
    drop(store);
    let ro = c.open_store(path, &StoreOptions { read_only: true, ..Default::default() }).unwrap();
    let coll = ro.collection("docs").unwrap();
    fails(coll.upsert(&ids[..1], &vectors[..DIM], None), Status::ReadOnly, "read-only");
}

#[test]
fn store_in_memory() {
    store_test(":memory:");
}

#[test]
fn store_in_a_file() {
    let p = scratch("rust_api_test.db");
    store_test(p.to_str().unwrap());
}

#[test]
fn corrupt_store() {
    let p = scratch("garbage.db");
    std::fs::write(&p, (0..4096u32).map(|i| (i * 7 % 251) as u8).collect::<Vec<u8>>()).unwrap();
    fails(ctx().open_store(&p, &StoreOptions::default()), Status::Corrupt, "garbage.db");
}

#[test]
fn search_matches_brute_force_for_every_metric() {
    let c = ctx();
    let store = c.open_store(":memory:", &StoreOptions::default()).unwrap();
    let base = make_vectors(300, 16, 3);
    let queries = make_vectors(4, 16, 4);
    let ids_owned: Vec<String> = (0..300).map(|i| format!("r{i}")).collect();
    let ids: Vec<&str> = ids_owned.iter().map(|s| s.as_str()).collect();
    for metric in [Metric::Cosine, Metric::Dot, Metric::L2] {
        let coll = store.create_collection(&format!("{metric:?}"), 16, metric).unwrap();
        coll.upsert(&ids, &base, None).unwrap();
        let res = coll.search(&queries, &SearchOptions { k: 10, ..Default::default() }).unwrap();
        for q in 0..4 {
            let qv = &queries[q * 16..(q + 1) * 16];
            let mut scored: Vec<(usize, f32)> = (0..300)
                .map(|r| {
                    let b = &base[r * 16..(r + 1) * 16];
                    let s = match metric {
                        Metric::Cosine => dot(qv, b) / (dot(qv, qv).sqrt() * dot(b, b).sqrt()),
                        Metric::Dot => dot(qv, b),
                        Metric::L2 => qv.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum(),
                    };
                    (r, s)
                })
                .collect();
            if metric == Metric::L2 {
                scored.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then(a.0.cmp(&b.0)));
            } else {
                scored.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
            }
            let hits = res.hits(q).unwrap();
            for (h, (r, s)) in hits.iter().zip(&scored) {
                assert_eq!(h.id, format!("r{r}"), "{metric:?} query {q}");
                assert!((h.score - s).abs() <= 1e-4 * s.abs().max(1.0));
            }
        }
    }
}

#[test]
fn handles_are_shared_across_threads() {
    let c = ctx();
    let store = c.open_store(":memory:", &StoreOptions::default()).unwrap();
    let coll = Arc::new(store.create_collection("t", 8, Metric::Cosine).unwrap());
    let base = make_vectors(200, 8, 5);
    let ids_owned: Vec<String> = (0..200).map(|i| format!("r{i}")).collect();
    let ids: Vec<&str> = ids_owned.iter().map(|s| s.as_str()).collect();
    coll.upsert(&ids, &base, None).unwrap();
    let base = Arc::new(base);
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let coll = coll.clone();
            let base = base.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    let r = (t * 20 + i) % 200;
                    let res = coll.search(&base[r * 8..(r + 1) * 8], &SearchOptions { k: 1, ..Default::default() }).unwrap();
                    assert_eq!(res.hit(0, 0).unwrap().id, format!("r{r}"));
                    let e = coll.get(&format!("missing-{t}"), &mut [0f32; 8]).unwrap_err();
                    assert!(e.message.contains(&format!("missing-{t}")), "{}", e.message);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    // an instance moves to another thread (Send)
    let enc = c.create_instance("embedkit.vsa_json", Some("{\"dim\": 64}")).unwrap();
    let v = std::thread::spawn(move || enc.encode_vec(&["{\"a\": 1}"]).unwrap()).join().unwrap();
    assert_eq!(v.len(), 64);
}

#[test]
fn store_transaction_commits_or_rolls_back() {
    let c = ctx();
    let path = scratch("rust_txn.db");
    let store = c.open_store(&path, &StoreOptions::default()).unwrap();
    let coll = store.create_collection("t", 2, Metric::Dot).unwrap();
    coll.upsert(&["a", "b"], &[1.0, 0.0, 0.0, 1.0], None).unwrap();
    let r: Result<()> = store.transaction(|_| {
        assert_eq!(coll.delete(&["a"])?, 1);
        assert_eq!(coll.count()?, 1);
        Err(Error { status: Status::Cancelled, message: "abandon the request".into() })
    });
    fails(r, Status::Cancelled, "abandon");
    assert_eq!(coll.count().unwrap(), 2);
    store
        .transaction(|s| {
            coll.delete(&["a"])?;
            fails(s.begin(), Status::InvalidArgument, "already open");
            Ok(())
        })
        .unwrap();
    fails(store.commit(), Status::InvalidArgument, "no transaction");
    let other = c.open_store(&path, &StoreOptions::default()).unwrap();
    assert_eq!(other.collection("t").unwrap().count().unwrap(), 1);
}

#[test]
fn store_key_value_state() {
    let c = ctx();
    let path = scratch("rust_kv.db");
    let _ = std::fs::remove_file(&path);
    let store = c.open_store(&path, &StoreOptions::default()).unwrap();
    store.kv_put("myapp", "run/config", br#"{"dim":8}"#, ValueKind::Json).unwrap();
    store.kv_put("myapp", "run/weights", &[0, 1, 255], ValueKind::Blob).unwrap();
    assert_eq!(store.kv_get("myapp", "run/config").unwrap(), (br#"{"dim":8}"#.to_vec(), ValueKind::Json));
    assert_eq!(store.kv_get("myapp", "run/weights").unwrap(), (vec![0, 1, 255], ValueKind::Blob));
    fails(store.kv_put("myapp", "bad", b"{\"a\":", ValueKind::Json), Status::Parse, "byte");
    fails(store.kv_put("ek.x", "k", b"1", ValueKind::Json), Status::InvalidArgument, "reserved");
    fails(store.kv_get("myapp", "nothing"), Status::NotFound, "nothing");
    assert_eq!(store.kv_keys("myapp", "run/", None, 0).unwrap(), vec!["run/config", "run/weights"]);
    assert_eq!(store.kv_keys("myapp", "", Some("run/config"), 1).unwrap(), vec!["run/weights"]);
    let r: Result<()> = store.transaction(|s| {
        s.kv_put("myapp", "run/config", b"2", ValueKind::Json)?;
        Err(Error { status: Status::Cancelled, message: "abandon".into() })
    });
    fails(r, Status::Cancelled, "abandon");
    assert_eq!(store.kv_get("myapp", "run/config").unwrap().0, br#"{"dim":8}"#.to_vec());
    assert!(store.kv_delete("myapp", "run/config").unwrap());
    assert!(!store.kv_delete("myapp", "run/config").unwrap());
    assert_eq!(store.kv_delete_prefix("myapp", "").unwrap(), 1);
}
