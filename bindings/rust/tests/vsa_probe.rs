//! The VsaProbe wrapper (ek.vsa_probe/1 of embedkit.vsa_json) with the answers of the
//! C API's tests (tests/plugins/vsa_json/vsa_json_test.cc, VsaJsonProbe.*) and the same
//! data as bindings/python/tests/test_extensions.py and tests/wasm/js/extensions.test.mjs.
use embedkit::*;

const CONFIG: &str = r#"{"dim": 2048, "number_scale": "linear", "number_min": 0, "number_max": 1000}"#;
const DOC: &str = r#"{"name":{"first":"Ada","last":"Lovelace"},"tags":["red","green","blue"],"price":420,"ok":true}"#;
const MOVIES: [&str; 4] = [
    r#"{"title":"Alien","genre":"Horror","year":1979}"#,
    r#"{"title":"Aliens","genre":"Action","year":1986}"#,
    r#"{"title":"Amelie","genre":"Comedy","year":2001}"#,
    r#"{"title":"Heat","genre":"Crime","year":1995}"#,
];

fn ctx() -> Context {
    Context::with_options(ContextOptions { num_threads: 2, plugin_path: Some(String::new()), ..Default::default() }).unwrap()
}

#[track_caller]
fn fails<T>(r: Result<T>, status: Status, needle: &str) {
    match r {
        Ok(_) => panic!("expected {status:?} containing {needle:?}, got Ok"),
        Err(e) => {
            assert_eq!(e.status, status, "message: {}", e.message);
            assert!(e.message.contains(needle), "{:?} does not contain {needle:?}", e.message);
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn probe_ranks_the_value_stored_at_a_path_first_and_scores_are_cosines() {
    let ctx = ctx();
    let inst = ctx.create_instance("embedkit.vsa_json", Some(CONFIG)).unwrap();
    let vp = inst.vsa_probe().unwrap();
    assert_eq!(vp.dim(), 2048);
    let v = inst.encode_vec(&[DOC]).unwrap();
    let names = [r#""Lovelace""#, r#""Ada""#, r#""Grace""#];
    assert_eq!(vp.probe(&v, "name.first", &names, 3).unwrap()[0].0, 1);
    assert_eq!(vp.probe(&v, "name.last", &names, 1).unwrap()[0].0, 0);
    let colours = [r#""green""#, r#""red""#, r#""blue""#];
    let firsts: Vec<usize> = (0..3).map(|i| vp.probe(&v, &format!("tags[{i}]"), &colours, 1).unwrap()[0].0).collect();
    assert_eq!(firsts, [1, 0, 2]);
    assert_eq!(vp.probe(&v, "ok", &["false", "true", "null"], 3).unwrap()[0].0, 1);

    let ranked = vp.probe(&v, "name.first", &names, 1024).unwrap();
    assert_eq!(ranked.len(), 3);
    let unbound = vp.bind_vec("name.first", &v, true).unwrap();
    let norm = dot(&unbound, &unbound).sqrt();
    for (i, score) in &ranked {
        let e = vp.encode_value(names[*i]).unwrap();
        assert!((dot(&e, &e) - 1.0).abs() < 1e-4);
        assert!((score - dot(&unbound, &e) / norm).abs() < 1e-4, "{score} vs cosine");
    }
    assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1));

    let (value, confidence) = vp.decode_number(&v, "price").unwrap();
    assert!((value - 420.0).abs() < 60.0 && confidence > 0.2, "{value} {confidence}");
}

#[test]
fn bind_is_orthogonal_and_its_transpose_unbinds() {
    let ctx = ctx();
    let inst = ctx.create_instance("embedkit.vsa_json", Some(CONFIG)).unwrap();
    let vp = inst.vsa_probe().unwrap();
    let x: Vec<f32> = (0..2048).map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0).collect();
    let y = vp.bind_vec("name.first[2]", &x, false).unwrap();
    assert!((dot(&x, &x) - dot(&y, &y)).abs() < 1e-3 * dot(&x, &x));
    assert!(x.iter().zip(&y).any(|(a, b)| (a - b).abs() > 1e-3));
    let mut back = vec![0f32; 2048];
    vp.bind("name.first[2]", &y, &mut back, true).unwrap();
    assert!(x.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-4));
}

#[test]
fn encode_batch_equals_one_encode_per_document() {
    let ctx = ctx();
    let inst = ctx.create_instance("embedkit.vsa_json", Some(r#"{"dim": 256}"#)).unwrap();
    let vp = inst.vsa_probe().unwrap();
    let docs = [r#"{"a":1}"#, r#"{"b":[true,null]}"#, r#""text""#];
    let expected = inst.encode_vec(&docs).unwrap();
    assert_eq!(vp.encode_batch(&format!("[{}]", docs.join(", "))).unwrap(), expected);
    assert_eq!(vp.encode_batch(&format!("{}\n\n", docs.join("\r\n"))).unwrap(), expected);
    assert!(vp.encode_batch("").unwrap().is_empty());
}

#[test]
fn index_similar_probe_collection_and_config_through_a_store() {
    let ctx = ctx();
    let inst = ctx.create_instance("embedkit.vsa_json", Some(CONFIG)).unwrap();
    let vp = inst.vsa_probe().unwrap();
    let store = ctx.open_store(":memory:", &StoreOptions::default()).unwrap();
    vp.index(&store, "movies", &MOVIES, Some(&["m1", "m2", "m3", "m4"]), true).unwrap();

    let res = vp.similar(&store, "movies", r#"{"title":"Alien","genre":"Horror"}"#, 2, None).unwrap();
    let hits = res.hits(0).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!((hits[0].id, hits[0].metadata_json), ("m1", Some(MOVIES[0])));
    let only = vp.similar(&store, "movies", r#"{"title":"Alien"}"#, 4, Some(r#"{"genre":"Crime"}"#)).unwrap();
    assert_eq!(only.hits(0).unwrap().iter().map(|h| h.id).collect::<Vec<_>>(), ["m4"]);

    let mut v = vec![0f32; 2048];
    store.collection("movies").unwrap().get("m4", &mut v).unwrap();
    let genres = vp.probe_collection(&store, "movies", &v, "genre", 4).unwrap();
    assert_eq!(genres.len(), 4);
    assert_eq!(genres[0].0, r#""Crime""#);
    let mut all: Vec<&str> = genres.iter().map(|g| g.0.as_str()).collect();
    all.sort();
    assert_eq!(all, [r#""Action""#, r#""Comedy""#, r#""Crime""#, r#""Horror""#]);
    fails(vp.probe_collection(&store, "movies", &v, "director", 4), Status::NotFound, "");

    // The recorded configuration makes an instance that encodes like the collection.
    let config = vp.collection_config(&store, "movies").unwrap();
    assert!(config.contains(r#""dim":2048"#), "{config}");
    let again = ctx.create_instance("embedkit.vsa_json", Some(&config)).unwrap();
    assert_eq!(again.encode_vec(&[MOVIES[3]]).unwrap(), v);
    fails(vp.collection_config(&store, "nothing"), Status::NotFound, "");

    vp.index(&store, "plain", &[r#"{"k": 1}"#, r#"{"k": 2}"#], None, false).unwrap(); // ids "0", "1"
    assert_eq!(store.collection("plain").unwrap().get_with_metadata("1").unwrap().1, None);
}

#[test]
fn bad_input_is_refused_with_the_plugins_message() {
    let ctx = ctx();
    let inst = ctx.create_instance("embedkit.vsa_json", Some(CONFIG)).unwrap();
    let vp = inst.vsa_probe().unwrap();
    let v = inst.encode_vec(&[DOC]).unwrap();
    fails(vp.probe(&v[..5], "name", &[r#""Ada""#], 1), Status::DimensionMismatch, "5 floats");
    fails(vp.probe(&v, "a[", &[r#""Ada""#], 1), Status::InvalidArgument, "array position");
    fails(vp.probe(&v, "a", &[r#""Ada""#], 0), Status::InvalidArgument, "");
    fails(vp.probe(&v, "a", &["{nope"], 1), Status::Parse, "candidate 0");
    fails(vp.bind("a", &v, &mut [0f32; 3], false), Status::DimensionMismatch, "out has 3");
    let store = ctx.open_store(":memory:", &StoreOptions::default()).unwrap();
    fails(vp.index(&store, "m", &MOVIES, Some(&["x"]), true), Status::InvalidArgument, "4 vs 1");
    let rec = ctx.create_instance("embedkit.rec_unlearn", None).unwrap();
    fails(rec.vsa_probe().map(|_| ()), Status::Unsupported, "ek.vsa_probe/1");
}
