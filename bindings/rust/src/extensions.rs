//! Typed wrappers of the plugin extensions (`abi/include/embedkit/ext/*.h`):
//!
//! | wrapper | extension | bundled plugin |
//! |---|---|---|
//! | [`Classifier`] | `"ek.classifier/1"` | `embedkit.text_classify` |
//! | [`Matcher`] | `"ek.matcher/1"` | `embedkit.table_match` |
//! | [`Recommender`] | `"ek.recommender/1"` + `"ek.unlearner/1"` | `embedkit.rec_unlearn` |
//! | [`VsaProbe`] | `"ek.vsa_probe/1"` | `embedkit.vsa_json` |
//!
//! A wrapper borrows its [`Instance`] (`Instance::classifier()`, `matcher()`,
//! `recommender()`, `vsa_probe()`), so it cannot outlive it; like the instance it is used from one
//! thread at a time. Its functions call the plugin's table directly; a failure is an
//! [`Error`] with the status and the extension's own message (`last_error(self)` of
//! the table). An instance without the extension gives `Status::Unsupported`.
//!
//! ```compile_fail
//! # use embedkit::*;
//! let ctx = Context::new().unwrap();
//! let inst = ctx.create_instance("embedkit.text_classify", None).unwrap();
//! let cls = inst.classifier().unwrap();
//! drop(inst); // error: `inst` is borrowed by `cls` (no use after free)
//! cls.fit(&["a"]).unwrap();
//! ```
use crate::ffi;
use crate::{cstr_lossy, cstring, Error, Instance, Result, Results, Status, Store};
use std::ffi::{CStr, CString};
use std::marker::PhantomData;
use std::os::raw::{c_char, c_void};
use std::ptr;

fn views<S: AsRef<[u8]>>(texts: &[S]) -> Vec<ffi::ek_string_view> {
    texts
        .iter()
        .map(|s| {
            let b = s.as_ref();
            ffi::ek_string_view { data: b.as_ptr() as *const c_char, length: b.len() }
        })
        .collect()
}

fn cstrings<S: AsRef<str>>(what: &str, items: &[S]) -> Result<Vec<CString>> {
    items.iter().map(|s| cstring(what, s.as_ref())).collect()
}

fn ptrs(v: &[CString]) -> Vec<*const c_char> {
    v.iter().map(|c| c.as_ptr()).collect()
}

fn too_small(what: &str, have: usize, need: usize) -> Result<()> {
    if have < need {
        Err(Error::local(Status::BufferTooSmall, format!("{what}: {have} elements, {need} needed")))
    } else {
        Ok(())
    }
}

fn mismatch(what: &str, a: usize, b: usize) -> Result<()> {
    if a != b {
        Err(Error::local(Status::InvalidArgument, format!("{what}: {a} vs {b} entries")))
    } else {
        Ok(())
    }
}

/// A function of the table, or `Status::AbiMismatch` when the plugin left it NULL.
macro_rules! f {
    ($table:expr, $name:ident) => {
        $table.$name.ok_or_else(|| {
            Error::local(Status::AbiMismatch, concat!("the extension table has no ", stringify!($name)))
        })?
    };
}

/// The table and instance pointer of one extension of an instance.
struct Ext<'a, T> {
    table: &'a T,
    this: *mut c_void,
    last_error: ffi::ek_ext_last_error_fn,
}

impl<'a, T: ffi::ExtensionTable> Ext<'a, T> {
    /// Looks up the extension of table `T` on `inst`.
    fn get(inst: &'a Instance, what: &str) -> Result<Ext<'a, T>> {
        let id = T::ID;
        if !inst.has_extension(id) {
            return Err(Error::local(Status::Unsupported, format!("{what}: the instance does not provide the extension \"{id}\"")));
        }
        let t = inst.extension_table(id)? as *const T;
        // SAFETY: the table begins with its uint32_t struct_size (plugin.h convention)
        // and lives as long as the plugin, which outlives every instance of it.
        let size = unsafe { *(t as *const u32) } as usize;
        if size < std::mem::size_of::<T>() {
            return Err(Error::local(
                Status::AbiMismatch,
                format!("{what}: the table of \"{id}\" has struct_size {size}, this binding needs {}", std::mem::size_of::<T>()),
            ));
        }
        let table = unsafe { &*t };
        let last_error = table.last_error().ok_or_else(|| Error::local(Status::AbiMismatch, format!("{what}: no last_error")))?;
        Ok(Ext { table, this: inst.plugin_data(), last_error })
    }

    /// Ok, or the error of `code` with the extension's message.
    fn check(&self, code: ffi::ek_status) -> Result<()> {
        if code == ffi::EK_OK {
            return Ok(());
        }
        let message = unsafe { cstr_lossy((self.last_error)(self.this)) };
        Err(Error { status: Status::from_code(code), message })
    }

    fn struct_size(&self) -> u32 {
        unsafe { *(self.table as *const T as *const u32) }
    }
}

macro_rules! size_of_u32 {
    ($t:ty) => {
        std::mem::size_of::<$t>() as u32
    };
}

impl Instance {
    /// Keeps (replaces, or with `None` drops) the callback state registered under `key`.
    fn keep_callback(&self, key: &'static str, state: Option<Box<dyn std::any::Any + Send>>) {
        let mut v = self.callbacks.borrow_mut();
        v.retain(|(k, _)| *k != key);
        if let Some(s) = state {
            v.push((key, s));
        }
    }

    /// The `"ek.classifier/1"` wrapper (`embedkit.text_classify`); `Status::Unsupported`
    /// if the instance lacks the extension.
    pub fn classifier(&self) -> Result<Classifier<'_>> {
        Ok(Classifier { ext: Ext::<ffi::ek_classifier_ext>::get(self, "Classifier")?, inst: self })
    }

    /// The `"ek.matcher/1"` wrapper (`embedkit.table_match`).
    pub fn matcher(&self) -> Result<Matcher<'_>> {
        Ok(Matcher { ext: Ext::<ffi::ek_matcher_ext>::get(self, "Matcher")?, inst: self })
    }

    /// The `"ek.recommender/1"` (+ `"ek.unlearner/1"` for forget/purge) wrapper
    /// (`embedkit.rec_unlearn`).
    pub fn recommender(&self) -> Result<Recommender<'_>> {
        let ext = Ext::<ffi::ek_recommender_ext>::get(self, "Recommender")?;
        let unlearner = if self.has_extension(ffi::EK_EXT_UNLEARNER) {
            Some(Ext::<ffi::ek_unlearner_ext>::get(self, "Recommender")?)
        } else {
            None
        };
        Ok(Recommender { ext, unlearner, inst: self })
    }
}

// ---- ek.classifier/1 ----------------------------------------------------------------

/// A label given as data: a name plus keywords and/or a description.
#[derive(Debug, Clone, Copy, Default)]
pub struct Label<'s> {
    pub name: &'s str,
    pub keywords: &'s [&'s str],
    pub description: Option<&'s str>,
}

/// What is known about a label after fit/load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelInfo {
    pub name: String,
    pub known_keywords: u32,
    pub total_keywords: u32,
    pub documents: u32,
    /// `false`: skipped (no known keyword), never predicted.
    pub active: bool,
}

/// The class of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The label's name; `None` for a document with no known word.
    pub label: Option<String>,
    /// The label's index, -1 for none.
    pub index: i32,
    /// max of softmax(cosine * scale); 0 for none.
    pub confidence: f32,
    /// The cosine with each label (label order) when asked for, else empty.
    pub scores: Vec<f32>,
}

/// Unsupervised text classification from label keywords (Lbl2Vec family,
/// docs/text_classify.md).
///
/// ```no_run
/// # use embedkit::*;
/// let ctx = Context::new()?;
/// let inst = ctx.create_instance("embedkit.text_classify", Some(r#"{"embedder": "hashing"}"#))?;
/// let cls = inst.classifier()?;
/// cls.set_labels_json(r#"{"space": ["orbit", "rocket"], "sport": ["team", "match"]}"#)?;
/// cls.fit(&["the rocket reached orbit", "the team won the match"])?;
/// let p = cls.predict(&["a rocket to orbit"], false)?;
/// assert_eq!(p[0].label.as_deref(), Some("space"));
/// # Ok::<(), embedkit::Error>(())
/// ```
pub struct Classifier<'a> {
    ext: Ext<'a, ffi::ek_classifier_ext>,
    inst: &'a Instance,
}

type EmbedFn = dyn FnMut(&[&[u8]], &mut [f32]) -> std::result::Result<(), Status> + Send;

struct EmbedState {
    f: Box<EmbedFn>,
}

unsafe fn texts_of<'t>(texts: *const ffi::ek_string_view, count: usize) -> Vec<&'t [u8]> {
    (0..count)
        .map(|i| {
            let v = &*texts.add(i);
            if v.length == 0 || v.data.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(v.data as *const u8, v.length)
            }
        })
        .collect()
}

fn callback_status<T>(r: std::thread::Result<std::result::Result<T, Status>>) -> std::result::Result<T, ffi::ek_status> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(s)) => Err(s.code()),
        Err(_) => Err(ffi::EK_ERR_INTERNAL), // a panic must not unwind into C
    }
}

unsafe extern "C" fn embed_trampoline(user: *mut c_void, texts: *const ffi::ek_string_view, count: usize, dim: u32, out: *mut f32) -> ffi::ek_status {
    let state = &mut *(user as *mut EmbedState);
    let t = texts_of(texts, count);
    let out = std::slice::from_raw_parts_mut(out, count * dim as usize);
    match callback_status(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (state.f)(&t, out)))) {
        Ok(()) => ffi::EK_OK,
        Err(code) => code,
    }
}

impl<'a> Classifier<'a> {
    /// `struct_size` of the plugin's table.
    pub fn table_struct_size(&self) -> u32 {
        self.ext.struct_size()
    }

    /// Plugs in the "host" embedder (config `"embedder": "host"`): any sentence
    /// encoder (the Lbl2TransformerVec path). `embed(texts, out)` writes
    /// `texts.len() * dim` floats (row-major) into `out`; it runs on the thread that
    /// called fit/predict/embed. Returning `Err(status)` (or panicking) fails that
    /// call with `Status::Plugin`. `None` removes it. The instance keeps the closure.
    pub fn set_embedder<F>(&self, embed: Option<F>, dim: u32) -> Result<()>
    where
        F: FnMut(&[&[u8]], &mut [f32]) -> std::result::Result<(), Status> + Send + 'static,
    {
        let e = &self.ext;
        let set = f!(e.table, set_embedder);
        match embed {
            None => {
                e.check(unsafe { set(e.this, None, ptr::null_mut(), dim) })?;
                self.inst.keep_callback("embedder", None);
            }
            Some(f) => {
                let mut state: Box<EmbedState> = Box::new(EmbedState { f: Box::new(f) });
                let user = &mut *state as *mut EmbedState as *mut c_void;
                e.check(unsafe { set(e.this, Some(embed_trampoline), user, dim) })?;
                self.inst.keep_callback("embedder", Some(state));
            }
        }
        Ok(())
    }

    /// Sets (replaces) the labels from JSON: `{"name": ["kw", ...]}`,
    /// `{"labels": {...}}`, or values `{"keywords": [...], "description": "..."}`.
    /// `Status::Parse` for malformed JSON.
    pub fn set_labels_json(&self, json: &str) -> Result<()> {
        let e = &self.ext;
        e.check(unsafe { f!(e.table, set_labels_json)(e.this, json.as_ptr() as *const c_char, json.len()) })
    }

    /// Sets (replaces) the labels from data.
    pub fn set_labels(&self, labels: &[Label<'_>]) -> Result<()> {
        let names = labels.iter().map(|l| cstring("label name", l.name)).collect::<Result<Vec<_>>>()?;
        let kws = labels.iter().map(|l| cstrings("keyword", l.keywords)).collect::<Result<Vec<_>>>()?;
        let kw_ptrs: Vec<Vec<*const c_char>> = kws.iter().map(|k| ptrs(k)).collect();
        let descs = labels
            .iter()
            .map(|l| l.description.map(|d| cstring("description", d)).transpose())
            .collect::<Result<Vec<_>>>()?;
        let raw: Vec<ffi::ek_classifier_label> = (0..labels.len())
            .map(|i| ffi::ek_classifier_label {
                struct_size: size_of_u32!(ffi::ek_classifier_label),
                name: names[i].as_ptr(),
                keywords: if kw_ptrs[i].is_empty() { ptr::null() } else { kw_ptrs[i].as_ptr() },
                keyword_count: kw_ptrs[i].len(),
                description: descs[i].as_ref().map_or(ptr::null(), |d| d.as_ptr()),
            })
            .collect();
        let e = &self.ext;
        e.check(unsafe { f!(e.table, set_labels)(e.this, raw.as_ptr(), raw.len()) })
    }

    /// Fits the embedder on unlabelled documents and derives the label vectors.
    /// `Status::InvalidArgument` for no documents or no labels.
    pub fn fit<S: AsRef<[u8]>>(&self, documents: &[S]) -> Result<()> {
        let v = views(documents);
        let e = &self.ext;
        e.check(unsafe { f!(e.table, fit)(e.this, v.as_ptr(), v.len()) })
    }

    pub fn label_count(&self) -> Result<usize> {
        let mut n = 0usize;
        let e = &self.ext;
        e.check(unsafe { f!(e.table, label_count)(e.this, &mut n) })?;
        Ok(n)
    }

    /// Vector length of the embedder.
    pub fn dim(&self) -> Result<usize> {
        let mut n = 0usize;
        let e = &self.ext;
        e.check(unsafe { f!(e.table, dim)(e.this, &mut n) })?;
        Ok(n)
    }

    pub fn label_info(&self, index: usize) -> Result<LabelInfo> {
        let mut i = ffi::ek_classifier_label_info {
            struct_size: size_of_u32!(ffi::ek_classifier_label_info),
            name: ptr::null(),
            known_keywords: 0,
            total_keywords: 0,
            documents: 0,
            active: 0,
        };
        let e = &self.ext;
        e.check(unsafe { f!(e.table, label_info)(e.this, index, &mut i) })?;
        Ok(LabelInfo {
            name: unsafe { cstr_lossy(i.name) },
            known_keywords: i.known_keywords,
            total_keywords: i.total_keywords,
            documents: i.documents,
            active: i.active != 0,
        })
    }

    /// Every label, in label order.
    pub fn labels(&self) -> Result<Vec<LabelInfo>> {
        (0..self.label_count()?).map(|i| self.label_info(i)).collect()
    }

    /// Classifies new documents into caller slices: `labels` and `confidence` of at
    /// least `documents.len()`, `scores` (optional) of `documents.len() * label_count`.
    pub fn predict_into<S: AsRef<[u8]>>(&self, documents: &[S], labels: &mut [i32], confidence: &mut [f32], scores: Option<&mut [f32]>) -> Result<()> {
        let n = documents.len();
        too_small("predict labels", labels.len(), n)?;
        too_small("predict confidence", confidence.len(), n)?;
        let sp = match scores {
            Some(s) => {
                too_small("predict scores", s.len(), n * self.label_count()?)?;
                s.as_mut_ptr()
            }
            None => ptr::null_mut(),
        };
        let v = views(documents);
        let e = &self.ext;
        e.check(unsafe { f!(e.table, predict)(e.this, v.as_ptr(), n, labels.as_mut_ptr(), confidence.as_mut_ptr(), sp) })
    }

    fn predictions(&self, n: usize, labels: &[i32], conf: &[f32], scores: &[f32], with_scores: bool) -> Result<Vec<Prediction>> {
        let names: Vec<String> = self.labels()?.into_iter().map(|l| l.name).collect();
        let l = names.len();
        Ok((0..n)
            .map(|i| Prediction {
                label: if labels[i] >= 0 { names.get(labels[i] as usize).cloned() } else { None },
                index: labels[i],
                confidence: conf[i],
                scores: if with_scores { scores[i * l..(i + 1) * l].to_vec() } else { Vec::new() },
            })
            .collect())
    }

    /// Classifies new documents; `with_scores` fills [`Prediction::scores`].
    pub fn predict<S: AsRef<[u8]>>(&self, documents: &[S], with_scores: bool) -> Result<Vec<Prediction>> {
        let n = documents.len();
        let (mut labels, mut conf) = (vec![0i32; n], vec![0f32; n]);
        let mut scores = vec![0f32; if with_scores { n * self.label_count()? } else { 0 }];
        self.predict_into(documents, &mut labels, &mut conf, if with_scores { Some(&mut scores) } else { None })?;
        self.predictions(n, &labels, &conf, &scores, with_scores)
    }

    /// Classifies fitted documents `[first, first + count)` from their fitted vectors
    /// (`Status::Unsupported` after load).
    pub fn predict_fitted(&self, first: usize, count: usize, with_scores: bool) -> Result<Vec<Prediction>> {
        let (mut labels, mut conf) = (vec![0i32; count], vec![0f32; count]);
        let mut scores = vec![0f32; if with_scores { count * self.label_count()? } else { 0 }];
        let e = &self.ext;
        e.check(unsafe {
            f!(e.table, predict_fitted)(
                e.this,
                first,
                count,
                labels.as_mut_ptr(),
                conf.as_mut_ptr(),
                if with_scores { scores.as_mut_ptr() } else { ptr::null_mut() },
            )
        })?;
        self.predictions(count, &labels, &conf, &scores, with_scores)
    }

    /// Vectors of new documents into `out` (`documents.len() * dim` floats, row-major).
    pub fn embed<S: AsRef<[u8]>>(&self, documents: &[S], out: &mut [f32]) -> Result<()> {
        too_small("embed out", out.len(), documents.len() * self.dim()?)?;
        let v = views(documents);
        let e = &self.ext;
        e.check(unsafe { f!(e.table, embed)(e.this, v.as_ptr(), v.len(), out.as_mut_ptr()) })
    }

    /// Vectors of new documents, `documents.len() * dim` floats, row-major.
    pub fn embed_vec<S: AsRef<[u8]>>(&self, documents: &[S]) -> Result<Vec<f32>> {
        let mut out = vec![0f32; documents.len() * self.dim()?];
        self.embed(documents, &mut out)?;
        Ok(out)
    }

    /// Vectors of fitted documents `[first, first + count)` into `out` (`count * dim`).
    pub fn fitted_vectors(&self, first: usize, count: usize, out: &mut [f32]) -> Result<()> {
        too_small("fitted_vectors out", out.len(), count * self.dim()?)?;
        let e = &self.ext;
        e.check(unsafe { f!(e.table, fitted_vectors)(e.this, first, count, out.as_mut_ptr()) })
    }

    /// `(label vectors, keyword seeds)`, `label_count * dim` floats each.
    pub fn label_vectors(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let n = self.label_count()? * self.dim()?;
        let (mut a, mut b) = (vec![0f32; n], vec![0f32; n]);
        let e = &self.ext;
        e.check(unsafe { f!(e.table, label_vectors)(e.this, a.as_mut_ptr(), b.as_mut_ptr()) })?;
        Ok((a, b))
    }

    /// The effective configuration and fit statistics, as JSON text.
    pub fn info_json(&self) -> Result<String> {
        let e = &self.ext;
        let info = f!(e.table, info_json);
        let mut needed = 0usize;
        let mut buf = vec![0u8; 4096];
        let mut code = unsafe { info(e.this, buf.as_mut_ptr() as *mut c_char, buf.len(), &mut needed) };
        if code == ffi::EK_ERR_BUFFER_TOO_SMALL {
            buf = vec![0u8; needed + 1];
            code = unsafe { info(e.this, buf.as_mut_ptr() as *mut c_char, buf.len(), &mut needed) };
        }
        e.check(code)?;
        let text = CStr::from_bytes_until_nul(&buf).map_err(|_| Error::local(Status::Internal, "info_json: no NUL"))?;
        Ok(text.to_string_lossy().into_owned())
    }

    /// Saves the fitted model into `store` under collections `"<model>.*"`.
    pub fn save(&self, store: &Store, model: &str) -> Result<()> {
        let m = cstring("model", model)?;
        let e = &self.ext;
        e.check(unsafe { f!(e.table, save)(e.this, store.as_ptr(), m.as_ptr()) })
    }

    /// Loads a model saved by [`Classifier::save`] (the stored config wins).
    pub fn load(&self, store: &Store, model: &str) -> Result<()> {
        let m = cstring("model", model)?;
        let e = &self.ext;
        e.check(unsafe { f!(e.table, load)(e.this, store.as_ptr(), m.as_ptr()) })
    }
}

// ---- ek.matcher/1 -----------------------------------------------------------------------

/// Side of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Source,
    Target,
}

impl Side {
    fn code(self) -> u32 {
        match self {
            Side::Source => ffi::EK_MATCHER_SOURCE,
            Side::Target => ffi::EK_MATCHER_TARGET,
        }
    }
}

/// Input format of [`Matcher::load`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchFormat {
    #[default]
    Auto,
    SchemaJson,
    SqlDdl,
    GlossaryJson,
    GlossaryCsv,
}

impl MatchFormat {
    fn code(self) -> u32 {
        match self {
            MatchFormat::Auto => ffi::EK_MATCHER_FORMAT_AUTO,
            MatchFormat::SchemaJson => ffi::EK_MATCHER_FORMAT_SCHEMA_JSON,
            MatchFormat::SqlDdl => ffi::EK_MATCHER_FORMAT_SQL_DDL,
            MatchFormat::GlossaryJson => ffi::EK_MATCHER_FORMAT_GLOSSARY_JSON,
            MatchFormat::GlossaryCsv => ffi::EK_MATCHER_FORMAT_GLOSSARY_CSV,
        }
    }
}

/// Mode of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchMode {
    /// Each column: candidates above the threshold (a target may serve many).
    #[default]
    OneToMany,
    /// Optimal assignment: each target matched at most once.
    OneToOne,
}

/// Options of [`Matcher::run`].
#[derive(Debug, Clone, Copy)]
pub struct MatchOptions {
    /// Candidates kept per column, 1..1024; 0 = 5.
    pub top_k: u32,
    pub mode: MatchMode,
    /// Decision threshold on the score; `None` = the model's calibrated one.
    pub threshold: Option<f32>,
    /// One-to-many: at most this many matches per column; 0 = the model's default.
    pub max_matches: u32,
    /// Call the LLM hooks if any were set.
    pub use_llm: bool,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions { top_k: 5, mode: MatchMode::OneToMany, threshold: None, max_matches: 0, use_llm: true }
    }
}

/// A column, glossary entry or target column ("" when absent).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MatchColumn {
    pub id: String,
    pub table: String,
    pub name: String,
    pub type_: String,
    pub description: String,
    pub table_description: String,
    pub synonyms: String,
}

impl MatchColumn {
    fn empty_c() -> ffi::ek_matcher_column {
        ffi::ek_matcher_column {
            struct_size: size_of_u32!(ffi::ek_matcher_column),
            id: ptr::null(),
            table: ptr::null(),
            name: ptr::null(),
            type_: ptr::null(),
            description: ptr::null(),
            table_description: ptr::null(),
            synonyms: ptr::null(),
        }
    }

    unsafe fn from_c(c: &ffi::ek_matcher_column) -> MatchColumn {
        MatchColumn {
            id: cstr_lossy(c.id),
            table: cstr_lossy(c.table),
            name: cstr_lossy(c.name),
            type_: cstr_lossy(c.type_),
            description: cstr_lossy(c.description),
            table_description: cstr_lossy(c.table_description),
            synonyms: cstr_lossy(c.synonyms),
        }
    }
}

/// One ranked candidate of a source column.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Index of the target ([`MatchResult::target`]).
    pub target_index: usize,
    /// Final score in [0, 1].
    pub score: f32,
    /// The offline model's score (before any judge).
    pub model_score: f32,
    /// The judge's probability, `None` when not judged.
    pub judge_probability: Option<f32>,
    /// Above the threshold (and assigned, one-to-one).
    pub is_match: bool,
    /// Raw signal values, in the order of [`Matcher::signal_names`].
    pub signals: Vec<f32>,
    /// Each signal's share of the model's logit.
    pub contributions: Vec<f32>,
}

/// Table metadata to glossary (or schema to schema) matching (docs/table_match.md).
///
/// ```no_run
/// # use embedkit::*;
/// let ctx = Context::new()?;
/// let inst = ctx.create_instance("embedkit.table_match", Some("{}"))?;
/// let m = inst.matcher()?;
/// m.load(Side::Source, "CREATE TABLE p (birth_dt DATE);", MatchFormat::SqlDdl)?;
/// m.load(Side::Target, r#"[{"id": "birth_date", "label": "Birth date"}]"#, MatchFormat::GlossaryJson)?;
/// let r = m.run(&MatchOptions { top_k: 3, ..Default::default() })?;
/// println!("{} -> {}", r.column(0)?.0.name, r.target(r.candidate(0, 0)?.target_index)?.id);
/// let json: String = r.json()?;                       // the whole result (docs/table_match.md)
/// # Ok::<(), embedkit::Error>(())
/// ```
pub struct Matcher<'a> {
    ext: Ext<'a, ffi::ek_matcher_ext>,
    inst: &'a Instance,
}

/// `generate_context(column)`: extra text describing a source column.
pub type ContextFn = dyn FnMut(&MatchColumn) -> std::result::Result<String, Status> + Send;
/// `judge(column, candidate)`: the probability in [0, 1] that both mean the same.
pub type JudgeFn = dyn FnMut(&MatchColumn, &MatchColumn) -> std::result::Result<f32, Status> + Send;

/// A large language model plugged into the matcher ([`Matcher::set_llm_hooks`]).
/// Each callback runs on the thread that called [`Matcher::run`]; `Err(status)` or
/// a panic fails the match with `Status::Plugin`.
#[derive(Default)]
pub struct LlmHooks {
    /// Extra text added to each source column's description before matching.
    pub generate_context: Option<Box<ContextFn>>,
    /// Re-scores the `judge_top_n` best candidates of each column:
    /// `(1 - judge_weight) * model score + judge_weight * probability`.
    pub judge: Option<Box<JudgeFn>>,
    /// 0 = 5.
    pub judge_top_n: u32,
    /// In (0, 1]; 0 = 0.5.
    pub judge_weight: f32,
    /// Bytes offered to generate_context (longer texts are truncated); 0 = 4096.
    pub context_capacity: u32,
}

struct HookState {
    context: Option<Box<ContextFn>>,
    judge: Option<Box<JudgeFn>>,
}

unsafe extern "C" fn context_trampoline(user: *mut c_void, column: *const ffi::ek_matcher_column, out: *mut c_char, capacity: usize, out_len: *mut usize) -> ffi::ek_status {
    let state = &mut *(user as *mut HookState);
    let col = MatchColumn::from_c(&*column);
    let f = match state.context.as_mut() {
        Some(f) => f,
        None => return ffi::EK_ERR_INTERNAL,
    };
    match callback_status(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&col)))) {
        Ok(text) => {
            let n = text.len().min(capacity);
            ptr::copy_nonoverlapping(text.as_ptr() as *const c_char, out, n);
            *out_len = n;
            ffi::EK_OK
        }
        Err(code) => code,
    }
}

unsafe extern "C" fn judge_trampoline(user: *mut c_void, column: *const ffi::ek_matcher_column, candidate: *const ffi::ek_matcher_column, out_p: *mut f32) -> ffi::ek_status {
    let state = &mut *(user as *mut HookState);
    let (a, b) = (MatchColumn::from_c(&*column), MatchColumn::from_c(&*candidate));
    let f = match state.judge.as_mut() {
        Some(f) => f,
        None => return ffi::EK_ERR_INTERNAL,
    };
    match callback_status(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&a, &b)))) {
        Ok(p) => {
            *out_p = p;
            ffi::EK_OK
        }
        Err(code) => code,
    }
}

impl<'a> Matcher<'a> {
    pub fn table_struct_size(&self) -> u32 {
        self.ext.struct_size()
    }

    /// Adds the columns (source) or entries / target columns (target) parsed from
    /// `text`; loads accumulate. `Status::Parse` ("line L, column C: ...") leaves
    /// the side as it was.
    pub fn load(&self, side: Side, text: &str, format: MatchFormat) -> Result<()> {
        let e = &self.ext;
        e.check(unsafe { f!(e.table, load)(e.this, side.code(), text.as_ptr() as *const c_char, text.len(), format.code()) })
    }

    /// Empties a side.
    pub fn clear(&self, side: Side) -> Result<()> {
        let e = &self.ext;
        e.check(unsafe { f!(e.table, clear)(e.this, side.code()) })
    }

    /// Columns/entries loaded on a side.
    pub fn count(&self, side: Side) -> Result<usize> {
        let mut n = 0usize;
        let e = &self.ext;
        e.check(unsafe { f!(e.table, count)(e.this, side.code(), &mut n) })?;
        Ok(n)
    }

    /// Entry `index` of a side.
    pub fn column(&self, side: Side, index: usize) -> Result<MatchColumn> {
        let mut c = MatchColumn::empty_c();
        let e = &self.ext;
        e.check(unsafe { f!(e.table, column)(e.this, side.code(), index, &mut c) })?;
        Ok(unsafe { MatchColumn::from_c(&c) })
    }

    /// Every entry of a side, in load order.
    pub fn columns(&self, side: Side) -> Result<Vec<MatchColumn>> {
        (0..self.count(side)?).map(|i| self.column(side, i)).collect()
    }

    /// User abbreviations, a JSON object `{"abbr": "expansion words"}`.
    pub fn add_abbreviations(&self, json: &str) -> Result<()> {
        let e = &self.ext;
        e.check(unsafe { f!(e.table, add_abbreviations)(e.this, json.as_ptr() as *const c_char, json.len()) })
    }

    /// Registers (or with `None` clears) the LLM hooks. The instance keeps them.
    pub fn set_llm_hooks(&self, hooks: Option<LlmHooks>) -> Result<()> {
        let e = &self.ext;
        let set = f!(e.table, set_llm_hooks);
        match hooks {
            None => {
                e.check(unsafe { set(e.this, ptr::null()) })?;
                self.inst.keep_callback("llm_hooks", None);
            }
            Some(h) => {
                let has_context = h.generate_context.is_some();
                let has_judge = h.judge.is_some();
                let mut state = Box::new(HookState { context: h.generate_context, judge: h.judge });
                let raw = ffi::ek_matcher_llm_hooks {
                    struct_size: size_of_u32!(ffi::ek_matcher_llm_hooks),
                    user_data: &mut *state as *mut HookState as *mut c_void,
                    generate_context: if has_context { Some(context_trampoline) } else { None },
                    judge: if has_judge { Some(judge_trampoline) } else { None },
                    judge_top_n: h.judge_top_n,
                    judge_weight: h.judge_weight,
                    context_capacity: h.context_capacity,
                };
                e.check(unsafe { set(e.this, &raw) })?;
                self.inst.keep_callback("llm_hooks", Some(state));
            }
        }
        Ok(())
    }

    /// The signals the model combines, in the order of [`Candidate::signals`].
    pub fn signal_names(&self) -> Result<Vec<String>> {
        let e = &self.ext;
        let count = f!(e.table, signal_count);
        let name = f!(e.table, signal_name);
        Ok((0..unsafe { count(e.this) }).map(|i| unsafe { cstr_lossy(name(e.this, i)) }).collect())
    }

    /// Matches every source column against every target. `Status::InvalidArgument`
    /// when a side is empty, `Status::Limit` beyond max_pairs.
    pub fn run(&self, options: &MatchOptions) -> Result<MatchResult<'a>> {
        let e = &self.ext;
        let mut o = ffi::ek_matcher_options::default();
        unsafe { f!(e.table, options_init)(&mut o) };
        o.top_k = options.top_k;
        o.mode = match options.mode {
            MatchMode::OneToMany => ffi::EK_MATCHER_MODE_ONE_TO_MANY,
            MatchMode::OneToOne => ffi::EK_MATCHER_MODE_ONE_TO_ONE,
        };
        if let Some(t) = options.threshold {
            o.threshold = t;
        }
        o.max_matches = options.max_matches;
        o.use_llm = options.use_llm as u32;
        let mut raw: *mut ffi::ek_matcher_result = ptr::null_mut();
        e.check(unsafe { f!(e.table, match_)(e.this, &o, &mut raw) })?;
        if raw.is_null() {
            return Err(Error::local(Status::Internal, "match gave no result"));
        }
        Ok(MatchResult { raw, table: e.table, _not_send: PhantomData })
    }
}

/// The ranked candidates of every source column; freed on drop. Read it through the
/// typed accessors, or take the whole thing as JSON with [`MatchResult::json`].
pub struct MatchResult<'a> {
    raw: *mut ffi::ek_matcher_result,
    table: &'a ffi::ek_matcher_ext,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> MatchResult<'a> {
    fn result_err(code: ffi::ek_status, what: &str) -> Result<()> {
        if code == ffi::EK_OK {
            Ok(())
        } else {
            Err(Error::local(Status::from_code(code), format!("{what}: {}", crate::status_name(code))))
        }
    }

    /// Number of source columns.
    pub fn column_count(&self) -> Result<usize> {
        Ok(unsafe { f!(self.table, result_column_count)(self.raw) })
    }

    /// Source column `index` and how many candidates it has.
    pub fn column(&self, index: usize) -> Result<(MatchColumn, usize)> {
        let mut c = MatchColumn::empty_c();
        let mut n = 0usize;
        Self::result_err(unsafe { f!(self.table, result_column)(self.raw, index, &mut c, &mut n) }, "result_column")?;
        Ok((unsafe { MatchColumn::from_c(&c) }, n))
    }

    /// Candidate `rank` (0 = best) of source column `index`.
    pub fn candidate(&self, index: usize, rank: usize) -> Result<Candidate> {
        let mut c = ffi::ek_matcher_candidate {
            struct_size: size_of_u32!(ffi::ek_matcher_candidate),
            target_index: 0,
            score: 0.0,
            model_score: 0.0,
            judge_probability: -1.0,
            is_match: 0,
            signal_count: 0,
            signals: ptr::null(),
            contributions: ptr::null(),
        };
        Self::result_err(unsafe { f!(self.table, result_candidate)(self.raw, index, rank, &mut c) }, "result_candidate")?;
        let slice = |p: *const f32| if p.is_null() { Vec::new() } else { unsafe { std::slice::from_raw_parts(p, c.signal_count) }.to_vec() };
        Ok(Candidate {
            target_index: c.target_index,
            score: c.score,
            model_score: c.model_score,
            judge_probability: if c.judge_probability < 0.0 { None } else { Some(c.judge_probability) },
            is_match: c.is_match != 0,
            signals: slice(c.signals),
            contributions: slice(c.contributions),
        })
    }

    /// Every candidate of source column `index`, best first.
    pub fn candidates(&self, index: usize) -> Result<Vec<Candidate>> {
        let (_, n) = self.column(index)?;
        (0..n).map(|r| self.candidate(index, r)).collect()
    }

    /// Target `target_index` as it was when the match ran.
    pub fn target(&self, target_index: usize) -> Result<MatchColumn> {
        let mut c = MatchColumn::empty_c();
        Self::result_err(unsafe { f!(self.table, result_target)(self.raw, target_index, &mut c) }, "result_target")?;
        Ok(unsafe { MatchColumn::from_c(&c) })
    }

    /// `(target id, score)` of the best candidate of source column `index`, if any.
    pub fn best(&self, index: usize) -> Result<Option<(String, f32)>> {
        if self.column(index)?.1 == 0 {
            return Ok(None);
        }
        let c = self.candidate(index, 0)?;
        Ok(Some((self.target(c.target_index)?.id, c.score)))
    }

    /// The whole result as JSON text (docs/table_match.md).
    pub fn json(&self) -> Result<String> {
        let mut p: *mut c_char = ptr::null_mut();
        Self::result_err(unsafe { f!(self.table, result_json)(self.raw, &mut p) }, "result_json")?;
        let s = unsafe { cstr_lossy(p) };
        unsafe { f!(self.table, free_text)(p) };
        Ok(s)
    }
}

impl Drop for MatchResult<'_> {
    fn drop(&mut self) {
        if let Some(free) = self.table.result_free {
            unsafe { free(self.raw) }
        }
    }
}

// ---- ek.recommender/1 + ek.unlearner/1 --------------------------------------------------

/// What [`Recommender::train`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainReport {
    pub epochs: u32,
    pub samples: u64,
    pub seconds: f64,
    pub last_loss: f64,
}

/// Ranking quality on held-out pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecMetrics {
    pub recall: f64,
    pub ndcg: f64,
    pub hit_rate: f64,
    pub mean_rank: f64,
    pub users: u64,
    pub pairs: u64,
    pub pairs_skipped: u64,
}

/// Size and state of a recommender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecStats {
    pub users: u64,
    pub items: u64,
    pub interactions: u64,
    pub dim: u32,
    pub layers: u32,
    pub trained: bool,
    pub pending_requests: u32,
}

/// What a forget request names.
#[derive(Debug, Clone, Copy)]
pub enum Forget<'s> {
    /// `(users[i], items[i])` pairs.
    Interactions { users: &'s [&'s str], items: &'s [&'s str] },
    /// Every interaction of these users, and the users.
    Users(&'s [&'s str]),
    /// Every interaction, the features and the items.
    Items(&'s [&'s str]),
}

/// How parameters are updated when forgetting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnlearnMethod {
    /// Reverse BPR on the forget set + forward on the retain set.
    #[default]
    MmRecUn,
    /// Retrain from scratch on the retain set.
    Gold,
    /// Forward BPR on the retain set only.
    FineTune,
    /// Parameters unchanged (the data is still removed).
    Noop,
}

/// Options of [`Recommender::forget`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ForgetOptions<'s> {
    pub method: UnlearnMethod,
    /// Keep the embeddings of forgotten users/items until [`Recommender::purge`].
    pub keep_rows: bool,
    /// JSON overrides of the unlearning config for this request.
    pub options_json: Option<&'s str>,
    /// Recorded in the ledger; `None` = `"req-<n>"`.
    pub request_id: Option<&'s str>,
    /// Pass over ids (and pairs) the model does not hold instead of failing with
    /// `NotFound`; if none is held nothing changes and the report is zeros with an
    /// empty `request_id`.
    pub skip_unknown: bool,
}

/// What a forget request removed.
#[derive(Debug, Clone, PartialEq)]
pub struct ForgetReport {
    pub interactions_removed: u64,
    pub users_removed: u64,
    pub items_removed: u64,
    pub epochs: u32,
    pub seconds: f64,
    pub request_id: String,
    /// SHA-256 (hex) of the canonical forget set, as in the ledger.
    pub digest: String,
}

/// BPR recommender with unlearning (docs/rec_unlearn.md).
///
/// ```no_run
/// # use embedkit::*;
/// let ctx = Context::new()?;
/// let inst = ctx.create_instance("embedkit.rec_unlearn", Some(r#"{"dim": 16}"#))?;
/// let rec = inst.recommender()?;
/// rec.add_interactions(&["ann", "ann", "bob"], &["m1", "m2", "m1"], None, None)?;
/// rec.train(None)?;
/// let top: Vec<(String, f32)> = rec.recommend("bob", 1, true)?;
/// rec.forget(Forget::Users(&["ann"]), &ForgetOptions::default())?;
/// # Ok::<(), embedkit::Error>(())
/// ```
pub struct Recommender<'a> {
    ext: Ext<'a, ffi::ek_recommender_ext>,
    unlearner: Option<Ext<'a, ffi::ek_unlearner_ext>>,
    inst: &'a Instance,
}

struct Pairs {
    _users: Vec<CString>,
    _items: Vec<CString>,
    users: Vec<*const c_char>,
    items: Vec<*const c_char>,
}

impl Pairs {
    fn new(users: &[&str], items: &[&str], what: &str) -> Result<Pairs> {
        mismatch(&format!("{what}: users vs items"), users.len(), items.len())?;
        let u = cstrings("user", users)?;
        let i = cstrings("item", items)?;
        Ok(Pairs { users: ptrs(&u), items: ptrs(&i), _users: u, _items: i })
    }

    fn raw(&self, weights: Option<&[f32]>, timestamps: Option<&[i64]>) -> ffi::ek_rec_interactions {
        ffi::ek_rec_interactions {
            struct_size: size_of_u32!(ffi::ek_rec_interactions),
            count: self.users.len(),
            users: self.users.as_ptr(),
            items: self.items.as_ptr(),
            weights: weights.map_or(ptr::null(), |w| w.as_ptr()),
            timestamps: timestamps.map_or(ptr::null(), |t| t.as_ptr()),
        }
    }
}

fn fixed_str(a: &[c_char]) -> String {
    let bytes: Vec<u8> = a.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

impl<'a> Recommender<'a> {
    pub fn table_struct_size(&self) -> u32 {
        self.ext.struct_size()
    }

    /// `struct_size` of the unlearner table, if the instance has one.
    pub fn unlearner_struct_size(&self) -> Option<u32> {
        self.unlearner.as_ref().map(|u| u.struct_size())
    }

    /// Adds interactions `(users[i], items[i])`; duplicates merge, the last weight
    /// wins. `weights` / `timestamps`, when given, have one entry per interaction.
    pub fn add_interactions(&self, users: &[&str], items: &[&str], weights: Option<&[f32]>, timestamps: Option<&[i64]>) -> Result<()> {
        let p = Pairs::new(users, items, "add_interactions")?;
        if let Some(w) = weights {
            mismatch("add_interactions: weights", w.len(), users.len())?;
        }
        if let Some(t) = timestamps {
            mismatch("add_interactions: timestamps", t.len(), users.len())?;
        }
        let raw = p.raw(weights, timestamps);
        let e = &self.ext;
        e.check(unsafe { f!(e.table, add_interactions)(e.this, &raw) })
    }

    /// Sets (replaces) item side features: `categorical` as `(values, dim)` with
    /// `ids.len() * dim` values, and/or one text per item.
    pub fn set_items(&self, ids: &[&str], categorical: Option<(&[f32], usize)>, texts: Option<&[&str]>) -> Result<()> {
        let c_ids = cstrings("item id", ids)?;
        let id_ptrs = ptrs(&c_ids);
        if let Some((v, d)) = categorical {
            mismatch("set_items: categorical values", v.len(), ids.len() * d)?;
        }
        if let Some(t) = texts {
            mismatch("set_items: texts", t.len(), ids.len())?;
        }
        let tv = texts.map(views);
        let raw = ffi::ek_rec_items {
            struct_size: size_of_u32!(ffi::ek_rec_items),
            count: ids.len(),
            ids: id_ptrs.as_ptr(),
            categorical: categorical.map_or(ptr::null(), |(v, _)| v.as_ptr()),
            categorical_dim: categorical.map_or(0, |(_, d)| d),
            texts: tv.as_ref().map_or(ptr::null(), |v| v.as_ptr()),
        };
        let e = &self.ext;
        e.check(unsafe { f!(e.table, set_items)(e.this, &raw) })
    }

    /// Trains from scratch; `options_json` overrides the config for this call
    /// (`{"epochs": 20, "seed": 1}`).
    pub fn train(&self, options_json: Option<&str>) -> Result<TrainReport> {
        let o = options_json.map(|s| cstring("options_json", s)).transpose()?;
        let mut r = ffi::ek_rec_train_report { struct_size: size_of_u32!(ffi::ek_rec_train_report), ..Default::default() };
        let e = &self.ext;
        e.check(unsafe { f!(e.table, train)(e.this, o.as_ref().map_or(ptr::null(), |c| c.as_ptr()), &mut r) })?;
        Ok(TrainReport { epochs: r.epochs, samples: r.samples, seconds: r.seconds, last_loss: r.last_loss })
    }

    /// The `k` (1..1024) best items for `user`, best first, as `(item, score)`;
    /// `Status::NotFound` for an unknown user.
    pub fn recommend(&self, user: &str, k: usize, exclude_seen: bool) -> Result<Vec<(String, f32)>> {
        let u = cstring("user", user)?;
        let mut items: Vec<*const c_char> = vec![ptr::null(); k.max(1)];
        let mut scores = vec![0f32; k.max(1)];
        let mut n = 0usize;
        let e = &self.ext;
        e.check(unsafe { f!(e.table, recommend)(e.this, u.as_ptr(), k, exclude_seen as u32, items.as_mut_ptr(), scores.as_mut_ptr(), &mut n) })?;
        Ok((0..n.min(items.len())).map(|i| (unsafe { cstr_lossy(items[i]) }, scores[i])).collect())
    }

    /// Scores of `items` for `user` into `out` (at least `items.len()`).
    pub fn score_into(&self, user: &str, items: &[&str], out: &mut [f32]) -> Result<()> {
        too_small("score out", out.len(), items.len())?;
        let u = cstring("user", user)?;
        let c = cstrings("item", items)?;
        let p = ptrs(&c);
        let e = &self.ext;
        e.check(unsafe { f!(e.table, score)(e.this, u.as_ptr(), p.as_ptr(), p.len(), out.as_mut_ptr()) })
    }

    /// Scores of `items` for `user`; `Status::NotFound` names an unknown id.
    pub fn score(&self, user: &str, items: &[&str]) -> Result<Vec<f32>> {
        let mut out = vec![0f32; items.len()];
        self.score_into(user, items, &mut out)?;
        Ok(out)
    }

    /// Ranking quality on held-out pairs `(users[i], items[i])`; pairs naming unknown
    /// ids are counted in `pairs_skipped`.
    pub fn evaluate(&self, users: &[&str], items: &[&str], k: usize, exclude_seen: bool) -> Result<RecMetrics> {
        let p = Pairs::new(users, items, "evaluate")?;
        let raw = p.raw(None, None);
        let mut m = ffi::ek_rec_metrics { struct_size: size_of_u32!(ffi::ek_rec_metrics), ..Default::default() };
        let e = &self.ext;
        e.check(unsafe { f!(e.table, evaluate)(e.this, &raw, k, exclude_seen as u32, &mut m) })?;
        Ok(RecMetrics {
            recall: m.recall,
            ndcg: m.ndcg,
            hit_rate: m.hit_rate,
            mean_rank: m.mean_rank,
            users: m.users,
            pairs: m.pairs,
            pairs_skipped: m.pairs_skipped,
        })
    }

    pub fn stats(&self) -> Result<RecStats> {
        let mut s = ffi::ek_rec_stats { struct_size: size_of_u32!(ffi::ek_rec_stats), ..Default::default() };
        let e = &self.ext;
        e.check(unsafe { f!(e.table, stats)(e.this, &mut s) })?;
        Ok(RecStats {
            users: s.users,
            items: s.items,
            interactions: s.interactions,
            dim: s.dim,
            layers: s.layers,
            trained: s.trained != 0,
            pending_requests: s.pending_requests,
        })
    }

    /// Writes the model and data to collections `"<name>.*"` of `store` and binds
    /// the instance to it: later forget requests delete there. The instance keeps
    /// the C store alive while bound, so dropping `store` is safe.
    pub fn save(&self, store: &Store, name: &str) -> Result<()> {
        let n = cstring("name", name)?;
        let e = &self.ext;
        e.check(unsafe { f!(e.table, save)(e.this, store.as_ptr(), n.as_ptr()) })?;
        *self.inst.bound_store.borrow_mut() = Some(store.inner.clone());
        Ok(())
    }

    /// Reads a model written by [`Recommender::save`] and binds the instance to the
    /// store (`Status::NotFound` if there is none).
    pub fn load(&self, store: &Store, name: &str) -> Result<()> {
        let n = cstring("name", name)?;
        let e = &self.ext;
        e.check(unsafe { f!(e.table, load)(e.this, store.as_ptr(), n.as_ptr()) })?;
        *self.inst.bound_store.borrow_mut() = Some(store.inner.clone());
        Ok(())
    }

    fn unlearner(&self) -> Result<&Ext<'a, ffi::ek_unlearner_ext>> {
        self.unlearner.as_ref().ok_or_else(|| {
            Error::local(Status::Unsupported, format!("Recommender: the instance does not provide the extension \"{}\"", ffi::EK_EXT_UNLEARNER))
        })
    }

    /// Forgets interactions, users or items (`"ek.unlearner/1"`). Unknown ids or an
    /// empty request fail before anything changes.
    pub fn forget(&self, what: Forget<'_>, options: &ForgetOptions<'_>) -> Result<ForgetReport> {
        let u = self.unlearner()?;
        let (kind, users, items): (i32, &[&str], &[&str]) = match what {
            Forget::Interactions { users, items } => {
                mismatch("forget: users vs items", users.len(), items.len())?;
                (ffi::EK_FORGET_INTERACTIONS, users, items)
            }
            Forget::Users(users) => (ffi::EK_FORGET_USERS, users, &[]),
            Forget::Items(items) => (ffi::EK_FORGET_ITEMS, &[], items),
        };
        let cu = cstrings("user", users)?;
        let ci = cstrings("item", items)?;
        let (pu, pi) = (ptrs(&cu), ptrs(&ci));
        let opts = options.options_json.map(|s| cstring("options_json", s)).transpose()?;
        let rid = options.request_id.map(|s| cstring("request_id", s)).transpose()?;
        let req = ffi::ek_forget_request {
            struct_size: size_of_u32!(ffi::ek_forget_request),
            kind,
            method: match options.method {
                UnlearnMethod::MmRecUn => ffi::EK_UNLEARN_MMRECUN,
                UnlearnMethod::Gold => ffi::EK_UNLEARN_GOLD,
                UnlearnMethod::FineTune => ffi::EK_UNLEARN_FINETUNE,
                UnlearnMethod::Noop => ffi::EK_UNLEARN_NOOP,
            },
            flags: (if options.keep_rows { ffi::EK_FORGET_KEEP_ROWS } else { 0 })
                | (if options.skip_unknown { ffi::EK_FORGET_SKIP_UNKNOWN } else { 0 }),
            count: if kind == ffi::EK_FORGET_ITEMS { pi.len() } else { pu.len() },
            users: if kind == ffi::EK_FORGET_ITEMS { ptr::null() } else { pu.as_ptr() },
            items: if kind == ffi::EK_FORGET_USERS { ptr::null() } else { pi.as_ptr() },
            options_json: opts.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
            request_id: rid.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
        };
        let mut r = ffi::ek_forget_report {
            struct_size: size_of_u32!(ffi::ek_forget_report),
            interactions_removed: 0,
            users_removed: 0,
            items_removed: 0,
            epochs: 0,
            seconds: 0.0,
            request_id: [0; 64],
            digest: [0; 65],
        };
        u.check(unsafe { f!(u.table, forget)(u.this, &req, &mut r) })?;
        Ok(ForgetReport {
            interactions_removed: r.interactions_removed,
            users_removed: r.users_removed,
            items_removed: r.items_removed,
            epochs: r.epochs,
            seconds: r.seconds,
            request_id: fixed_str(&r.request_id),
            digest: fixed_str(&r.digest),
        })
    }

    /// Removes users/items kept by [`ForgetOptions::keep_rows`]; returns how many.
    pub fn purge(&self) -> Result<u64> {
        let u = self.unlearner()?;
        let mut n = 0u64;
        u.check(unsafe { f!(u.table, purge)(u.this, &mut n) })?;
        Ok(n)
    }
}

// ---- ek.vsa_probe/1 ---------------------------------------------------------------------

impl Instance {
    /// The `"ek.vsa_probe/1"` wrapper (`embedkit.vsa_json`): probing, decoding and
    /// indexing its vectors; `Status::Unsupported` if the instance lacks it.
    pub fn vsa_probe(&self) -> Result<VsaProbe<'_>> {
        let ext = Ext::<ffi::ek_vsa_probe_ext>::get(self, "VsaProbe")?;
        Ok(VsaProbe { ext, dim: self.dim()? })
    }
}

/// Reads the vectors of `embedkit.vsa_json` back (docs/vsa_json.md): unbinds along a
/// key path and ranks candidate values, decodes numbers, and indexes, searches and
/// probes a store's collection of documents.
///
/// Paths: keys separated by `.`, array positions as `[i]` (`"name.first"`,
/// `"tags[0]"`); `""` is the document itself. Documents and candidate values are
/// JSON text (`"\"Ada\""` is the string Ada). Every vector argument holds exactly
/// [`VsaProbe::dim`] floats (else `Status::DimensionMismatch`).
///
/// ```no_run
/// # use embedkit::*;
/// let ctx = Context::new()?;
/// let inst = ctx.create_instance("embedkit.vsa_json", Some(r#"{"dim": 1024}"#))?;
/// let vp = inst.vsa_probe()?;
/// let v = inst.encode_vec(&[r#"{"name": "Ada", "tags": ["red", "green"]}"#])?;
/// let ranked = vp.probe(&v, "tags[1]", &[r#""red""#, r#""green""#], 1)?;
/// assert_eq!(ranked[0].0, 1); // (candidate index, cosine)
/// # Ok::<(), embedkit::Error>(())
/// ```
pub struct VsaProbe<'a> {
    ext: Ext<'a, ffi::ek_vsa_probe_ext>,
    dim: usize,
}

/// The value of a `{"path":"...","value":<JSON>}` row that `index` recorded (the
/// metadata of a `probe_collection` hit), as JSON text.
fn recorded_value(metadata: &str) -> Option<&str> {
    let rest = metadata.strip_prefix("{\"path\":\"")?.as_bytes();
    let mut i = 0;
    while i < rest.len() && rest[i] != b'"' {
        i += if rest[i] == b'\\' { 2 } else { 1 }; // an escaped byte is never the closing quote
    }
    metadata.get(metadata.len() - rest.len() + i + 1..)?.strip_prefix(",\"value\":")?.strip_suffix('}')
}

impl<'a> VsaProbe<'a> {
    pub fn table_struct_size(&self) -> u32 {
        self.ext.struct_size()
    }

    /// Length of the instance's vectors (its encoder's dim).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The plugin reads exactly `dim` floats from a vector argument.
    fn vector(&self, what: &str, v: &[f32]) -> Result<*const f32> {
        if v.len() != self.dim {
            return Err(Error::local(
                Status::DimensionMismatch,
                format!("VsaProbe.{what}: the vector has {} floats, the instance's dim is {}", v.len(), self.dim),
            ));
        }
        Ok(v.as_ptr())
    }

    /// The binding matrix of `path` (or, with `transpose`, its transpose: unbinding)
    /// applied to `x`, written to `out` (`dim` floats each); no normalisation.
    pub fn bind(&self, path: &str, x: &[f32], out: &mut [f32], transpose: bool) -> Result<()> {
        let xp = self.vector("bind", x)?;
        if out.len() != self.dim {
            return Err(Error::local(Status::DimensionMismatch, format!("VsaProbe.bind: out has {} floats, dim is {}", out.len(), self.dim)));
        }
        let p = cstring("path", path)?;
        let flags = if transpose { ffi::EK_VSA_BIND_TRANSPOSE } else { ffi::EK_VSA_BIND_FORWARD };
        let e = &self.ext;
        e.check(unsafe { f!(e.table, bind)(e.this, p.as_ptr(), xp, out.as_mut_ptr(), flags) })
    }

    /// [`VsaProbe::bind`] into a new vector.
    pub fn bind_vec(&self, path: &str, x: &[f32], transpose: bool) -> Result<Vec<f32>> {
        let mut out = vec![0f32; self.dim];
        self.bind(path, x, &mut out, transpose)?;
        Ok(out)
    }

    /// A JSON value encoded as a field value is (before binding): the unit vector a
    /// probe compares against.
    pub fn encode_value(&self, value_json: &str) -> Result<Vec<f32>> {
        let view = views(&[value_json]);
        let mut out = vec![0f32; self.dim];
        let e = &self.ext;
        e.check(unsafe { f!(e.table, encode_value)(e.this, view.as_ptr(), out.as_mut_ptr()) })?;
        Ok(out)
    }

    /// Unbinds `vector` along `path` and ranks `candidates` (JSON values) by cosine:
    /// the best `min(k, candidates.len())` (k 1..1024) as `(candidate index, cosine)`,
    /// best first (ties by lower index).
    pub fn probe<S: AsRef<[u8]>>(&self, vector: &[f32], path: &str, candidates: &[S], k: usize) -> Result<Vec<(usize, f32)>> {
        let v = self.vector("probe", vector)?;
        let p = cstring("path", path)?;
        let cands = views(candidates);
        let room = k.min(candidates.len()).max(1);
        let (mut index, mut score, mut n) = (vec![0u32; room], vec![0f32; room], 0usize);
        let e = &self.ext;
        e.check(unsafe {
            f!(e.table, probe)(e.this, v, p.as_ptr(), cands.as_ptr(), cands.len(), k, index.as_mut_ptr(), score.as_mut_ptr(), &mut n)
        })?;
        Ok((0..n.min(room)).map(|i| (index[i] as usize, score[i])).collect())
    }

    /// The number stored at `path` of `vector` as `(estimate, confidence)`; the
    /// confidence is a cosine, near 0 when there is probably no number there.
    pub fn decode_number(&self, vector: &[f32], path: &str) -> Result<(f64, f32)> {
        let v = self.vector("decode_number", vector)?;
        let p = cstring("path", path)?;
        let (mut value, mut confidence) = (0f64, 0f32);
        let e = &self.ext;
        e.check(unsafe { f!(e.table, decode_number)(e.this, v, p.as_ptr(), &mut value, &mut confidence) })?;
        Ok((value, confidence))
    }

    /// Encodes the documents of one text, NDJSON or a JSON array: `count x dim`
    /// floats, row-major (`count = len / dim`).
    pub fn encode_batch(&self, text: &str) -> Result<Vec<f32>> {
        let e = &self.ext;
        let batch = f!(e.table, encode_batch);
        let mut count = 0usize;
        let code = unsafe { batch(e.this, text.as_ptr() as *const c_char, text.len(), ptr::null_mut(), 0, &mut count) };
        if code != ffi::EK_ERR_BUFFER_TOO_SMALL {
            e.check(code)?; // counting answers OK only for no documents
        }
        let mut out = vec![0f32; count * self.dim];
        if count > 0 {
            e.check(unsafe { batch(e.this, text.as_ptr() as *const c_char, text.len(), out.as_mut_ptr(), out.len(), &mut count) })?;
        }
        Ok(out)
    }

    /// Encodes `documents` (JSON) and upserts them into `collection` of `store`
    /// (created with the encoder's dim and cosine metric if missing) under `ids`
    /// (`None`: the 0-based positions as text), recording every scalar value for
    /// [`VsaProbe::probe_collection`]; `store_documents` keeps each JSON object as the
    /// row's metadata. One transaction.
    pub fn index<S: AsRef<[u8]>>(&self, store: &Store, collection: &str, documents: &[S], ids: Option<&[&str]>, store_documents: bool) -> Result<()> {
        let c = cstring("collection", collection)?;
        let docs = views(documents);
        let id_c = match ids {
            Some(ids) => {
                mismatch("VsaProbe.index: documents and ids", documents.len(), ids.len())?;
                Some(cstrings("ids", ids)?)
            }
            None => None,
        };
        let id_p = id_c.as_ref().map(|v| ptrs(v));
        let e = &self.ext;
        e.check(unsafe {
            f!(e.table, index)(e.this, store.as_ptr(), c.as_ptr(), docs.as_ptr(), id_p.as_ref().map_or(ptr::null(), |p| p.as_ptr()), docs.len(), store_documents as u32)
        })
    }

    /// Like [`VsaProbe::probe`], the candidates being every value `index` recorded at
    /// `path` in `collection`: the best `k` as `(value as JSON text, cosine)`.
    /// `Status::NotFound` if none was recorded.
    pub fn probe_collection(&self, store: &Store, collection: &str, vector: &[f32], path: &str, k: usize) -> Result<Vec<(String, f32)>> {
        let v = self.vector("probe_collection", vector)?;
        let (c, p) = (cstring("collection", collection)?, cstring("path", path)?);
        let mut raw = ptr::null_mut();
        let e = &self.ext;
        e.check(unsafe { f!(e.table, probe_collection)(e.this, store.as_ptr(), c.as_ptr(), v, p.as_ptr(), k, &mut raw) })?;
        let results = owned_results(raw, "probe_collection")?;
        let hits = results.hits(0)?;
        hits.iter()
            .map(|h| match h.metadata_json.and_then(recorded_value) {
                Some(value) => Ok((value.to_owned(), h.score)),
                None => Err(Error::local(Status::Internal, format!("probe_collection: unexpected value row {:?}", h.metadata_json))),
            })
            .collect()
    }

    /// The `k` (1..1024) rows of `collection` most similar to `document` (cosine),
    /// optionally filtered on their metadata (the grammar of
    /// [`SearchOptions::filter_json`](crate::SearchOptions)), with metadata: one query.
    pub fn similar(&self, store: &Store, collection: &str, document: &str, k: usize, filter_json: Option<&str>) -> Result<Results> {
        let c = cstring("collection", collection)?;
        let filter = filter_json.map(|f| cstring("filter_json", f)).transpose()?;
        let doc = views(&[document]);
        let mut raw = ptr::null_mut();
        let e = &self.ext;
        e.check(unsafe {
            f!(e.table, similar)(e.this, store.as_ptr(), c.as_ptr(), doc.as_ptr(), k, filter.as_ref().map_or(ptr::null(), |f| f.as_ptr()), &mut raw)
        })?;
        owned_results(raw, "similar")
    }

    /// The encoding configuration `index` recorded with `collection`, as JSON text:
    /// give it to `create_instance("embedkit.vsa_json", ..)` for an instance that
    /// encodes the way the collection was. `Status::NotFound` if none was.
    pub fn collection_config(&self, store: &Store, collection: &str) -> Result<String> {
        let c = cstring("collection", collection)?;
        let e = &self.ext;
        let config = f!(e.table, collection_config);
        let mut length = 0usize;
        e.check(unsafe { config(e.this, store.as_ptr(), c.as_ptr(), ptr::null_mut(), 0, &mut length) })?;
        let mut buf = vec![0u8; length + 1];
        e.check(unsafe { config(e.this, store.as_ptr(), c.as_ptr(), buf.as_mut_ptr() as *mut c_char, buf.len(), &mut length) })?;
        buf.truncate(length);
        String::from_utf8(buf).map_err(|_| Error::local(Status::Internal, "collection_config: not UTF-8"))
    }
}

/// Takes ownership of results a table function returned (freed on drop).
fn owned_results(raw: *mut ffi::ek_results, what: &str) -> Result<Results> {
    let raw = ptr::NonNull::new(raw).ok_or_else(|| Error::local(Status::Internal, format!("{what}: no results")))?;
    Ok(Results { raw })
}

#[cfg(test)]
mod tests {
    use super::recorded_value;

    #[test]
    fn recorded_value_reads_the_value_after_an_escaped_path() {
        assert_eq!(recorded_value(r#"{"path":"genre","value":"Crime"}"#), Some(r#""Crime""#));
        assert_eq!(recorded_value(r#"{"path":"a\"b\\","value":{"x":1}}"#), Some(r#"{"x":1}"#));
        assert_eq!(recorded_value(r#"{"path":"p","value":"\",\"value\":"}"#), Some(r#""\",\"value\":""#));
        assert_eq!(recorded_value(r#"{"value":1}"#), None);
        assert_eq!(recorded_value(r#"{"path":"unterminated"#), None);
    }
}
