//! Links libembedkit. EMBEDKIT_LIB_DIR names the folder holding libembedkit.so
//! (a build tree's `sdk/capi`, or an install prefix's `lib`); without it the
//! linker's default search path is used (e.g. /usr/local/lib after `cmake --install`).
//! The folder is also written as an rpath into this crate's tests, examples and
//! binaries, so they run without LD_LIBRARY_PATH.
use std::env;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=EMBEDKIT_LIB_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    if let Ok(dir) = env::var("EMBEDKIT_LIB_DIR") {
        if !dir.is_empty() {
            let p = Path::new(&dir);
            if !p.is_dir() {
                panic!("EMBEDKIT_LIB_DIR={dir} is not a folder");
            }
            let abs = p.canonicalize().expect("canonicalize EMBEDKIT_LIB_DIR");
            println!("cargo:rustc-link-search=native={}", abs.display());
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", abs.display());
            println!("cargo:root={}", abs.display());
        }
    }
    println!("cargo:rustc-link-lib=dylib=embedkit");
}
