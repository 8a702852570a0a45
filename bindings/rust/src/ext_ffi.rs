//! Raw declarations of the plugin extension tables, one to one with
//! `abi/include/embedkit/ext/classifier.h`, `matcher.h` and `recommender.h`: the
//! data structures and the function-pointer tables that `ek_instance_get_extension`
//! returns. `tests/ext_layout.rs` compares every size, field offset and constant
//! with the C compiler's, and the table sizes with the `struct_size` the bundled
//! plugins report.
//!
//! Table functions are called directly (not through libembedkit); a failure is read
//! from the table's own `last_error(self)`, not from `ek_last_error()`.
#![allow(non_camel_case_types)]

use crate::ffi::{ek_status, ek_store, ek_string_view};
use std::os::raw::{c_char, c_void};

pub const EK_EXT_CLASSIFIER: &str = "ek.classifier/1";
pub const EK_EXT_MATCHER: &str = "ek.matcher/1";
pub const EK_EXT_RECOMMENDER: &str = "ek.recommender/1";
pub const EK_EXT_UNLEARNER: &str = "ek.unlearner/1";

pub type LastErrorFn = Option<unsafe extern "C" fn(instance: *mut c_void) -> *const c_char>;

// ---- ext/classifier.h ---------------------------------------------------------------

pub type ek_embed_batch_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, texts: *const ek_string_view, count: usize, dim: u32, out: *mut f32) -> ek_status,
>;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_classifier_label {
    pub struct_size: u32,
    pub name: *const c_char,
    pub keywords: *const *const c_char,
    pub keyword_count: usize,
    pub description: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_classifier_label_info {
    pub struct_size: u32,
    pub name: *const c_char,
    pub known_keywords: u32,
    pub total_keywords: u32,
    pub documents: u32,
    pub active: u32,
}

#[repr(C)]
pub struct ek_classifier_ext {
    pub struct_size: u32,
    pub last_error: LastErrorFn,
    pub set_embedder: Option<unsafe extern "C" fn(instance: *mut c_void, f: ek_embed_batch_fn, user_data: *mut c_void, dim: u32) -> ek_status>,
    pub set_labels: Option<unsafe extern "C" fn(instance: *mut c_void, labels: *const ek_classifier_label, count: usize) -> ek_status>,
    pub set_labels_json: Option<unsafe extern "C" fn(instance: *mut c_void, json: *const c_char, length: usize) -> ek_status>,
    pub fit: Option<unsafe extern "C" fn(instance: *mut c_void, documents: *const ek_string_view, count: usize) -> ek_status>,
    pub label_count: Option<unsafe extern "C" fn(instance: *mut c_void, out_count: *mut usize) -> ek_status>,
    pub dim: Option<unsafe extern "C" fn(instance: *mut c_void, out_dim: *mut usize) -> ek_status>,
    pub label_info: Option<unsafe extern "C" fn(instance: *mut c_void, index: usize, out_info: *mut ek_classifier_label_info) -> ek_status>,
    pub predict: Option<
        unsafe extern "C" fn(instance: *mut c_void, documents: *const ek_string_view, count: usize, out_label: *mut i32, out_confidence: *mut f32, out_scores: *mut f32) -> ek_status,
    >,
    pub predict_fitted: Option<
        unsafe extern "C" fn(instance: *mut c_void, first: usize, count: usize, out_label: *mut i32, out_confidence: *mut f32, out_scores: *mut f32) -> ek_status,
    >,
    pub embed: Option<unsafe extern "C" fn(instance: *mut c_void, documents: *const ek_string_view, count: usize, out: *mut f32) -> ek_status>,
    pub fitted_vectors: Option<unsafe extern "C" fn(instance: *mut c_void, first: usize, count: usize, out: *mut f32) -> ek_status>,
    pub label_vectors: Option<unsafe extern "C" fn(instance: *mut c_void, out_labels: *mut f32, out_seeds: *mut f32) -> ek_status>,
    pub save: Option<unsafe extern "C" fn(instance: *mut c_void, store: *mut ek_store, model: *const c_char) -> ek_status>,
    pub load: Option<unsafe extern "C" fn(instance: *mut c_void, store: *mut ek_store, model: *const c_char) -> ek_status>,
    pub info_json: Option<unsafe extern "C" fn(instance: *mut c_void, out: *mut c_char, capacity: usize, out_needed: *mut usize) -> ek_status>,
}

// ---- ext/matcher.h ------------------------------------------------------------------

pub const EK_MATCHER_SOURCE: u32 = 0;
pub const EK_MATCHER_TARGET: u32 = 1;
pub const EK_MATCHER_FORMAT_AUTO: u32 = 0;
pub const EK_MATCHER_FORMAT_SCHEMA_JSON: u32 = 1;
pub const EK_MATCHER_FORMAT_SQL_DDL: u32 = 2;
pub const EK_MATCHER_FORMAT_GLOSSARY_JSON: u32 = 3;
pub const EK_MATCHER_FORMAT_GLOSSARY_CSV: u32 = 4;
pub const EK_MATCHER_MODE_ONE_TO_MANY: u32 = 0;
pub const EK_MATCHER_MODE_ONE_TO_ONE: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_matcher_column {
    pub struct_size: u32,
    pub id: *const c_char,
    pub table: *const c_char,
    pub name: *const c_char,
    pub type_: *const c_char,
    pub description: *const c_char,
    pub table_description: *const c_char,
    pub synonyms: *const c_char,
}

pub type ek_matcher_context_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, column: *const ek_matcher_column, out_text: *mut c_char, capacity: usize, out_length: *mut usize) -> ek_status,
>;
pub type ek_matcher_judge_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, column: *const ek_matcher_column, candidate: *const ek_matcher_column, out_probability: *mut f32) -> ek_status,
>;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_matcher_llm_hooks {
    pub struct_size: u32,
    pub user_data: *mut c_void,
    pub generate_context: ek_matcher_context_fn,
    pub judge: ek_matcher_judge_fn,
    pub judge_top_n: u32,
    pub judge_weight: f32,
    pub context_capacity: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_matcher_options {
    pub struct_size: u32,
    pub top_k: u32,
    pub mode: u32,
    pub threshold: f32,
    pub max_matches: u32,
    pub use_llm: u32,
}

/// Opaque result of `match` (owned by the caller, freed with `result_free`).
#[repr(C)]
pub struct ek_matcher_result {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_matcher_candidate {
    pub struct_size: u32,
    pub target_index: usize,
    pub score: f32,
    pub model_score: f32,
    pub judge_probability: f32,
    pub is_match: u32,
    pub signal_count: usize,
    pub signals: *const f32,
    pub contributions: *const f32,
}

#[repr(C)]
pub struct ek_matcher_ext {
    pub struct_size: u32,
    pub last_error: LastErrorFn,
    pub options_init: Option<unsafe extern "C" fn(options: *mut ek_matcher_options)>,
    pub load: Option<unsafe extern "C" fn(instance: *mut c_void, side: u32, text: *const c_char, length: usize, format: u32) -> ek_status>,
    pub clear: Option<unsafe extern "C" fn(instance: *mut c_void, side: u32) -> ek_status>,
    pub count: Option<unsafe extern "C" fn(instance: *mut c_void, side: u32, out_count: *mut usize) -> ek_status>,
    pub column: Option<unsafe extern "C" fn(instance: *mut c_void, side: u32, index: usize, out_column: *mut ek_matcher_column) -> ek_status>,
    pub add_abbreviations: Option<unsafe extern "C" fn(instance: *mut c_void, json: *const c_char, length: usize) -> ek_status>,
    pub set_llm_hooks: Option<unsafe extern "C" fn(instance: *mut c_void, hooks: *const ek_matcher_llm_hooks) -> ek_status>,
    pub match_: Option<unsafe extern "C" fn(instance: *mut c_void, options: *const ek_matcher_options, out_result: *mut *mut ek_matcher_result) -> ek_status>,
    pub signal_count: Option<unsafe extern "C" fn(instance: *mut c_void) -> usize>,
    pub signal_name: Option<unsafe extern "C" fn(instance: *mut c_void, index: usize) -> *const c_char>,
    pub result_column_count: Option<unsafe extern "C" fn(result: *const ek_matcher_result) -> usize>,
    pub result_column: Option<
        unsafe extern "C" fn(result: *const ek_matcher_result, index: usize, out_column: *mut ek_matcher_column, out_candidate_count: *mut usize) -> ek_status,
    >,
    pub result_candidate: Option<
        unsafe extern "C" fn(result: *const ek_matcher_result, index: usize, rank: usize, out_candidate: *mut ek_matcher_candidate) -> ek_status,
    >,
    pub result_target: Option<unsafe extern "C" fn(result: *const ek_matcher_result, target_index: usize, out_column: *mut ek_matcher_column) -> ek_status>,
    pub result_json: Option<unsafe extern "C" fn(result: *const ek_matcher_result, out_json: *mut *mut c_char) -> ek_status>,
    pub free_text: Option<unsafe extern "C" fn(text: *mut c_char)>,
    pub result_free: Option<unsafe extern "C" fn(result: *mut ek_matcher_result)>,
}

// ---- ext/recommender.h --------------------------------------------------------------

pub const EK_FORGET_INTERACTIONS: i32 = 0;
pub const EK_FORGET_USERS: i32 = 1;
pub const EK_FORGET_ITEMS: i32 = 2;
pub const EK_UNLEARN_MMRECUN: i32 = 0;
pub const EK_UNLEARN_GOLD: i32 = 1;
pub const EK_UNLEARN_FINETUNE: i32 = 2;
pub const EK_UNLEARN_NOOP: i32 = 3;
pub const EK_FORGET_KEEP_ROWS: u32 = 0x1;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_rec_interactions {
    pub struct_size: u32,
    pub count: usize,
    pub users: *const *const c_char,
    pub items: *const *const c_char,
    pub weights: *const f32,
    pub timestamps: *const i64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_rec_items {
    pub struct_size: u32,
    pub count: usize,
    pub ids: *const *const c_char,
    pub categorical: *const f32,
    pub categorical_dim: usize,
    pub texts: *const ek_string_view,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ek_rec_train_report {
    pub struct_size: u32,
    pub epochs: u32,
    pub samples: u64,
    pub seconds: f64,
    pub last_loss: f64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ek_rec_metrics {
    pub struct_size: u32,
    pub recall: f64,
    pub ndcg: f64,
    pub hit_rate: f64,
    pub mean_rank: f64,
    pub users: u64,
    pub pairs: u64,
    pub pairs_skipped: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ek_rec_stats {
    pub struct_size: u32,
    pub users: u64,
    pub items: u64,
    pub interactions: u64,
    pub dim: u32,
    pub layers: u32,
    pub trained: u32,
    pub pending_requests: u32,
}

#[repr(C)]
pub struct ek_recommender_ext {
    pub struct_size: u32,
    pub last_error: LastErrorFn,
    pub set_items: Option<unsafe extern "C" fn(instance: *mut c_void, items: *const ek_rec_items) -> ek_status>,
    pub add_interactions: Option<unsafe extern "C" fn(instance: *mut c_void, interactions: *const ek_rec_interactions) -> ek_status>,
    pub train: Option<unsafe extern "C" fn(instance: *mut c_void, options_json: *const c_char, report: *mut ek_rec_train_report) -> ek_status>,
    pub recommend: Option<
        unsafe extern "C" fn(instance: *mut c_void, user: *const c_char, k: usize, exclude_seen: u32, out_items: *mut *const c_char, out_scores: *mut f32, out_written: *mut usize) -> ek_status,
    >,
    pub score: Option<unsafe extern "C" fn(instance: *mut c_void, user: *const c_char, items: *const *const c_char, count: usize, out_scores: *mut f32) -> ek_status>,
    pub evaluate: Option<
        unsafe extern "C" fn(instance: *mut c_void, pairs: *const ek_rec_interactions, k: usize, exclude_seen: u32, out_metrics: *mut ek_rec_metrics) -> ek_status,
    >,
    pub save: Option<unsafe extern "C" fn(instance: *mut c_void, store: *mut ek_store, name: *const c_char) -> ek_status>,
    pub load: Option<unsafe extern "C" fn(instance: *mut c_void, store: *mut ek_store, name: *const c_char) -> ek_status>,
    pub stats: Option<unsafe extern "C" fn(instance: *mut c_void, out_stats: *mut ek_rec_stats) -> ek_status>,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_forget_request {
    pub struct_size: u32,
    pub kind: i32,
    pub method: i32,
    pub flags: u32,
    pub count: usize,
    pub users: *const *const c_char,
    pub items: *const *const c_char,
    pub options_json: *const c_char,
    pub request_id: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ek_forget_report {
    pub struct_size: u32,
    pub interactions_removed: u64,
    pub users_removed: u64,
    pub items_removed: u64,
    pub epochs: u32,
    pub seconds: f64,
    pub request_id: [c_char; 64],
    pub digest: [c_char; 65],
}

#[repr(C)]
pub struct ek_unlearner_ext {
    pub struct_size: u32,
    pub last_error: LastErrorFn,
    pub forget: Option<unsafe extern "C" fn(instance: *mut c_void, request: *const ek_forget_request, report: *mut ek_forget_report) -> ek_status>,
    pub purge: Option<unsafe extern "C" fn(instance: *mut c_void, out_removed: *mut u64) -> ek_status>,
}
