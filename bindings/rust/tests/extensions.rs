//! The typed extension wrappers against the bundled plugins: Classifier
//! (embedkit.text_classify), Matcher (embedkit.table_match), Recommender
//! (embedkit.rec_unlearn: ek.recommender/1 + ek.unlearner/1). The same small inline
//! data with known answers as bindings/python/tests/test_extensions.py; bad input is
//! an Error with the status and the extension's own message. (Use after free is a
//! compile error: see the compile_fail doctest of src/extensions.rs.)
use embedkit::*;
use std::path::PathBuf;

fn ctx(threads: u32) -> Context {
    Context::with_options(ContextOptions { num_threads: threads, plugin_path: Some(String::new()), ..Default::default() })
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("extensions");
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p
}

#[track_caller]
fn fails<T>(r: Result<T>, status: Status, needle: &str) -> Error {
    match r {
        Ok(_) => panic!("expected {status:?} containing {needle:?}, got Ok"),
        Err(e) => {
            assert_eq!(e.status, status, "message: {}", e.message);
            assert!(e.message.contains(needle), "{:?} does not contain {needle:?}", e.message);
            e
        }
    }
}

// ---- Classifier ---------------------------------------------------------------------

const SPACE: [&str; 6] = [
    "the rocket launch reached orbit",
    "nasa astronauts on the space station",
    "a telescope saw a distant galaxy",
    "the moon landing and the orbit of mars",
    "planets orbit the sun in the solar system",
    "the shuttle crew returned from space",
];
const SPORT: [&str; 6] = [
    "the team won the football match",
    "a goal in the last minute of the game",
    "the tennis player won the final",
    "fans cheered as the team scored",
    "the coach picked the players for the match",
    "a record in the marathon race",
];
const LABELS: &str = r#"{"space": ["space", "orbit", "rocket"], "sport": ["team", "match", "game"]}"#;
const CLS_CONFIG: &str = r#"{"embedder": "hashing", "min_num_docs": 3, "hash_dim": 256}"#;

fn corpus() -> Vec<&'static str> {
    SPACE.iter().chain(SPORT.iter()).copied().collect()
}

#[test]
fn classifier_fit_predict_scores_and_labels() {
    let ctx = ctx(2);
    let inst = ctx.create_instance("embedkit.text_classify", Some(CLS_CONFIG)).unwrap();
    let cls = inst.classifier().unwrap();
    cls.set_labels_json(LABELS).unwrap();
    cls.fit(&corpus()).unwrap();
    assert_eq!((cls.label_count().unwrap(), cls.dim().unwrap()), (2, 256));
    let labels = cls.labels().unwrap();
    assert_eq!(labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["space", "sport"]);
    assert!(labels.iter().all(|l| l.active && l.documents >= 3 && l.known_keywords == 3 && l.total_keywords == 3));

    let out = cls.predict(&["an astronaut went to orbit on a rocket", "the team lost the match", ""], true).unwrap();
    assert_eq!(out.iter().map(|p| p.label.as_deref()).collect::<Vec<_>>(), [Some("space"), Some("sport"), None]);
    assert_eq!(out.iter().map(|p| p.index).collect::<Vec<_>>(), [0, 1, -1]);
    assert!(out[0].confidence > 0.5 && out[0].confidence <= 1.0 && out[2].confidence == 0.0);
    assert_eq!(out[0].scores.len(), 2);
    assert!(out[0].scores[0] > out[0].scores[1] && out[1].scores[1] > out[1].scores[0]);
    assert!(out[2].scores.iter().all(|&s| s == 0.0), "an empty document has all-zero scores");
    assert!(cls.predict(&["rocket"], false).unwrap()[0].scores.is_empty());

    // Slices in and out.
    let (mut idx, mut conf, mut sc) = ([9i32; 2], [0f32; 2], [0f32; 4]);
    cls.predict_into(&[b"rocket to orbit".as_slice(), b"football team match"], &mut idx, &mut conf, Some(&mut sc)).unwrap();
    assert_eq!(idx, [0, 1]);
    fails(cls.predict_into(&["a", "b"], &mut [0i32; 1], &mut conf, None), Status::BufferTooSmall, "labels");

    let fitted = cls.predict_fitted(0, 12, false).unwrap();
    assert!(fitted[..6].iter().filter(|p| p.label.as_deref() == Some("space")).count() >= 5);
    assert!(fitted[6..].iter().filter(|p| p.label.as_deref() == Some("sport")).count() >= 5);

    let v = cls.embed_vec(&["rocket orbit", "team match"]).unwrap();
    assert_eq!(v.len(), 512);
    for row in v.chunks(256) {
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "hashing vectors are unit length ({norm})");
    }
    let mut out = vec![7f32; 3 * 256];
    cls.embed(&["rocket orbit"], &mut out).unwrap();
    assert_eq!(&out[..256], &v[..256]);
    assert!(out[256..].iter().all(|&x| x == 7.0), "only the rows asked for are written");
    fails(cls.embed(&["a", "b"], &mut [0f32; 10]), Status::BufferTooSmall, "embed");
    let (lab, seeds) = cls.label_vectors().unwrap();
    assert_eq!((lab.len(), seeds.len()), (512, 512));
    let mut fv = vec![0f32; 3 * 256];
    cls.fitted_vectors(0, 3, &mut fv).unwrap();
    let info = cls.info_json().unwrap();
    assert!(info.contains(r#""embedder":"hashing""#) && info.contains(r#""fitted_documents":12"#), "{info}");

    // Save into a store and classify with a fresh instance loaded from it.
    let store = ctx.open_store(scratch("topics.db"), &StoreOptions::default()).unwrap();
    cls.save(&store, "topics").unwrap();
    let inst2 = ctx.create_instance("embedkit.text_classify", Some(r#"{"embedder": "hashing"}"#)).unwrap();
    let other = inst2.classifier().unwrap();
    other.load(&store, "topics").unwrap();
    let p = other.predict(&["the rocket reached orbit", "the team won"], false).unwrap();
    assert_eq!(p.iter().map(|p| p.label.as_deref()).collect::<Vec<_>>(), [Some("space"), Some("sport")]);
    fails(other.predict_fitted(0, 1, false), Status::Unsupported, "");
    assert!(!other.load(&store, "no_such_model").unwrap_err().message.is_empty());
}

#[test]
fn classifier_labels_as_data() {
    let ctx = ctx(2);
    let inst = ctx.create_instance("embedkit.text_classify", Some(CLS_CONFIG)).unwrap();
    let cls = inst.classifier().unwrap();
    cls.set_labels(&[
        Label { name: "space", keywords: &["space", "orbit", "rocket"], description: None },
        Label { name: "sport", keywords: &["team"], description: Some("match game") },
    ])
    .unwrap();
    cls.fit(&corpus()).unwrap();
    assert_eq!(cls.predict(&["the team won the match"], false).unwrap()[0].label.as_deref(), Some("sport"));
    let e = cls.set_labels(&[Label { name: "", keywords: &["x"], description: None }]).unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument);
    assert!(!e.message.is_empty());
}

#[test]
fn classifier_bad_input_gives_the_extension_message() {
    let ctx = ctx(2);
    let inst = ctx.create_instance("embedkit.text_classify", Some(CLS_CONFIG)).unwrap();
    let cls = inst.classifier().unwrap();
    let e = fails(cls.set_labels_json(r#"{"labels": "#), Status::Parse, "set_labels_json");
    assert!(e.message.contains("JSON"));
    assert!(e.to_string().starts_with("EK_ERR_PARSE: "));
    cls.set_labels_json(LABELS).unwrap();
    fails(cls.fit::<&str>(&[]), Status::InvalidArgument, "document");
    cls.fit(&corpus()).unwrap();
    assert_eq!(cls.predict(&["rocket to orbit"], false).unwrap()[0].label.as_deref(), Some("space"), "a failed call keeps the model");

    let enc = ctx.create_instance("embedkit.vsa_json", Some(r#"{"dim": 64}"#)).unwrap();
    fails(enc.classifier().map(|_| ()), Status::Unsupported, "ek.classifier/1");
    fails(enc.matcher().map(|_| ()), Status::Unsupported, "ek.matcher/1");
    fails(enc.recommender().map(|_| ()), Status::Unsupported, "ek.recommender/1");
}

// ---- Matcher ------------------------------------------------------------------------

const DDL: &str = "CREATE TABLE patients (
  patient_id INTEGER PRIMARY KEY, -- unique identifier of the patient
  birth_dt DATE,                  -- date of birth
  gender_cd VARCHAR(1)            -- sex of the patient
);";
const GLOSSARY: &str = r#"[
  {"id": "person_id", "label": "Person identifier", "description": "A unique identifier for each person"},
  {"id": "birth_date", "label": "Birth date", "description": "The date the person was born"},
  {"id": "gender", "label": "Gender", "description": "The sex of the person", "synonyms": ["sex"]},
  {"id": "visit_start", "label": "Visit start date", "description": "When the visit started"}
]"#;

#[test]
fn matcher_ddl_against_a_json_glossary() {
    let ctx = ctx(2);
    let inst = ctx.create_instance("embedkit.table_match", Some(r#"{"wordvec": "none"}"#)).unwrap();
    let m = inst.matcher().unwrap();
    m.load(Side::Source, DDL, MatchFormat::SqlDdl).unwrap();
    m.load(Side::Target, GLOSSARY, MatchFormat::GlossaryJson).unwrap();
    assert_eq!((m.count(Side::Source).unwrap(), m.count(Side::Target).unwrap()), (3, 4));
    let cols = m.columns(Side::Source).unwrap();
    assert_eq!(cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["patient_id", "birth_dt", "gender_cd"]);
    assert_eq!((cols[1].id.as_str(), cols[1].type_.as_str(), cols[1].description.as_str()), ("patients.birth_dt", "DATE", "date of birth"));

    let signals = m.signal_names().unwrap();
    let r = m.run(&MatchOptions { top_k: 3, ..Default::default() }).unwrap();
    assert_eq!(r.column_count().unwrap(), 3);
    assert_eq!(r.best(1).unwrap().unwrap().0, "birth_date");
    assert_eq!(r.best(2).unwrap().unwrap().0, "gender");
    for i in 0..3 {
        let (col, n) = r.column(i).unwrap();
        assert_eq!(col.name, cols[i].name);
        assert!((1..=3).contains(&n));
        let cands = r.candidates(i).unwrap();
        assert!(cands.windows(2).all(|w| w[0].score >= w[1].score), "best first");
        assert!((0.0..=1.0).contains(&cands[0].score));
        assert_eq!(cands[0].signals.len(), signals.len(), "every signal is explained");
        assert_eq!(cands[0].contributions.len(), signals.len());
        assert_eq!(cands[0].judge_probability, None);
    }
    let json = r.json().unwrap();
    assert!(json.starts_with('{') && json.contains(r#""columns""#) && json.contains(r#""birth_date""#));
    drop(r);

    let one = m.run(&MatchOptions { top_k: 4, mode: MatchMode::OneToOne, ..Default::default() }).unwrap();
    let mut assigned = Vec::new();
    for i in 0..one.column_count().unwrap() {
        for c in one.candidates(i).unwrap() {
            if c.is_match {
                assigned.push(c.target_index);
            }
        }
    }
    let n = assigned.len();
    assigned.sort();
    assigned.dedup();
    assert_eq!(assigned.len(), n, "1:1 matches each target at most once");
    let strict = m.run(&MatchOptions { top_k: 2, threshold: Some(1.01), ..Default::default() }).unwrap();
    assert!((0..3).all(|i| strict.candidates(i).unwrap().iter().all(|c| !c.is_match)));
}

#[test]
fn matcher_bad_input_keeps_the_side() {
    let ctx = ctx(2);
    let inst = ctx.create_instance("embedkit.table_match", Some(r#"{"wordvec": "none"}"#)).unwrap();
    let m = inst.matcher().unwrap();
    m.load(Side::Source, DDL, MatchFormat::SqlDdl).unwrap();
    fails(m.load(Side::Source, "CREATE TABLE t (a INT", MatchFormat::SqlDdl), Status::Parse, "line 1, column");
    assert_eq!(m.count(Side::Source).unwrap(), 3, "a failed load leaves the side as it was");
    let e = m.run(&MatchOptions::default()).err().expect("no targets");
    assert_eq!(e.status, Status::InvalidArgument);
    assert!(!e.message.is_empty());
    fails(m.load(Side::Source, DDL, MatchFormat::SqlDdl), Status::AlreadyExists, "");
    m.load(Side::Target, "id,label,description\nbirth_date,Birth date,The date of birth\n", MatchFormat::GlossaryCsv).unwrap();
    m.add_abbreviations(r#"{"dt": "date"}"#).unwrap();
    let r = m.run(&MatchOptions { top_k: 1, ..Default::default() }).unwrap();
    assert_eq!(r.best(1).unwrap().unwrap().0, "birth_date");
    m.clear(Side::Target).unwrap();
    assert_eq!(m.count(Side::Target).unwrap(), 0);
    fails(r.candidate(0, 5), Status::InvalidArgument, "");
}

// ---- Recommender ------------------------------------------------------------------------

const REC_CONFIG: &str = r#"{"dim": 16, "epochs": 60, "seed": 7, "text_dim": 0}"#;

/// Two taste groups: users u0..u9 like items a*, users v0..v9 like items b*.
fn taste_rows() -> (Vec<String>, Vec<String>) {
    let (mut users, mut items) = (Vec::new(), Vec::new());
    for u in 0..10 {
        for i in 0..8 {
            if (u + i) % 4 != 0 {
                users.push(format!("u{u}"));
                items.push(format!("a{i}"));
            }
            if (u + i) % 4 != 1 {
                users.push(format!("v{u}"));
                items.push(format!("b{i}"));
            }
        }
    }
    (users, items)
}

fn add_taste(rec: &Recommender<'_>) -> usize {
    let (u, i) = taste_rows();
    let u: Vec<&str> = u.iter().map(|s| s.as_str()).collect();
    let i: Vec<&str> = i.iter().map(|s| s.as_str()).collect();
    rec.add_interactions(&u, &i, None, None).unwrap();
    u.len()
}

#[test]
fn recommender_trains_and_recommends_within_the_taste_group() {
    let ctx = ctx(1);
    let inst = ctx.create_instance("embedkit.rec_unlearn", Some(REC_CONFIG)).unwrap();
    let rec = inst.recommender().unwrap();
    let n = add_taste(&rec);
    let report = rec.train(None).unwrap();
    assert!(report.epochs == 60 && report.samples > 0 && report.last_loss.is_finite());
    let st = rec.stats().unwrap();
    assert_eq!((st.users, st.items, st.interactions, st.dim), (20, 16, n as u64, 16));
    assert!(st.trained && st.pending_requests == 0);

    let top = rec.recommend("u1", 2, true).unwrap();
    assert_eq!(top.len(), 2);
    assert!(top.iter().all(|(item, _)| item == "a3" || item == "a7"), "{top:?}: unseen a items");
    assert!(top[0].1 >= top[1].1);
    assert!(rec.recommend("v3", 3, false).unwrap().iter().all(|(item, _)| item.starts_with('b')));
    let s = rec.score("u1", &["a3", "b3"]).unwrap();
    assert!(s[0] > s[1], "u1 prefers a3 over b3 ({s:?})");

    let m = rec.evaluate(&["u2", "ghost"], &["a2", "a1"], 5, false).unwrap();
    assert_eq!((m.pairs, m.pairs_skipped, m.users), (1, 1, 1));
    let m2 = rec.evaluate(&["u2", "v3"], &["a2", "b2"], 8, false).unwrap();
    assert_eq!((m2.pairs, m2.hit_rate), (2, 1.0));
}

#[test]
fn recommender_save_load_forget_and_purge() {
    let ctx = ctx(1);
    let inst = ctx.create_instance("embedkit.rec_unlearn", Some(REC_CONFIG)).unwrap();
    let rec = inst.recommender().unwrap();
    add_taste(&rec);
    rec.train(None).unwrap();
    let path = scratch("shop.db");
    {
        let store = ctx.open_store(&path, &StoreOptions::default()).unwrap();
        rec.save(&store, "shop").unwrap();
    } // the Store is dropped; the bound instance keeps the C store alive
    let f = rec.forget(Forget::Users(&["u0"]), &ForgetOptions::default()).unwrap();
    assert_eq!((f.interactions_removed, f.users_removed, f.items_removed), (6, 1, 0));
    assert!(f.digest.len() == 64 && f.digest.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(f.request_id.starts_with("req-"));
    fails(rec.recommend("u0", 10, true), Status::NotFound, "u0");
    assert_eq!(rec.stats().unwrap().users, 19);
    fails(rec.forget(Forget::Items(&["nope"]), &ForgetOptions::default()), Status::NotFound, "nope");
    assert_eq!(rec.stats().unwrap().users, 19, "a refused request changes nothing");
    let skip = ForgetOptions { skip_unknown: true, method: UnlearnMethod::Noop, ..Default::default() };
    let nothing = rec.forget(Forget::Users(&["u0", "nope"]), &skip).unwrap();
    assert_eq!((nothing.interactions_removed, nothing.users_removed, nothing.request_id.as_str()), (0, 0, ""));

    let f2 = rec
        .forget(Forget::Interactions { users: &["u1"], items: &["a1"] }, &ForgetOptions { method: UnlearnMethod::FineTune, request_id: Some("r-1"), ..Default::default() })
        .unwrap();
    assert_eq!((f2.interactions_removed, f2.request_id.as_str()), (1, "r-1"));
    let f3 = rec.forget(Forget::Items(&["b0"]), &ForgetOptions { keep_rows: true, method: UnlearnMethod::Noop, ..Default::default() }).unwrap();
    assert!(f3.interactions_removed > 0 && f3.items_removed == 0);
    assert_eq!(rec.stats().unwrap().items, 16);
    assert_eq!(rec.purge().unwrap(), 1);
    assert_eq!(rec.stats().unwrap().items, 15);

    let store = ctx.open_store(&path, &StoreOptions::default()).unwrap();
    let inst2 = ctx.create_instance("embedkit.rec_unlearn", None).unwrap();
    let other = inst2.recommender().unwrap();
    other.load(&store, "shop").unwrap();
    let st = other.stats().unwrap();
    assert_eq!((st.users, st.items, st.trained), (19, 15, true));
    assert!(other.recommend("u2", 2, true).unwrap().iter().all(|(item, _)| item.starts_with('a')));
    let inst3 = ctx.create_instance("embedkit.rec_unlearn", None).unwrap();
    fails(inst3.recommender().unwrap().load(&store, "nothing"), Status::NotFound, "");
}

#[test]
fn recommender_bad_input() {
    let ctx = ctx(1);
    let inst = ctx.create_instance("embedkit.rec_unlearn", Some(REC_CONFIG)).unwrap();
    let rec = inst.recommender().unwrap();
    add_taste(&rec);
    assert_eq!(rec.recommend("u1", 10, true).unwrap_err().status, Status::InvalidArgument, "not trained yet");
    rec.train(Some(r#"{"epochs": 5}"#)).unwrap();
    fails(rec.recommend("ghost", 10, true), Status::NotFound, "ghost");
    fails(rec.score("u1", &["a1", "zz"]), Status::NotFound, "zz");
    fails(rec.add_interactions(&["u1", "u2"], &["a1"], None, None), Status::InvalidArgument, "users vs items");
    assert!(rec.forget(Forget::Users(&[]), &ForgetOptions::default()).is_err());
    fails(rec.train(Some("{not json")), Status::Parse, "");
    rec.add_interactions(&["w0"], &["a0"], Some(&[2.5]), Some(&[1_700_000_000])).unwrap();
    rec.set_items(&["a0", "a1"], Some((&[1.0, 0.0, 0.0, 1.0], 2)), Some(&["first", "second"])).unwrap();
    assert_eq!(rec.train(None).unwrap().epochs, 60);
    assert_eq!(rec.stats().unwrap().users, 21);
}

// ---- callbacks: the host embedder and the LLM hooks --------------------------------------

const SPACE_WORDS: [&str; 14] =
    ["space", "orbit", "rocket", "nasa", "astronauts", "astronaut", "telescope", "galaxy", "moon", "mars", "planets", "sun", "shuttle", "station"];
const SPORT_WORDS: [&str; 14] =
    ["team", "match", "game", "football", "goal", "tennis", "player", "players", "fans", "coach", "marathon", "race", "scored", "final"];

/// A deterministic 3-d "sentence encoder": (space words, sport words, 0.1).
fn word_counts(texts: &[&[u8]], out: &mut [f32]) -> std::result::Result<(), Status> {
    for (i, t) in texts.iter().enumerate() {
        let text = String::from_utf8_lossy(t).to_lowercase();
        let words: Vec<&str> = text.split_whitespace().collect();
        out[i * 3] = words.iter().filter(|w| SPACE_WORDS.contains(w)).count() as f32;
        out[i * 3 + 1] = words.iter().filter(|w| SPORT_WORDS.contains(w)).count() as f32;
        out[i * 3 + 2] = 0.1;
    }
    Ok(())
}

#[test]
fn classifier_host_embedder() {
    let ctx = ctx(2);
    let inst = ctx.create_instance("embedkit.text_classify", Some(r#"{"embedder": "host", "min_num_docs": 3}"#)).unwrap();
    let cls = inst.classifier().unwrap();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c2 = calls.clone();
    cls.set_embedder(
        Some(move |t: &[&[u8]], out: &mut [f32]| {
            c2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            word_counts(t, out)
        }),
        3,
    )
    .unwrap();
    cls.set_labels_json(LABELS).unwrap();
    cls.fit(&corpus()).unwrap();
    assert!(calls.load(std::sync::atomic::Ordering::Relaxed) > 0);
    assert_eq!(cls.dim().unwrap(), 3);
    let p = cls.predict(&["an astronaut went to orbit on a rocket", "the team lost the match"], false).unwrap();
    assert_eq!(p.iter().map(|p| p.label.as_deref()).collect::<Vec<_>>(), [Some("space"), Some("sport")]);
    let v = cls.embed_vec(&["rocket team team"]).unwrap();
    assert_eq!(v, [1.0, 2.0, 0.1], "the host's vectors, as the callback wrote them");

    // A failing or panicking callback fails the call with Status::Plugin.
    cls.set_embedder(Some(|_: &[&[u8]], _: &mut [f32]| Err(Status::NotFound)), 3).unwrap();
    fails(cls.predict(&["rocket"], false), Status::Plugin, "");
    cls.set_embedder(Some(|_: &[&[u8]], _: &mut [f32]| -> std::result::Result<(), Status> { panic!("model crashed") }), 3).unwrap();
    fails(cls.embed_vec(&["rocket"]), Status::Plugin, "");
    fails(cls.set_embedder(Some(word_counts), 0), Status::InvalidArgument, "");
    cls.set_embedder(Some(word_counts), 3).unwrap();
    assert_eq!(cls.predict(&["rocket orbit"], false).unwrap()[0].label.as_deref(), Some("space"));
}

#[test]
fn matcher_llm_hooks() {
    let ctx = ctx(2);
    let inst = ctx.create_instance("embedkit.table_match", Some(r#"{"wordvec": "none"}"#)).unwrap();
    let m = inst.matcher().unwrap();
    m.load(Side::Source, DDL, MatchFormat::SqlDdl).unwrap();
    m.load(Side::Target, GLOSSARY, MatchFormat::GlossaryJson).unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let s2 = seen.clone();
    m.set_llm_hooks(Some(LlmHooks {
        generate_context: Some(Box::new(move |c: &MatchColumn| {
            s2.lock().unwrap().push(c.id.clone());
            Ok(if c.name == "birth_dt" { "the day the patient was born".into() } else { String::new() })
        })),
        // A "model" that insists patient_id means visit_start.
        judge: Some(Box::new(|c: &MatchColumn, t: &MatchColumn| {
            Ok(if c.name == "patient_id" { if t.id == "visit_start" { 1.0 } else { 0.0 } } else { 0.5 })
        })),
        judge_top_n: 4,
        judge_weight: 1.0,
        ..Default::default()
    }))
    .unwrap();
    let r = m.run(&MatchOptions { top_k: 3, ..Default::default() }).unwrap();
    let mut ids = seen.lock().unwrap().clone();
    ids.sort();
    assert_eq!(ids, ["patients.birth_dt", "patients.gender_cd", "patients.patient_id"]);
    assert_eq!(r.best(0).unwrap().unwrap(), ("visit_start".to_string(), 1.0));
    assert_eq!(r.candidate(0, 0).unwrap().judge_probability, Some(1.0));
    drop(r);
    let offline = m.run(&MatchOptions { top_k: 3, use_llm: false, ..Default::default() }).unwrap();
    assert_eq!(offline.best(0).unwrap().unwrap().0, "person_id");
    drop(offline);

    m.set_llm_hooks(Some(LlmHooks { judge: Some(Box::new(|_: &MatchColumn, _: &MatchColumn| Err(Status::Io))), ..Default::default() })).unwrap();
    fails(m.run(&MatchOptions::default()), Status::Plugin, "judge");
    m.set_llm_hooks(None).unwrap();
    assert_eq!(m.run(&MatchOptions { top_k: 1, ..Default::default() }).unwrap().best(0).unwrap().unwrap().0, "person_id");
}

/// The generated tables (embedkit::ffi) have the size the bundled plugins report as
/// their struct_size: the Rust view of a table ends where the plugin's does.
#[test]
fn table_sizes_match_the_struct_size_the_plugins_report() {
    use embedkit::ffi;
    use std::mem::size_of;
    let ctx = ctx(1);
    let cls = ctx.create_instance("embedkit.text_classify", None).unwrap();
    assert_eq!(cls.classifier().unwrap().table_struct_size() as usize, size_of::<ffi::ek_classifier_ext>());
    let m = ctx.create_instance("embedkit.table_match", Some(r#"{"wordvec": "none"}"#)).unwrap();
    assert_eq!(m.matcher().unwrap().table_struct_size() as usize, size_of::<ffi::ek_matcher_ext>());
    let r = ctx.create_instance("embedkit.rec_unlearn", None).unwrap();
    let rec = r.recommender().unwrap();
    assert_eq!(rec.table_struct_size() as usize, size_of::<ffi::ek_recommender_ext>());
    assert_eq!(rec.unlearner_struct_size(), Some(size_of::<ffi::ek_unlearner_ext>() as u32));
    // And through the raw table pointer.
    let t = r.extension_table(ffi::EK_EXT_UNLEARNER).unwrap() as *const ffi::ek_unlearner_ext;
    assert_eq!(unsafe { (*t).struct_size } as usize, size_of::<ffi::ek_unlearner_ext>());
}
