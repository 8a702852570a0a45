//! Collection indexes (ABI 1.2, issue 19): [`CollectionOptions`] for
//! [`Store::create_collection_with`] and [`Collection::build_index`], [`IndexInfo`]
//! from [`Collection::index_info`], and [`Collection::compact_index`]. How a search
//! uses an index is docs/storage.md "Indexes"; the per-search knobs are
//! [`SearchOptions`](crate::SearchOptions)' `ef`, `exact` and `rescore`.
//!
//! The header's `ek_collection_options_init` is a static inline, not an exported
//! symbol, so the C struct is built here (zeros + `struct_size`, the `Default` of
//! [`ffi::ek_collection_options`]).
use crate::{check, cstring, ffi, Collection, Error, Metric, Result, Status, Store};
use std::ptr;

/// How a collection is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IndexKind {
    /// Scan every row (the default).
    #[default]
    Exact,
    /// HNSW graph, kept in the store's tables; answers once the collection holds
    /// 4,096 rows or more (an exact scan below that).
    Hnsw,
}

impl IndexKind {
    pub fn code(self) -> i32 {
        match self {
            IndexKind::Exact => ffi::EK_INDEX_EXACT,
            IndexKind::Hnsw => ffi::EK_INDEX_HNSW,
        }
    }
    fn from_code(c: i32) -> Result<IndexKind> {
        match c {
            ffi::EK_INDEX_EXACT => Ok(IndexKind::Exact),
            ffi::EK_INDEX_HNSW => Ok(IndexKind::Hnsw),
            other => Err(Error::local(Status::Unsupported, format!("index kind {other} is unknown to this binding"))),
        }
    }
}

/// What a collection's scans and graph traverse. The f32 originals always stay in
/// the store; the others add a code per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Element {
    /// 4 bytes per component (the default).
    #[default]
    F32,
    /// IEEE half: 2 bytes.
    F16,
    /// 1 byte, one symmetric scale per collection.
    Int8,
    /// Sign bits, Hamming distance; always re-ranked with the f32 originals.
    Bit,
}

impl Element {
    pub fn code(self) -> i32 {
        match self {
            Element::F32 => ffi::EK_ELEMENT_F32,
            Element::F16 => ffi::EK_ELEMENT_F16,
            Element::Int8 => ffi::EK_ELEMENT_INT8,
            Element::Bit => ffi::EK_ELEMENT_BIT,
        }
    }
    fn from_code(c: i32) -> Result<Element> {
        match c {
            ffi::EK_ELEMENT_F32 => Ok(Element::F32),
            ffi::EK_ELEMENT_F16 => Ok(Element::F16),
            ffi::EK_ELEMENT_INT8 => Ok(Element::Int8),
            ffi::EK_ELEMENT_BIT => Ok(Element::Bit),
            other => Err(Error::local(Status::Unsupported, format!("element type {other} is unknown to this binding"))),
        }
    }
}

/// How a collection is indexed (`ek_collection_options`). Zero means the library's
/// default, so `CollectionOptions::default()` is an exact f32 collection and
/// `CollectionOptions { index: IndexKind::Hnsw, ..Default::default() }` an hnsw one
/// with m 16, ef_construction 200, ef_search 64. Ranges are checked by the library
/// (`Status::InvalidArgument` naming the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CollectionOptions {
    pub index: IndexKind,
    /// hnsw links per node, 2..255; 0 = 16.
    pub m: u32,
    /// hnsw build beam, 1..65536; 0 = 200.
    pub ef_construction: u32,
    /// hnsw default search beam, 1..65536; 0 = 64.
    pub ef_search: u32,
    pub element: Element,
    /// Default oversampling re-ranked with the f32 originals, 1..1024; 0 or 1 = none.
    pub rescore: u32,
    /// hnsw: store rows only (searches scan exactly) until [`Collection::build_index`],
    /// the fastest import.
    pub defer_build: bool,
}

impl CollectionOptions {
    fn to_c(self) -> ffi::ek_collection_options {
        ffi::ek_collection_options {
            index: self.index.code(),
            m: self.m,
            ef_construction: self.ef_construction,
            ef_search: self.ef_search,
            element: self.element.code(),
            rescore: self.rescore,
            defer_build: self.defer_build as u32,
            ..Default::default()
        }
    }
}

/// A collection's index and memory use (`ek_index_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexInfo {
    pub index: IndexKind,
    pub element: Element,
    /// 0 for an exact index, as are `ef_construction` and `ef_search`.
    pub m: u32,
    pub ef_construction: u32,
    pub ef_search: u32,
    /// Default oversampling re-ranked with the f32 originals (1 = none).
    pub rescore: u32,
    /// Rows wait for [`Collection::build_index`]; searches scan exactly meanwhile.
    pub building: bool,
    /// Resident bytes per row once loaded: the vector or code, the graph's links,
    /// fixed per-row overheads (not the id's or metadata's text).
    pub bytes_per_vector: u64,
}

impl Store {
    /// [`Store::create_collection`] with index options. An existing collection is
    /// opened only with the same dim, metric and options (`Status::AlreadyExists`
    /// naming the first difference: change them with [`Collection::build_index`]).
    pub fn create_collection_with(&self, name: &str, dim: u32, metric: Metric, options: &CollectionOptions) -> Result<Collection> {
        let n = cstring("name", name)?;
        let o = options.to_c();
        let mut raw = ptr::null_mut();
        check(unsafe { ffi::ek_collection_create_with(self.as_ptr(), n.as_ptr(), dim, metric.code(), &o, &mut raw) })?;
        Ok(self.wrap(raw))
    }
}

impl Collection {
    /// The index kind, element, parameters and bytes per row.
    pub fn index_info(&self) -> Result<IndexInfo> {
        let mut c = ffi::ek_index_info::default();
        check(unsafe { ffi::ek_collection_index_info_get(self.as_ptr(), &mut c) })?;
        Ok(IndexInfo {
            index: IndexKind::from_code(c.index)?,
            element: Element::from_code(c.element)?,
            m: c.m,
            ef_construction: c.ef_construction,
            ef_search: c.ef_search,
            rescore: c.rescore,
            building: c.index_state == 1,
            bytes_per_vector: c.bytes_per_vector,
        })
    }

    /// (Re)builds the index in one transaction: `None` with the current options,
    /// `Some` with these (all of them: a field left at its default takes the
    /// default, and exact f32 drops the index). Progress goes to the context's
    /// progress callback (task `"index build"`); [`Context::cancel`](crate::Context::cancel)
    /// or a callback returning `true` stops it with `Status::Cancelled` and the
    /// collection keeps its previous index. Refused inside [`Store::begin`].
    pub fn build_index(&self, options: Option<&CollectionOptions>) -> Result<()> {
        let o = options.map(|o| o.to_c());
        check(unsafe { ffi::ek_collection_index_build(self.as_ptr(), o.as_ref().map_or(ptr::null(), |o| o as *const _)) })
    }

    /// Rebuilds the index with its current options (giving up deleted rows' slots),
    /// then VACUUMs the store file; returns the bytes the file shrank by. Progress,
    /// cancel and refusals as [`Collection::build_index`].
    pub fn compact_index(&self) -> Result<u64> {
        let mut freed = 0u64;
        check(unsafe { ffi::ek_collection_index_compact(self.as_ptr(), &mut freed) })?;
        Ok(freed)
    }
}
