//! Raw declarations of the host API, `abi/include/embedkit/embedkit.h` and
//! `types.h`, one to one. `tests/layout.rs` compiles a C program against the
//! header and compares every struct's size and field offsets, every constant, and
//! the list of `EK_API` functions with these declarations.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_void};

pub type ek_status = i32;
pub type ek_log_level = i32;
pub type ek_metric = i32;
/// Kind of a key/value state value (`EK_VALUE_BLOB`, `EK_VALUE_JSON`).
pub type ek_value_kind = i32;
/// How a collection is indexed (`EK_INDEX_EXACT`, `EK_INDEX_HNSW`; ABI 1.2).
pub type ek_index_kind = i32;
/// What a collection's scans and graph traverse (`EK_ELEMENT_F32` .. `EK_ELEMENT_BIT`; ABI 1.2).
pub type ek_element_type = i32;

pub const EK_ABI_VERSION_MAJOR: u32 = 1;
pub const EK_ABI_VERSION_MINOR: u32 = 2;
pub const EK_ABI_VERSION: u32 = (EK_ABI_VERSION_MAJOR << 16) | EK_ABI_VERSION_MINOR;

pub const EK_OK: ek_status = 0;
pub const EK_ERR_INVALID_ARGUMENT: ek_status = 1;
pub const EK_ERR_NOT_FOUND: ek_status = 2;
pub const EK_ERR_ALREADY_EXISTS: ek_status = 3;
pub const EK_ERR_DIMENSION_MISMATCH: ek_status = 4;
pub const EK_ERR_PARSE: ek_status = 5;
pub const EK_ERR_IO: ek_status = 6;
pub const EK_ERR_STORAGE: ek_status = 7;
pub const EK_ERR_CORRUPT: ek_status = 8;
pub const EK_ERR_READ_ONLY: ek_status = 9;
pub const EK_ERR_ABI_MISMATCH: ek_status = 10;
pub const EK_ERR_NOT_A_PLUGIN: ek_status = 11;
pub const EK_ERR_UNSUPPORTED: ek_status = 12;
pub const EK_ERR_BUFFER_TOO_SMALL: ek_status = 13;
pub const EK_ERR_OUT_OF_MEMORY: ek_status = 14;
pub const EK_ERR_CANCELLED: ek_status = 15;
pub const EK_ERR_LIMIT: ek_status = 16;
pub const EK_ERR_INTERNAL: ek_status = 17;
pub const EK_ERR_PLUGIN: ek_status = 18;

pub const EK_LOG_ERROR: ek_log_level = 0;
pub const EK_LOG_WARN: ek_log_level = 1;
pub const EK_LOG_INFO: ek_log_level = 2;
pub const EK_LOG_DEBUG: ek_log_level = 3;

pub const EK_METRIC_COSINE: ek_metric = 0;
pub const EK_METRIC_DOT: ek_metric = 1;
pub const EK_METRIC_L2: ek_metric = 2;
pub const EK_INDEX_EXACT: ek_index_kind = 0;
pub const EK_INDEX_HNSW: ek_index_kind = 1;
pub const EK_ELEMENT_F32: ek_element_type = 0;
pub const EK_ELEMENT_F16: ek_element_type = 1;
pub const EK_ELEMENT_INT8: ek_element_type = 2;
pub const EK_ELEMENT_BIT: ek_element_type = 3;
pub const EK_VALUE_BLOB: ek_value_kind = 0;
pub const EK_VALUE_JSON: ek_value_kind = 1;
pub const EK_KV_MAX_VALUE: usize = 256 << 20;

/// `EK_EXT_ENCODER` of plugin.h.
pub const EK_EXT_ENCODER: &str = "ek.encoder/1";

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_string_view {
    pub data: *const c_char,
    pub length: usize,
}

pub type ek_log_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: ek_log_level, message: *const c_char)>;
pub type ek_progress_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, task: *const c_char, done: u64, total: u64) -> i32,
>;

/// Opaque handles.
#[repr(C)]
pub struct ek_context {
    _private: [u8; 0],
}
#[repr(C)]
pub struct ek_instance {
    _private: [u8; 0],
}
#[repr(C)]
pub struct ek_store {
    _private: [u8; 0],
}
#[repr(C)]
pub struct ek_collection {
    _private: [u8; 0],
}
#[repr(C)]
pub struct ek_results {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_context_options {
    pub struct_size: u32,
    pub backend: *const c_char,
    pub num_threads: u32,
    pub log_level: ek_log_level,
    pub log_callback: ek_log_fn,
    pub log_user_data: *mut c_void,
    pub plugin_path: *const c_char,
    pub no_bundled_plugins: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_context_info {
    pub struct_size: u32,
    pub backend: *const c_char,
    pub simd_target: *const c_char,
    pub num_threads: u32,
    pub abi_version: u32,
    pub plugin_count: usize,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_plugin_info {
    pub struct_size: u32,
    pub id: *const c_char,
    pub name: *const c_char,
    pub version: *const c_char,
    pub vendor: *const c_char,
    pub description: *const c_char,
    pub extensions: *const *const c_char,
    pub path: *const c_char,
    pub abi_version: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_store_options {
    pub struct_size: u32,
    pub read_only: u32,
    pub must_exist: u32,
    pub busy_timeout_ms: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_collection_info {
    pub struct_size: u32,
    pub name: *const c_char,
    pub dim: u32,
    pub metric: ek_metric,
    pub count: u64,
}

/// Index options (ABI 1.2). The header's `ek_collection_options_init` is a static
/// inline, not an exported symbol: `Default` plays its part (zeros + struct_size).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_collection_options {
    pub struct_size: u32,
    pub index: ek_index_kind,
    pub m: u32,
    pub ef_construction: u32,
    pub ef_search: u32,
    pub element: ek_element_type,
    pub rescore: u32,
    pub defer_build: u32,
}

impl Default for ek_collection_options {
    fn default() -> Self {
        ek_collection_options {
            struct_size: std::mem::size_of::<Self>() as u32,
            index: EK_INDEX_EXACT,
            m: 0,
            ef_construction: 0,
            ef_search: 0,
            element: EK_ELEMENT_F32,
            rescore: 0,
            defer_build: 0,
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_index_info {
    pub struct_size: u32,
    pub index: ek_index_kind,
    pub element: ek_element_type,
    pub m: u32,
    pub ef_construction: u32,
    pub ef_search: u32,
    pub rescore: u32,
    pub index_state: u32,
    pub bytes_per_vector: u64,
}

impl Default for ek_index_info {
    fn default() -> Self {
        ek_index_info {
            struct_size: std::mem::size_of::<Self>() as u32,
            index: 0,
            element: 0,
            m: 0,
            ef_construction: 0,
            ef_search: 0,
            rescore: 0,
            index_state: 0,
            bytes_per_vector: 0,
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_upsert_batch {
    pub struct_size: u32,
    pub count: usize,
    pub ids: *const *const c_char,
    pub vectors: *const f32,
    pub dim: usize,
    pub metadata_json: *const *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_search_options {
    pub struct_size: u32,
    pub k: u32,
    pub filter_json: *const c_char,
    pub include_metadata: u32,
}

/// Search knobs over an index (ABI 1.2); `Default` is the header's inline
/// `ek_index_search_options_init` (zeros = the collection's settings).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_index_search_options {
    pub struct_size: u32,
    pub ef: u32,
    pub exact: u32,
    pub rescore: u32,
}

impl Default for ek_index_search_options {
    fn default() -> Self {
        ek_index_search_options { struct_size: std::mem::size_of::<Self>() as u32, ef: 0, exact: 0, rescore: 0 }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ek_hit {
    pub struct_size: u32,
    pub id: *const c_char,
    pub score: f32,
    pub metadata_json: *const c_char,
}

extern "C" {
    pub fn ek_version() -> *const c_char;
    pub fn ek_abi_version() -> u32;
    pub fn ek_last_error() -> *const c_char;
    pub fn ek_last_status() -> ek_status;
    pub fn ek_status_name(status: ek_status) -> *const c_char;
    pub fn ek_string_free(s: *mut c_char);

    pub fn ek_context_options_init(options: *mut ek_context_options);
    pub fn ek_context_create(options: *const ek_context_options, out_context: *mut *mut ek_context) -> ek_status;
    pub fn ek_context_free(context: *mut ek_context);
    pub fn ek_context_info_get(context: *mut ek_context, out_info: *mut ek_context_info) -> ek_status;
    pub fn ek_context_set_progress(context: *mut ek_context, callback: ek_progress_fn, user_data: *mut c_void) -> ek_status;
    pub fn ek_context_cancel(context: *mut ek_context) -> ek_status;
    pub fn ek_context_reset_cancel(context: *mut ek_context) -> ek_status;

    pub fn ek_plugin_load(context: *mut ek_context, path: *const c_char, out_id: *mut *const c_char) -> ek_status;
    pub fn ek_plugin_load_dir(context: *mut ek_context, folders: *const c_char, out_loaded: *mut usize) -> ek_status;
    pub fn ek_plugin_count(context: *mut ek_context, out_count: *mut usize) -> ek_status;
    pub fn ek_plugin_info_at(context: *mut ek_context, index: usize, out_info: *mut ek_plugin_info) -> ek_status;
    pub fn ek_plugin_info_find(context: *mut ek_context, id: *const c_char, out_info: *mut ek_plugin_info) -> ek_status;

    pub fn ek_instance_create(context: *mut ek_context, plugin_id: *const c_char, config_json: *const c_char, out_instance: *mut *mut ek_instance) -> ek_status;
    pub fn ek_instance_free(instance: *mut ek_instance);
    pub fn ek_instance_has_extension(instance: *mut ek_instance, extension_id: *const c_char) -> i32;
    pub fn ek_instance_get_extension(instance: *mut ek_instance, extension_id: *const c_char, out_table: *mut *const c_void) -> ek_status;
    pub fn ek_instance_plugin_data(instance: *mut ek_instance) -> *mut c_void;

    pub fn ek_encoder_dim(instance: *mut ek_instance, out_dim: *mut usize) -> ek_status;
    pub fn ek_encode(instance: *mut ek_instance, items: *const ek_string_view, count: usize, out: *mut f32, out_capacity: usize, out_needed: *mut usize) -> ek_status;

    pub fn ek_store_options_init(options: *mut ek_store_options);
    pub fn ek_store_open(context: *mut ek_context, path: *const c_char, options: *const ek_store_options, out_store: *mut *mut ek_store) -> ek_status;
    pub fn ek_store_free(store: *mut ek_store);
    pub fn ek_store_begin(store: *mut ek_store) -> ek_status;
    pub fn ek_store_commit(store: *mut ek_store) -> ek_status;
    pub fn ek_store_rollback(store: *mut ek_store) -> ek_status;

    pub fn ek_collection_create(store: *mut ek_store, name: *const c_char, dim: u32, metric: ek_metric, out_collection: *mut *mut ek_collection) -> ek_status;
    // ABI 1.2: indexes
    pub fn ek_collection_create_with(store: *mut ek_store, name: *const c_char, dim: u32, metric: ek_metric, options: *const ek_collection_options, out_collection: *mut *mut ek_collection) -> ek_status;
    pub fn ek_collection_index_build(collection: *mut ek_collection, options: *const ek_collection_options) -> ek_status;
    pub fn ek_collection_index_compact(collection: *mut ek_collection, out_bytes_freed: *mut u64) -> ek_status;
    pub fn ek_collection_index_info_get(collection: *mut ek_collection, out_info: *mut ek_index_info) -> ek_status;
    pub fn ek_collection_open(store: *mut ek_store, name: *const c_char, out_collection: *mut *mut ek_collection) -> ek_status;
    pub fn ek_collection_drop(store: *mut ek_store, name: *const c_char) -> ek_status;
    pub fn ek_store_list_collections(store: *mut ek_store, out_infos: *mut *mut ek_collection_info, out_count: *mut usize) -> ek_status;
    pub fn ek_collection_infos_free(infos: *mut ek_collection_info, count: usize);
    pub fn ek_collection_free(collection: *mut ek_collection);
    pub fn ek_collection_info_get(collection: *mut ek_collection, out_info: *mut ek_collection_info) -> ek_status;
    pub fn ek_collection_upsert(collection: *mut ek_collection, batch: *const ek_upsert_batch) -> ek_status;
    pub fn ek_collection_get(collection: *mut ek_collection, id: *const c_char, out_vector: *mut f32, capacity: usize, out_dim: *mut usize, out_metadata_json: *mut *mut c_char) -> ek_status;
    pub fn ek_collection_delete(collection: *mut ek_collection, ids: *const *const c_char, count: usize, out_deleted: *mut usize) -> ek_status;
    pub fn ek_collection_count(collection: *mut ek_collection, out_count: *mut u64) -> ek_status;

    pub fn ek_search_options_init(options: *mut ek_search_options);
    pub fn ek_collection_search(collection: *mut ek_collection, queries: *const f32, n_queries: usize, dim: usize, options: *const ek_search_options, out_results: *mut *mut ek_results) -> ek_status;
    pub fn ek_collection_search_with(collection: *mut ek_collection, queries: *const f32, n_queries: usize, dim: usize, options: *const ek_search_options, index_options: *const ek_index_search_options, out_results: *mut *mut ek_results) -> ek_status;
    pub fn ek_collection_list(collection: *mut ek_collection, offset: usize, limit: usize, include_metadata: u32, out_results: *mut *mut ek_results) -> ek_status;

    pub fn ek_results_query_count(results: *const ek_results) -> usize;
    pub fn ek_results_hit_count(results: *const ek_results, query: usize) -> usize;
    pub fn ek_results_hit(results: *const ek_results, query: usize, rank: usize, out_hit: *mut ek_hit) -> ek_status;
    pub fn ek_results_free(results: *mut ek_results);

    // ABI 1.1: key/value state
    pub fn ek_store_kv_put(store: *mut ek_store, name_space: *const c_char, key: *const c_char, value: *const c_void, length: usize, kind: ek_value_kind) -> ek_status;
    pub fn ek_store_kv_get(store: *mut ek_store, name_space: *const c_char, key: *const c_char, out: *mut c_void, capacity: usize, out_length: *mut usize, out_kind: *mut ek_value_kind) -> ek_status;
    pub fn ek_store_kv_delete(store: *mut ek_store, name_space: *const c_char, key: *const c_char, out_deleted: *mut usize) -> ek_status;
    pub fn ek_store_kv_delete_prefix(store: *mut ek_store, name_space: *const c_char, key_prefix: *const c_char, out_deleted: *mut usize) -> ek_status;
    pub fn ek_store_kv_list(store: *mut ek_store, name_space: *const c_char, key_prefix: *const c_char, after_key: *const c_char, limit: usize, include_values: u32, out_results: *mut *mut ek_results) -> ek_status;
}
