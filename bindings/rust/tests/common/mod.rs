//! Helpers shared by the integration tests that drive the store (api.rs, index.rs).
use embedkit::{Context, ContextOptions, Result, Status};

/// The result is an error with `status` whose message contains `needle`.
#[track_caller]
pub fn fails<T>(r: Result<T>, status: Status, needle: &str) {
    match r {
        Ok(_) => panic!("expected {status:?} containing {needle:?}, got Ok"),
        Err(e) => {
            assert_eq!(e.status, status, "message: {}", e.message);
            assert!(e.message.contains(needle), "{:?} does not contain {needle:?}", e.message);
        }
    }
}

/// Two threads, no plugin folders scanned.
pub fn ctx() -> Context {
    Context::with_options(ContextOptions { num_threads: 2, plugin_path: Some(String::new()), ..Default::default() })
        .unwrap()
}
