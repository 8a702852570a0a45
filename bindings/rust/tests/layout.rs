//! The raw declarations in src/ffi.rs agree with abi/include/embedkit/embedkit.h:
//! a C program compiled against the header prints every struct's size and field
//! offsets and every constant, and each EK_API function's signature, translated to
//! Rust types, must equal its declaration in ffi.rs (and no function is missing or
//! extra). Needs a C compiler (`CC` or `cc`).
use embedkit::ffi;
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

macro_rules! layout {
    ($out:ident, $t:ident { $($f:ident),* }) => {
        $out.push((format!("{} size", stringify!($t)), size_of::<ffi::$t>()));
        $( $out.push((format!("{} {}", stringify!($t), stringify!($f)), offset_of!(ffi::$t, $f))); )*
    };
}

fn rust_layout() -> Vec<(String, usize)> {
    let mut v = Vec::new();
    layout!(v, ek_string_view { data, length });
    layout!(v, ek_context_options { struct_size, backend, num_threads, log_level, log_callback, log_user_data, plugin_path, no_bundled_plugins });
    layout!(v, ek_context_info { struct_size, backend, simd_target, num_threads, abi_version, plugin_count });
    layout!(v, ek_plugin_info { struct_size, id, name, version, vendor, description, extensions, path, abi_version });
    layout!(v, ek_store_options { struct_size, read_only, must_exist, busy_timeout_ms });
    layout!(v, ek_collection_info { struct_size, name, dim, metric, count });
    layout!(v, ek_collection_options { struct_size, index, m, ef_construction, ef_search, element, rescore, defer_build });
    layout!(v, ek_index_info { struct_size, index, element, m, ef_construction, ef_search, rescore, index_state, bytes_per_vector });
    layout!(v, ek_index_search_options { struct_size, ef, exact, rescore });
    layout!(v, ek_upsert_batch { struct_size, count, ids, vectors, dim, metadata_json });
    layout!(v, ek_search_options { struct_size, k, filter_json, include_metadata });
    layout!(v, ek_hit { struct_size, id, score, metadata_json });
    v
}

fn constants() -> Vec<(&'static str, i64)> {
    vec![
        ("EK_ABI_VERSION", ffi::EK_ABI_VERSION as i64),
        ("EK_ERR_INVALID_ARGUMENT", ffi::EK_ERR_INVALID_ARGUMENT as i64),
        ("EK_ERR_NOT_FOUND", ffi::EK_ERR_NOT_FOUND as i64),
        ("EK_ERR_ALREADY_EXISTS", ffi::EK_ERR_ALREADY_EXISTS as i64),
        ("EK_ERR_DIMENSION_MISMATCH", ffi::EK_ERR_DIMENSION_MISMATCH as i64),
        ("EK_ERR_PARSE", ffi::EK_ERR_PARSE as i64),
        ("EK_ERR_IO", ffi::EK_ERR_IO as i64),
        ("EK_ERR_STORAGE", ffi::EK_ERR_STORAGE as i64),
        ("EK_ERR_CORRUPT", ffi::EK_ERR_CORRUPT as i64),
        ("EK_ERR_READ_ONLY", ffi::EK_ERR_READ_ONLY as i64),
        ("EK_ERR_ABI_MISMATCH", ffi::EK_ERR_ABI_MISMATCH as i64),
        ("EK_ERR_NOT_A_PLUGIN", ffi::EK_ERR_NOT_A_PLUGIN as i64),
        ("EK_ERR_UNSUPPORTED", ffi::EK_ERR_UNSUPPORTED as i64),
        ("EK_ERR_BUFFER_TOO_SMALL", ffi::EK_ERR_BUFFER_TOO_SMALL as i64),
        ("EK_ERR_OUT_OF_MEMORY", ffi::EK_ERR_OUT_OF_MEMORY as i64),
        ("EK_ERR_CANCELLED", ffi::EK_ERR_CANCELLED as i64),
        ("EK_ERR_LIMIT", ffi::EK_ERR_LIMIT as i64),
        ("EK_ERR_INTERNAL", ffi::EK_ERR_INTERNAL as i64),
        ("EK_ERR_PLUGIN", ffi::EK_ERR_PLUGIN as i64),
        ("EK_LOG_ERROR", ffi::EK_LOG_ERROR as i64),
        ("EK_LOG_WARN", ffi::EK_LOG_WARN as i64),
        ("EK_LOG_INFO", ffi::EK_LOG_INFO as i64),
        ("EK_LOG_DEBUG", ffi::EK_LOG_DEBUG as i64),
        ("EK_METRIC_COSINE", ffi::EK_METRIC_COSINE as i64),
        ("EK_METRIC_DOT", ffi::EK_METRIC_DOT as i64),
        ("EK_METRIC_L2", ffi::EK_METRIC_L2 as i64),
        ("EK_INDEX_EXACT", ffi::EK_INDEX_EXACT as i64),
        ("EK_INDEX_HNSW", ffi::EK_INDEX_HNSW as i64),
        ("EK_ELEMENT_F32", ffi::EK_ELEMENT_F32 as i64),
        ("EK_ELEMENT_F16", ffi::EK_ELEMENT_F16 as i64),
        ("EK_ELEMENT_INT8", ffi::EK_ELEMENT_INT8 as i64),
        ("EK_ELEMENT_BIT", ffi::EK_ELEMENT_BIT as i64),
    ]
}

#[test]
fn struct_layouts_and_constants_match_the_c_compiler() {
    let layout = rust_layout();
    let consts = constants();
    let mut c = String::from("#include <embedkit/embedkit.h>\n#include <embedkit/plugin.h>\n#include <stddef.h>\n#include <stdio.h>\n#include <string.h>\nint main(void) {\n");
    for (key, _) in &layout {
        let mut it = key.split(' ');
        let (t, f) = (it.next().unwrap(), it.next().unwrap());
        if f == "size" {
            c += &format!("printf(\"{key} %zu\\n\", sizeof({t}));\n");
        } else {
            c += &format!("printf(\"{key} %zu\\n\", offsetof({t}, {f}));\n");
        }
    }
    for (name, _) in &consts {
        c += &format!("printf(\"{name} %lld\\n\", (long long)({name}));\n");
    }
    c += &format!("printf(\"EK_EXT_ENCODER %d\\n\", strcmp(EK_EXT_ENCODER, \"{}\") == 0);\n", ffi::EK_EXT_ENCODER);
    c += "return 0; }\n";

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
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
    for (key, rust) in &layout {
        assert_eq!(got[key] as usize, *rust, "{key}: C says {}, Rust says {rust}", got[key]);
    }
    for (name, rust) in &consts {
        assert_eq!(got[*name], *rust, "{name}");
    }
    assert_eq!(got["EK_EXT_ENCODER"], 1);
}

/// Translates a C type ("const char* const*") to its Rust FFI spelling.
fn c_to_rust(ty: &str) -> String {
    let ty = ty.trim();
    let parts: Vec<&str> = ty.split('*').collect();
    let base_raw = parts[0].trim();
    let base_const = base_raw.split_whitespace().any(|w| w == "const");
    let base: Vec<&str> = base_raw.split_whitespace().filter(|w| *w != "const" && *w != "struct").collect();
    let base = match base.join(" ").as_str() {
        "char" => "c_char".to_string(),
        "void" => "c_void".to_string(),
        "float" => "f32".to_string(),
        "double" => "f64".to_string(),
        "size_t" => "usize".to_string(),
        "uint32_t" => "u32".to_string(),
        "uint64_t" => "u64".to_string(),
        "int32_t" => "i32".to_string(),
        other => other.to_string(),
    };
    let levels = parts.len() - 1;
    if levels == 0 {
        return if base == "c_void" { "()".into() } else { base };
    }
    // pointer j (1 = innermost) points to something const when the qualifier on
    // that thing says so: the base for j = 1, else the text after the (j-1)th '*'.
    let mut s = String::new();
    for j in (1..=levels).rev() {
        let pointee_const = if j == 1 { base_const } else { parts[j - 1].contains("const") };
        s += if pointee_const { "*const " } else { "*mut " };
    }
    s + &base
}

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// name -> (return type, [param types]) of every EK_API declaration of embedkit.h.
fn header_functions() -> BTreeMap<String, (String, Vec<String>)> {
    let text = std::fs::read_to_string(include_dir().join("embedkit/embedkit.h")).unwrap();
    // drop comments
    let mut clean = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("/*") {
        clean += &rest[..i];
        rest = &rest[i + 2..];
        rest = &rest[rest.find("*/").unwrap() + 2..];
    }
    clean += rest;
    let mut out = BTreeMap::new();
    for decl in clean.split("EK_API").skip(1) {
        let decl = normalize(&decl[..decl.find(';').unwrap()]);
        let open = decl.find('(').unwrap();
        let head = decl[..open].trim();
        let (ret, name) = head.rsplit_once(|c: char| c == ' ' || c == '*').unwrap();
        let ret = if head.ends_with(&format!("*{name}")) || ret.ends_with('*') {
            format!("{}*", &head[..head.len() - name.len()].trim_end().trim_end_matches('*')) }
        else { ret.to_string() };
        let params = &decl[open + 1..decl.rfind(')').unwrap()];
        let mut types = Vec::new();
        if params.trim() != "void" {
            for p in params.split(',') {
                let p = p.trim();
                // strip the parameter name (the trailing identifier)
                let cut = p.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap();
                types.push(c_to_rust(&p[..=cut]));
            }
        }
        out.insert(name.to_string(), (c_to_rust(&ret), types));
    }
    out
}

/// name -> (return type, [param types]) of every fn in ffi.rs's extern block.
fn rust_functions() -> BTreeMap<String, (String, Vec<String>)> {
    let text = include_str!("../src/ffi.rs");
    let block = &text[text.find("extern \"C\" {").unwrap()..];
    let mut out = BTreeMap::new();
    for decl in block.split("pub fn ").skip(1) {
        let decl = normalize(&decl[..decl.find(';').unwrap()]);
        let open = decl.find('(').unwrap();
        let name = decl[..open].to_string();
        let close = decl.rfind(')').unwrap();
        let params = &decl[open + 1..close];
        let ret = decl[close + 1..].trim().trim_start_matches("->").trim().to_string();
        let ret = if ret.is_empty() { "()".to_string() } else { ret };
        let types = params
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| normalize(p.split_once(':').unwrap().1))
            .collect();
        out.insert(name, (ret, types));
    }
    out
}

#[test]
fn every_host_function_is_declared_with_the_header_signature() {
    let c = header_functions();
    let r = rust_functions();
    assert!(c.len() > 40, "parsed only {} declarations from the header", c.len());
    let cn: Vec<_> = c.keys().collect();
    let rn: Vec<_> = r.keys().collect();
    assert_eq!(cn, rn, "functions in embedkit.h vs src/ffi.rs");
    for (name, sig) in &c {
        assert_eq!(&r[name], sig, "signature of {name} (header as Rust vs ffi.rs)");
    }
}

#[test]
fn the_signature_translation_itself() {
    assert_eq!(c_to_rust("const char* const*"), "*const *const c_char");
    assert_eq!(c_to_rust("char**"), "*mut *mut c_char");
    assert_eq!(c_to_rust("const void**"), "*mut *const c_void");
    assert_eq!(c_to_rust("const ek_results*"), "*const ek_results");
    assert_eq!(c_to_rust("size_t"), "usize");
    assert_eq!(c_to_rust("void"), "()");
}
