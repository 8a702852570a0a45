//! The raw extension tables and structs in src/ext_ffi.rs agree with
//! abi/include/embedkit/ext/{classifier,matcher,recommender}.h: a C program compiled
//! against the headers prints every struct's size and field offsets and every
//! constant; every function pointer of each table is declared, in order; and each
//! table's size equals the struct_size the bundled plugin reports. Needs a C
//! compiler (`CC` or `cc`).
use embedkit::ext_ffi as x;
use embedkit::{Context, ContextOptions};
use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

fn include_dir() -> PathBuf {
    match std::env::var("EMBEDKIT_INCLUDE_DIR") {
        Ok(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../abi/include"),
    }
}

/// The C name of a Rust field (`type_` and `match_` are keywords in Rust).
fn c_field(f: &str) -> &str {
    f.strip_suffix('_').unwrap_or(f)
}

macro_rules! layout {
    ($out:ident, $t:ident { $($f:ident),* }) => {
        $out.push((stringify!($t).to_string(), "size".to_string(), size_of::<x::$t>()));
        $( $out.push((stringify!($t).to_string(), c_field(stringify!($f)).to_string(), offset_of!(x::$t, $f))); )*
    };
}

fn rust_layout() -> Vec<(String, String, usize)> {
    let mut v = Vec::new();
    layout!(v, ek_classifier_label { struct_size, name, keywords, keyword_count, description });
    layout!(v, ek_classifier_label_info { struct_size, name, known_keywords, total_keywords, documents, active });
    layout!(v, ek_classifier_ext { struct_size, last_error, set_embedder, set_labels, set_labels_json, fit, label_count, dim, label_info, predict, predict_fitted, embed, fitted_vectors, label_vectors, save, load, info_json });
    layout!(v, ek_matcher_column { struct_size, id, table, name, type_, description, table_description, synonyms });
    layout!(v, ek_matcher_llm_hooks { struct_size, user_data, generate_context, judge, judge_top_n, judge_weight, context_capacity });
    layout!(v, ek_matcher_options { struct_size, top_k, mode, threshold, max_matches, use_llm });
    layout!(v, ek_matcher_candidate { struct_size, target_index, score, model_score, judge_probability, is_match, signal_count, signals, contributions });
    layout!(v, ek_matcher_ext { struct_size, last_error, options_init, load, clear, count, column, add_abbreviations, set_llm_hooks, match_, signal_count, signal_name, result_column_count, result_column, result_candidate, result_target, result_json, free_text, result_free });
    layout!(v, ek_rec_interactions { struct_size, count, users, items, weights, timestamps });
    layout!(v, ek_rec_items { struct_size, count, ids, categorical, categorical_dim, texts });
    layout!(v, ek_rec_train_report { struct_size, epochs, samples, seconds, last_loss });
    layout!(v, ek_rec_metrics { struct_size, recall, ndcg, hit_rate, mean_rank, users, pairs, pairs_skipped });
    layout!(v, ek_rec_stats { struct_size, users, items, interactions, dim, layers, trained, pending_requests });
    layout!(v, ek_recommender_ext { struct_size, last_error, set_items, add_interactions, train, recommend, score, evaluate, save, load, stats });
    layout!(v, ek_forget_request { struct_size, kind, method, flags, count, users, items, options_json, request_id });
    layout!(v, ek_forget_report { struct_size, interactions_removed, users_removed, items_removed, epochs, seconds, request_id, digest });
    layout!(v, ek_unlearner_ext { struct_size, last_error, forget, purge });
    v
}

fn constants() -> Vec<(&'static str, i64)> {
    vec![
        ("EK_MATCHER_SOURCE", x::EK_MATCHER_SOURCE as i64),
        ("EK_MATCHER_TARGET", x::EK_MATCHER_TARGET as i64),
        ("EK_MATCHER_FORMAT_AUTO", x::EK_MATCHER_FORMAT_AUTO as i64),
        ("EK_MATCHER_FORMAT_SCHEMA_JSON", x::EK_MATCHER_FORMAT_SCHEMA_JSON as i64),
        ("EK_MATCHER_FORMAT_SQL_DDL", x::EK_MATCHER_FORMAT_SQL_DDL as i64),
        ("EK_MATCHER_FORMAT_GLOSSARY_JSON", x::EK_MATCHER_FORMAT_GLOSSARY_JSON as i64),
        ("EK_MATCHER_FORMAT_GLOSSARY_CSV", x::EK_MATCHER_FORMAT_GLOSSARY_CSV as i64),
        ("EK_MATCHER_MODE_ONE_TO_MANY", x::EK_MATCHER_MODE_ONE_TO_MANY as i64),
        ("EK_MATCHER_MODE_ONE_TO_ONE", x::EK_MATCHER_MODE_ONE_TO_ONE as i64),
        ("EK_FORGET_INTERACTIONS", x::EK_FORGET_INTERACTIONS as i64),
        ("EK_FORGET_USERS", x::EK_FORGET_USERS as i64),
        ("EK_FORGET_ITEMS", x::EK_FORGET_ITEMS as i64),
        ("EK_UNLEARN_MMRECUN", x::EK_UNLEARN_MMRECUN as i64),
        ("EK_UNLEARN_GOLD", x::EK_UNLEARN_GOLD as i64),
        ("EK_UNLEARN_FINETUNE", x::EK_UNLEARN_FINETUNE as i64),
        ("EK_UNLEARN_NOOP", x::EK_UNLEARN_NOOP as i64),
        ("EK_FORGET_KEEP_ROWS", x::EK_FORGET_KEEP_ROWS as i64),
    ]
}

#[test]
fn ext_struct_layouts_and_constants_match_the_c_compiler() {
    let layout = rust_layout();
    let consts = constants();
    let mut c = String::from(
        "#include <embedkit/ext/classifier.h>\n#include <embedkit/ext/matcher.h>\n#include <embedkit/ext/recommender.h>\n#include <stddef.h>\n#include <stdio.h>\n#include <string.h>\nint main(void) {\n",
    );
    for (t, f, _) in &layout {
        if f == "size" {
            c += &format!("printf(\"{t} size %zu\\n\", sizeof({t}));\n");
        } else {
            c += &format!("printf(\"{t} {f} %zu\\n\", offsetof({t}, {f}));\n");
        }
    }
    for (name, _) in &consts {
        c += &format!("printf(\"{name} %lld\\n\", (long long)({name}));\n");
    }
    for (name, value) in [
        ("EK_EXT_CLASSIFIER", x::EK_EXT_CLASSIFIER),
        ("EK_EXT_MATCHER", x::EK_EXT_MATCHER),
        ("EK_EXT_RECOMMENDER", x::EK_EXT_RECOMMENDER),
        ("EK_EXT_UNLEARNER", x::EK_EXT_UNLEARNER),
    ] {
        c += &format!("printf(\"{name} %d\\n\", strcmp({name}, \"{value}\") == 0);\n");
    }
    c += "return 0; }\n";

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("ext_layout.c");
    let exe = dir.join("ext_layout");
    std::fs::write(&src, c).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let st = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Werror", "-I"])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("a C compiler (CC or cc) is needed for the layout check");
    assert!(st.success(), "compiling the layout program failed");
    let out = Command::new(&exe).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let got: BTreeMap<String, i64> = text
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect();
    for (t, f, rust) in &layout {
        let key = format!("{t} {f}");
        assert_eq!(got[&key] as usize, *rust, "{key}: C says {}, Rust says {rust}", got[&key]);
    }
    for (name, rust) in &consts {
        assert_eq!(got[*name], *rust, "{name}");
    }
    for name in ["EK_EXT_CLASSIFIER", "EK_EXT_MATCHER", "EK_EXT_RECOMMENDER", "EK_EXT_UNLEARNER"] {
        assert_eq!(got[name], 1, "{name}");
    }
}

/// Every function pointer of the headers' tables is a field of ext_ffi.rs, in order.
#[test]
fn every_table_function_is_declared_in_order() {
    let layout = rust_layout();
    for (table, header) in [
        ("ek_classifier_ext", "classifier.h"),
        ("ek_matcher_ext", "matcher.h"),
        ("ek_recommender_ext", "recommender.h"),
        ("ek_unlearner_ext", "recommender.h"),
    ] {
        let text = std::fs::read_to_string(include_dir().join("embedkit/ext").join(header)).unwrap();
        let mut clean = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("/*") {
            clean += &rest[..i];
            rest = &rest[i + 2..];
            rest = &rest[rest.find("*/").unwrap() + 2..];
        }
        clean += rest;
        let start = clean.find(&format!("typedef struct {table} {{")).unwrap();
        let body = &clean[start..start + clean[start..].find(&format!("}} {table};")).unwrap()];
        let mut c_fields = vec!["struct_size".to_string()];
        let mut b = body;
        while let Some(i) = b.find("(*") {
            b = &b[i + 2..];
            c_fields.push(b[..b.find(')').unwrap()].to_string());
        }
        let rust_fields: Vec<String> =
            layout.iter().filter(|(t, f, _)| t == table && f != "size").map(|(_, f, _)| f.clone()).collect();
        assert_eq!(c_fields, rust_fields, "{table}");
    }
}

#[test]
fn table_sizes_match_the_struct_size_the_plugins_report() {
    let ctx = Context::with_options(ContextOptions { num_threads: 1, plugin_path: Some(String::new()), ..Default::default() }).unwrap();
    let cls = ctx.create_instance("embedkit.text_classify", None).unwrap();
    assert_eq!(cls.classifier().unwrap().table_struct_size() as usize, size_of::<x::ek_classifier_ext>());
    let m = ctx.create_instance("embedkit.table_match", Some(r#"{"wordvec": "none"}"#)).unwrap();
    assert_eq!(m.matcher().unwrap().table_struct_size() as usize, size_of::<x::ek_matcher_ext>());
    let r = ctx.create_instance("embedkit.rec_unlearn", None).unwrap();
    let rec = r.recommender().unwrap();
    assert_eq!(rec.table_struct_size() as usize, size_of::<x::ek_recommender_ext>());
    assert_eq!(rec.unlearner_struct_size(), Some(size_of::<x::ek_unlearner_ext>() as u32));
    // And through the raw table pointer.
    let t = r.extension_table(x::EK_EXT_UNLEARNER).unwrap() as *const x::ek_unlearner_ext;
    assert_eq!(unsafe { (*t).struct_size } as usize, size_of::<x::ek_unlearner_ext>());
}
