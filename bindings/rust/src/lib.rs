//! Rust binding of embedkit: a safe wrapper over the C ABI of `libembedkit`.
//!
//! * [`ffi`]: the raw C ABI (every `EK_API` function, struct, extension table and
//!   constant of `abi/include/embedkit`), generated from `abi/embedkit_abi.json` by
//!   `tools/abigen/gen_rust.py`; `tests/abi_layout.rs` (generated too) checks its
//!   layouts against libclang's.
//! * The safe layer: RAII handles ([`Context`], [`Instance`], [`Store`],
//!   [`Collection`], [`Results`]) freed on `Drop`, every fallible call returning
//!   [`Result<T>`] whose [`Error`] carries the [`Status`] and the library's message,
//!   vectors passed as `&[f32]` / written into `&mut [f32]`.
//!
//! Handles may be dropped in any order: each C handle holds shared ownership of what
//! it depends on, and each Rust handle keeps its context's callbacks alive.
//!
//! ```no_run
//! use embedkit::{Context, Metric, SearchOptions, StoreOptions};
//! let ctx = Context::new()?;
//! let store = ctx.open_store("demo.db", &StoreOptions::default())?;
//! let docs = store.create_collection("docs", 4, Metric::Cosine)?;
//! docs.upsert(&["a", "b"], &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], None)?;
//! let res = docs.search(&[1.0, 0.0, 0.0, 0.0], &SearchOptions { k: 1, ..Default::default() })?;
//! assert_eq!(res.hit(0, 0)?.id, "a");
//! # Ok::<(), embedkit::Error>(())
//! ```
//!
//! Linking: set `EMBEDKIT_LIB_DIR` to the folder holding `libembedkit.so` when
//! building (see `build.rs`); the crate has no other dependency.

pub mod extensions;
/// The raw C ABI, generated from abi/embedkit_abi.json by tools/abigen/gen_rust.py.
#[path = "ffi_gen.rs"]
pub mod ffi;
pub mod index;

pub use index::{CollectionOptions, Element, IndexInfo, IndexKind};
pub use extensions::{
    Candidate, Classifier, Forget, ForgetOptions, ForgetReport, Label, LabelInfo, LlmHooks, MatchColumn, MatchFormat, MatchMode,
    MatchOptions, MatchResult, Matcher, Prediction, RecMetrics, RecStats, Recommender, Side, TrainReport, UnlearnMethod,
};

use std::ffi::{CStr, CString};
use std::fmt;
use std::marker::PhantomData;
use std::os::raw::{c_char, c_void};
use std::cell::RefCell;
use std::path::Path;
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex};

// ---- status and errors ------------------------------------------------------------

/// The status of a failed call (`ek_status` without `EK_OK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    DimensionMismatch,
    Parse,
    Io,
    Storage,
    Corrupt,
    ReadOnly,
    AbiMismatch,
    NotAPlugin,
    Unsupported,
    BufferTooSmall,
    OutOfMemory,
    Cancelled,
    Limit,
    Internal,
    Plugin,
    /// A code this binding does not know (a newer library).
    Other(i32),
}

impl Status {
    /// The status of a C code (`code` must not be `EK_OK`).
    pub fn from_code(code: i32) -> Status {
        use Status::*;
        match code {
            ffi::EK_ERR_INVALID_ARGUMENT => InvalidArgument,
            ffi::EK_ERR_NOT_FOUND => NotFound,
            ffi::EK_ERR_ALREADY_EXISTS => AlreadyExists,
            ffi::EK_ERR_DIMENSION_MISMATCH => DimensionMismatch,
            ffi::EK_ERR_PARSE => Parse,
            ffi::EK_ERR_IO => Io,
            ffi::EK_ERR_STORAGE => Storage,
            ffi::EK_ERR_CORRUPT => Corrupt,
            ffi::EK_ERR_READ_ONLY => ReadOnly,
            ffi::EK_ERR_ABI_MISMATCH => AbiMismatch,
            ffi::EK_ERR_NOT_A_PLUGIN => NotAPlugin,
            ffi::EK_ERR_UNSUPPORTED => Unsupported,
            ffi::EK_ERR_BUFFER_TOO_SMALL => BufferTooSmall,
            ffi::EK_ERR_OUT_OF_MEMORY => OutOfMemory,
            ffi::EK_ERR_CANCELLED => Cancelled,
            ffi::EK_ERR_LIMIT => Limit,
            ffi::EK_ERR_INTERNAL => Internal,
            ffi::EK_ERR_PLUGIN => Plugin,
            other => Other(other),
        }
    }

    /// The numeric `ek_status`.
    pub fn code(self) -> i32 {
        use Status::*;
        match self {
            InvalidArgument => ffi::EK_ERR_INVALID_ARGUMENT,
            NotFound => ffi::EK_ERR_NOT_FOUND,
            AlreadyExists => ffi::EK_ERR_ALREADY_EXISTS,
            DimensionMismatch => ffi::EK_ERR_DIMENSION_MISMATCH,
            Parse => ffi::EK_ERR_PARSE,
            Io => ffi::EK_ERR_IO,
            Storage => ffi::EK_ERR_STORAGE,
            Corrupt => ffi::EK_ERR_CORRUPT,
            ReadOnly => ffi::EK_ERR_READ_ONLY,
            AbiMismatch => ffi::EK_ERR_ABI_MISMATCH,
            NotAPlugin => ffi::EK_ERR_NOT_A_PLUGIN,
            Unsupported => ffi::EK_ERR_UNSUPPORTED,
            BufferTooSmall => ffi::EK_ERR_BUFFER_TOO_SMALL,
            OutOfMemory => ffi::EK_ERR_OUT_OF_MEMORY,
            Cancelled => ffi::EK_ERR_CANCELLED,
            Limit => ffi::EK_ERR_LIMIT,
            Internal => ffi::EK_ERR_INTERNAL,
            Plugin => ffi::EK_ERR_PLUGIN,
            Other(c) => c,
        }
    }

    /// The C name, e.g. `"EK_ERR_NOT_FOUND"` (from the library).
    pub fn name(self) -> String {
        status_name(self.code())
    }
}

/// A failed call: its status and the library's message, which names the function,
/// the argument and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
}

impl Error {
    /// The error of the last failed call on this thread (`ek_last_error`).
    fn last(code: i32) -> Error {
        // SAFETY: ek_last_error never returns NULL; the text is copied at once.
        let message = unsafe { cstr_lossy(ffi::ek_last_error()) };
        Error { status: Status::from_code(code), message }
    }

    /// An error detected on the Rust side before calling the library.
    fn local(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` of every fallible call.
pub type Result<T> = std::result::Result<T, Error>;

#[inline]
fn check(code: ffi::ek_status) -> Result<()> {
    if code == ffi::EK_OK {
        Ok(())
    } else {
        Err(Error::last(code))
    }
}

unsafe fn cstr_lossy(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

unsafe fn cstr_opt(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

fn cstring(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| {
        Error::local(Status::InvalidArgument, format!("{what} contains a NUL byte"))
    })
}

fn path_cstring(what: &str, p: &Path) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::local(Status::InvalidArgument, format!("{what} contains a NUL byte")))
}

// ---- version --------------------------------------------------------------------

/// The library's semantic version, e.g. `"0.1.0"`.
pub fn version() -> String {
    unsafe { cstr_lossy(ffi::ek_version()) }
}

/// The library's ABI version as `(major, minor)`.
pub fn abi_version() -> (u32, u32) {
    let v = unsafe { ffi::ek_abi_version() };
    (v >> 16, v & 0xFFFF)
}

/// The C name of a status code (`"EK_ERR_UNKNOWN"` for unknown codes).
pub fn status_name(code: i32) -> String {
    unsafe { cstr_lossy(ffi::ek_status_name(code)) }
}

/// `(status code, message)` of the last failed call on this thread (0, "" if none).
pub fn last_error() -> (i32, String) {
    unsafe { (ffi::ek_last_status(), cstr_lossy(ffi::ek_last_error())) }
}

// ---- enums -------------------------------------------------------------------------

/// Distance metric of a collection. Cosine and Dot scores are similarities (higher is
/// closer); L2 scores are squared Euclidean distances (lower is closer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Cosine,
    Dot,
    L2,
}

impl Metric {
    pub fn code(self) -> i32 {
        match self {
            Metric::Cosine => ffi::EK_METRIC_COSINE,
            Metric::Dot => ffi::EK_METRIC_DOT,
            Metric::L2 => ffi::EK_METRIC_L2,
        }
    }
    fn from_code(c: i32) -> Metric {
        match c {
            ffi::EK_METRIC_DOT => Metric::Dot,
            ffi::EK_METRIC_L2 => Metric::L2,
            _ => Metric::Cosine,
        }
    }
}

/// Log levels; messages up to the context's level are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

impl LogLevel {
    pub fn code(self) -> i32 {
        match self {
            LogLevel::Error => ffi::EK_LOG_ERROR,
            LogLevel::Warn => ffi::EK_LOG_WARN,
            LogLevel::Info => ffi::EK_LOG_INFO,
            LogLevel::Debug => ffi::EK_LOG_DEBUG,
        }
    }
    fn from_code(c: i32) -> LogLevel {
        match c {
            ffi::EK_LOG_ERROR => LogLevel::Error,
            ffi::EK_LOG_WARN => LogLevel::Warn,
            ffi::EK_LOG_INFO => LogLevel::Info,
            _ => LogLevel::Debug,
        }
    }
}

// ---- context -----------------------------------------------------------------------

type LogCallback = dyn Fn(LogLevel, &str) + Send + Sync;
type ProgressCallback = dyn Fn(&str, u64, u64) -> bool + Send + Sync;

/// Callbacks of a context; every handle created from it holds an `Arc` of this, so
/// they outlive every C object that may call them.
struct Shared {
    log: Option<Box<LogCallback>>,
    progress: Mutex<Option<Arc<ProgressCallback>>>,
}

unsafe extern "C" fn log_trampoline(user: *mut c_void, level: i32, message: *const c_char) {
    let shared = &*(user as *const Shared);
    if let Some(cb) = &shared.log {
        let text = cstr_lossy(message);
        // A panic must not unwind into C.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cb(LogLevel::from_code(level), &text)
        }));
    }
}

unsafe extern "C" fn progress_trampoline(
    user: *mut c_void,
    task: *const c_char,
    done: u64,
    total: u64,
) -> i32 {
    let shared = &*(user as *const Shared);
    let cb = match shared.progress.lock() {
        Ok(g) => g.clone(),
        Err(_) => return 1,
    };
    match cb {
        None => 0,
        Some(cb) => {
            let task = cstr_lossy(task);
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(&task, done, total))) {
                Ok(true) => 1,
                Ok(false) => 0,
                Err(_) => 1, // a panicking callback cancels the operation
            }
        }
    }
}

/// Options of [`Context::with_options`].
pub struct ContextOptions {
    /// `"auto"` (default), `"cpu"` or `"cuda"`.
    pub backend: String,
    /// Worker threads; 0 = all cores.
    pub num_threads: u32,
    pub log_level: LogLevel,
    /// Receives log lines (any thread); `None` sends them to stderr.
    pub log: Option<Box<LogCallback>>,
    /// `':'`-separated folders to scan for plugins; `None` uses
    /// `EMBEDKIT_PLUGIN_PATH`, `Some("")` scans none.
    pub plugin_path: Option<String>,
    /// Register the plugins built into the library.
    pub bundled_plugins: bool,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions {
            backend: "auto".into(),
            num_threads: 0,
            log_level: LogLevel::Warn,
            log: None,
            plugin_path: None,
            bundled_plugins: true,
        }
    }
}

/// What a context runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    pub backend: String,
    pub simd_target: String,
    pub num_threads: u32,
    pub abi_version: (u32, u32),
    pub plugin_count: usize,
}

/// A registered plugin. `path` is `None` for plugins built into the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub id: String,
    pub name: String,
    pub version: String,
    pub vendor: String,
    pub description: String,
    pub extensions: Vec<String>,
    pub path: Option<String>,
    pub abi_version: (u32, u32),
}

impl PluginInfo {
    unsafe fn from_c(i: &ffi::ek_plugin_info) -> PluginInfo {
        let mut extensions = Vec::new();
        if !i.extensions.is_null() {
            let mut p = i.extensions;
            while !(*p).is_null() {
                extensions.push(cstr_lossy(*p));
                p = p.add(1);
            }
        }
        PluginInfo {
            id: cstr_lossy(i.id),
            name: cstr_lossy(i.name),
            version: cstr_lossy(i.version),
            vendor: cstr_lossy(i.vendor),
            description: cstr_lossy(i.description),
            extensions,
            path: cstr_opt(i.path),
            abi_version: (i.abi_version >> 16, i.abi_version & 0xFFFF),
        }
    }

    fn empty() -> ffi::ek_plugin_info {
        ffi::ek_plugin_info {
            struct_size: std::mem::size_of::<ffi::ek_plugin_info>() as u32,
            id: ptr::null(),
            name: ptr::null(),
            version: ptr::null(),
            vendor: ptr::null(),
            description: ptr::null(),
            extensions: ptr::null(),
            path: ptr::null(),
            abi_version: 0,
        }
    }
}

/// Plugins, worker threads and the compute backend. Thread-safe (`Send + Sync`).
pub struct Context {
    raw: NonNull<ffi::ek_context>,
    shared: Arc<Shared>,
}

// SAFETY: ek_context is documented [thread-safe] for every function but free, which
// Drop (with &mut self) calls once.
unsafe impl Send for Context {}
unsafe impl Sync for Context {}

impl Context {
    /// A context with the default options (all cores, bundled plugins,
    /// `EMBEDKIT_PLUGIN_PATH`).
    pub fn new() -> Result<Context> {
        Context::with_options(ContextOptions::default())
    }

    pub fn with_options(options: ContextOptions) -> Result<Context> {
        let backend = cstring("backend", &options.backend)?;
        let plugin_path = match &options.plugin_path {
            Some(p) => Some(cstring("plugin_path", p)?),
            None => None,
        };
        let has_log = options.log.is_some();
        let shared = Arc::new(Shared { log: options.log, progress: Mutex::new(None) });
        let mut o = unsafe {
            let mut o = std::mem::MaybeUninit::<ffi::ek_context_options>::zeroed();
            ffi::ek_context_options_init(o.as_mut_ptr());
            o.assume_init()
        };
        o.backend = backend.as_ptr();
        o.num_threads = options.num_threads;
        o.log_level = options.log_level.code();
        if has_log {
            o.log_callback = Some(log_trampoline);
            o.log_user_data = Arc::as_ptr(&shared) as *mut c_void;
        }
        o.plugin_path = plugin_path.as_ref().map_or(ptr::null(), |p| p.as_ptr());
        o.no_bundled_plugins = if options.bundled_plugins { 0 } else { 1 };
        let mut raw = ptr::null_mut();
        check(unsafe { ffi::ek_context_create(&o, &mut raw) })?;
        Ok(Context { raw: NonNull::new(raw).expect("ek_context_create gave NULL"), shared })
    }

    /// The raw handle, for calls this wrapper does not cover.
    pub fn as_ptr(&self) -> *mut ffi::ek_context {
        self.raw.as_ptr()
    }

    /// Backend, SIMD target, threads, ABI and plugin count.
    pub fn info(&self) -> Result<ContextInfo> {
        let mut i = ffi::ek_context_info {
            struct_size: std::mem::size_of::<ffi::ek_context_info>() as u32,
            backend: ptr::null(),
            simd_target: ptr::null(),
            num_threads: 0,
            abi_version: 0,
            plugin_count: 0,
        };
        check(unsafe { ffi::ek_context_info_get(self.as_ptr(), &mut i) })?;
        Ok(unsafe {
            ContextInfo {
                backend: cstr_lossy(i.backend),
                simd_target: cstr_lossy(i.simd_target),
                num_threads: i.num_threads,
                abi_version: (i.abi_version >> 16, i.abi_version & 0xFFFF),
                plugin_count: i.plugin_count,
            }
        })
    }

    /// Loads a plugin module and returns its id.
    pub fn load_plugin(&self, path: impl AsRef<Path>) -> Result<String> {
        let p = path_cstring("path", path.as_ref())?;
        let mut id: *const c_char = ptr::null();
        check(unsafe { ffi::ek_plugin_load(self.as_ptr(), p.as_ptr(), &mut id) })?;
        Ok(unsafe { cstr_lossy(id) })
    }

    /// Loads every plugin module in `':'`-separated folders; returns how many.
    pub fn load_plugin_dir(&self, folders: &str) -> Result<usize> {
        let f = cstring("folders", folders)?;
        let mut n = 0usize;
        check(unsafe { ffi::ek_plugin_load_dir(self.as_ptr(), f.as_ptr(), &mut n) })?;
        Ok(n)
    }

    pub fn plugin_count(&self) -> Result<usize> {
        let mut n = 0usize;
        check(unsafe { ffi::ek_plugin_count(self.as_ptr(), &mut n) })?;
        Ok(n)
    }

    /// Plugin number `index`; `Status::NotFound` when out of range.
    pub fn plugin_at(&self, index: usize) -> Result<PluginInfo> {
        let mut i = PluginInfo::empty();
        check(unsafe { ffi::ek_plugin_info_at(self.as_ptr(), index, &mut i) })?;
        Ok(unsafe { PluginInfo::from_c(&i) })
    }

    /// The plugin with id `id`; `Status::NotFound` if none.
    pub fn plugin(&self, id: &str) -> Result<PluginInfo> {
        let c = cstring("id", id)?;
        let mut i = PluginInfo::empty();
        check(unsafe { ffi::ek_plugin_info_find(self.as_ptr(), c.as_ptr(), &mut i) })?;
        Ok(unsafe { PluginInfo::from_c(&i) })
    }

    /// Every registered plugin, in registration order.
    pub fn plugins(&self) -> Result<Vec<PluginInfo>> {
        (0..self.plugin_count()?).map(|i| self.plugin_at(i)).collect()
    }

    /// Creates an instance of a plugin, configured by a JSON object (`None` = `{}`).
    pub fn create_instance(&self, plugin_id: &str, config_json: Option<&str>) -> Result<Instance> {
        let id = cstring("plugin_id", plugin_id)?;
        let cfg = match config_json {
            Some(c) => Some(cstring("config_json", c)?),
            None => None,
        };
        let mut raw = ptr::null_mut();
        check(unsafe {
            ffi::ek_instance_create(
                self.as_ptr(),
                id.as_ptr(),
                cfg.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
                &mut raw,
            )
        })?;
        Ok(Instance {
            raw: NonNull::new(raw).expect("ek_instance_create gave NULL"),
            _shared: self.shared.clone(),
            bound_store: RefCell::new(None),
            callbacks: RefCell::new(Vec::new()),
            _not_sync: PhantomData,
        })
    }

    /// Opens (creating if needed) a store file, or `":memory:"`.
    pub fn open_store(&self, path: impl AsRef<Path>, options: &StoreOptions) -> Result<Store> {
        let p = path_cstring("path", path.as_ref())?;
        let mut o = ffi::ek_store_options { struct_size: 0, read_only: 0, must_exist: 0, busy_timeout_ms: 0 };
        unsafe { ffi::ek_store_options_init(&mut o) };
        o.read_only = options.read_only as u32;
        o.must_exist = options.must_exist as u32;
        o.busy_timeout_ms = options.busy_timeout_ms;
        let mut raw = ptr::null_mut();
        check(unsafe { ffi::ek_store_open(self.as_ptr(), p.as_ptr(), &o, &mut raw) })?;
        Ok(Store {
            inner: Arc::new(StoreHandle { raw: NonNull::new(raw).expect("ek_store_open gave NULL"), shared: self.shared.clone() }),
        })
    }

    /// Sets (or clears) `callback(task, done, total)` for long operations; it may
    /// run on any thread. Returning `true` (or panicking) cancels the operation,
    /// which then fails with `Status::Cancelled`; the context stays cancelled until
    /// [`Context::reset_cancel`].
    pub fn set_progress<F>(&self, callback: Option<F>) -> Result<()>
    where
        F: Fn(&str, u64, u64) -> bool + Send + Sync + 'static,
    {
        let cb: Option<Arc<ProgressCallback>> = callback.map(|f| Arc::new(f) as Arc<ProgressCallback>);
        let install = cb.is_some();
        *self.shared.progress.lock().unwrap_or_else(|e| e.into_inner()) = cb;
        let user = Arc::as_ptr(&self.shared) as *mut c_void;
        check(unsafe {
            if install {
                ffi::ek_context_set_progress(self.as_ptr(), Some(progress_trampoline), user)
            } else {
                ffi::ek_context_set_progress(self.as_ptr(), None, ptr::null_mut())
            }
        })
    }

    /// Asks every running long operation of this context to stop (any thread).
    pub fn cancel(&self) -> Result<()> {
        check(unsafe { ffi::ek_context_cancel(self.as_ptr()) })
    }

    /// Clears the cancellation flag before new work.
    pub fn reset_cancel(&self) -> Result<()> {
        check(unsafe { ffi::ek_context_reset_cancel(self.as_ptr()) })
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        unsafe { ffi::ek_context_free(self.raw.as_ptr()) }
    }
}

// ---- instances -----------------------------------------------------------------------

/// One configured plugin instance. `Send` but not `Sync`: one thread at a time.
pub struct Instance {
    raw: NonNull<ffi::ek_instance>,
    _shared: Arc<Shared>,
    /// The store a recommender was bound to by save/load (the plugin keeps its
    /// pointer): held until the instance is freed.
    bound_store: RefCell<Option<Arc<StoreHandle>>>,
    /// Closures registered with an extension (host embedder, LLM hooks), by name:
    /// the plugin holds pointers to them until the instance is freed.
    callbacks: RefCell<Vec<(&'static str, Box<dyn std::any::Any + Send>)>>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: an instance may move between threads; !Sync keeps its use to one thread
// at a time, as the header requires.
unsafe impl Send for Instance {}

impl Instance {
    pub fn as_ptr(&self) -> *mut ffi::ek_instance {
        self.raw.as_ptr()
    }

    /// True if the instance provides the extension (e.g. [`ffi::EK_EXT_ENCODER`]).
    pub fn has_extension(&self, extension_id: &str) -> bool {
        match CString::new(extension_id) {
            Ok(c) => unsafe { ffi::ek_instance_has_extension(self.as_ptr(), c.as_ptr()) != 0 },
            Err(_) => false,
        }
    }

    /// The plugin's function table for an extension (raw access; its functions
    /// take [`Instance::plugin_data`] as first argument).
    pub fn extension_table(&self, extension_id: &str) -> Result<*const c_void> {
        let c = cstring("extension_id", extension_id)?;
        let mut t: *const c_void = ptr::null();
        check(unsafe { ffi::ek_instance_get_extension(self.as_ptr(), c.as_ptr(), &mut t) })?;
        Ok(t)
    }

    /// The plugin's own instance pointer.
    pub fn plugin_data(&self) -> *mut c_void {
        unsafe { ffi::ek_instance_plugin_data(self.as_ptr()) }
    }

    /// Length of the vectors the encoder produces (`Status::Unsupported` if none).
    pub fn dim(&self) -> Result<usize> {
        let mut d = 0usize;
        check(unsafe { ffi::ek_encoder_dim(self.as_ptr(), &mut d) })?;
        Ok(d)
    }

    /// Encodes `items` into `out` (`items.len() * dim` floats, row-major).
    /// `Status::BufferTooSmall` if `out` is shorter; the message says how many.
    pub fn encode<S: AsRef<[u8]>>(&self, items: &[S], out: &mut [f32]) -> Result<()> {
        let views: Vec<ffi::ek_string_view> = items
            .iter()
            .map(|s| {
                let b = s.as_ref();
                ffi::ek_string_view { data: b.as_ptr() as *const c_char, length: b.len() }
            })
            .collect();
        let mut needed = 0usize;
        check(unsafe {
            ffi::ek_encode(self.as_ptr(), views.as_ptr(), views.len(), out.as_mut_ptr(), out.len(), &mut needed)
        })
    }

    /// Encodes `items` into a new `items.len() * dim` vector.
    pub fn encode_vec<S: AsRef<[u8]>>(&self, items: &[S]) -> Result<Vec<f32>> {
        let mut out = vec![0f32; items.len() * self.dim()?];
        self.encode(items, &mut out)?;
        Ok(out)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        unsafe { ffi::ek_instance_free(self.raw.as_ptr()) }
    }
}

// ---- store and collections -------------------------------------------------------------

/// Options of [`Context::open_store`].
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// Writes fail with `Status::ReadOnly`.
    pub read_only: bool,
    /// Fail with `Status::Io` instead of creating the file.
    pub must_exist: bool,
    /// Wait this long on a lock held by another process; 0 = 5000.
    pub busy_timeout_ms: u32,
}

/// Name, shape and size of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionInfo {
    pub name: String,
    pub dim: u32,
    pub metric: Metric,
    pub count: u64,
}

impl CollectionInfo {
    unsafe fn from_c(c: &ffi::ek_collection_info) -> CollectionInfo {
        CollectionInfo { name: cstr_lossy(c.name), dim: c.dim, metric: Metric::from_code(c.metric), count: c.count }
    }
}

/// Owns the C store handle; shared by [`Store`] and the instances bound to it.
struct StoreHandle {
    raw: NonNull<ffi::ek_store>,
    shared: Arc<Shared>,
}

// SAFETY: ek_store is [thread-safe] for every function but free, which Drop calls once.
unsafe impl Send for StoreHandle {}
unsafe impl Sync for StoreHandle {}

impl Drop for StoreHandle {
    fn drop(&mut self) {
        unsafe { ffi::ek_store_free(self.raw.as_ptr()) }
    }
}

/// One SQLite store file (or `":memory:"`). Thread-safe.
///
/// The C handle is freed when the `Store` and every recommender instance bound to
/// it (by [`Recommender::save`] / [`Recommender::load`]) are gone.
pub struct Store {
    inner: Arc<StoreHandle>,
}

impl Store {
    pub fn as_ptr(&self) -> *mut ffi::ek_store {
        self.inner.raw.as_ptr()
    }

    fn wrap(&self, raw: *mut ffi::ek_collection) -> Collection {
        Collection { raw: NonNull::new(raw).expect("NULL collection"), _shared: self.inner.shared.clone() }
    }

    /// Opens one transaction over the following writes through this store (and its
    /// collections): all durable at [`Store::commit`], none after [`Store::rollback`],
    /// dropping the store or a crash. A failed call inside undoes only itself.
    pub fn begin(&self) -> Result<()> {
        check(unsafe { ffi::ek_store_begin(self.as_ptr()) })
    }

    /// Makes every write since [`Store::begin`] durable at once.
    pub fn commit(&self) -> Result<()> {
        check(unsafe { ffi::ek_store_commit(self.as_ptr()) })
    }

    /// Undoes every write since [`Store::begin`].
    pub fn rollback(&self) -> Result<()> {
        check(unsafe { ffi::ek_store_rollback(self.as_ptr()) })
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back when
    /// it returns `Err` (the error is passed on).
    pub fn transaction<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.begin()?;
        match f(self) {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.rollback();
                Err(e)
            }
        }
    }

    /// Creates a collection, or opens it if it exists with the same dim and metric
    /// (`Status::AlreadyExists` with another shape).
    pub fn create_collection(&self, name: &str, dim: u32, metric: Metric) -> Result<Collection> {
        let n = cstring("name", name)?;
        let mut raw = ptr::null_mut();
        check(unsafe { ffi::ek_collection_create(self.as_ptr(), n.as_ptr(), dim, metric.code(), &mut raw) })?;
        Ok(self.wrap(raw))
    }

    /// Opens an existing collection (`Status::NotFound` if none).
    pub fn collection(&self, name: &str) -> Result<Collection> {
        let n = cstring("name", name)?;
        let mut raw = ptr::null_mut();
        check(unsafe { ffi::ek_collection_open(self.as_ptr(), n.as_ptr(), &mut raw) })?;
        Ok(self.wrap(raw))
    }

    /// Deletes a collection and its vectors.
    pub fn drop_collection(&self, name: &str) -> Result<()> {
        let n = cstring("name", name)?;
        check(unsafe { ffi::ek_collection_drop(self.as_ptr(), n.as_ptr()) })
    }

    /// Every collection of the store.
    pub fn collections(&self) -> Result<Vec<CollectionInfo>> {
        let mut infos: *mut ffi::ek_collection_info = ptr::null_mut();
        let mut n = 0usize;
        check(unsafe { ffi::ek_store_list_collections(self.as_ptr(), &mut infos, &mut n) })?;
        let out = (0..n).map(|i| unsafe { CollectionInfo::from_c(&*infos.add(i)) }).collect();
        unsafe { ffi::ek_collection_infos_free(infos, n) };
        Ok(out)
    }

    // ---- key/value state (ABI 1.1): values that are not vectors, in the same file
    // and the same transactions as the collections; `name_space` is the owner's id.

    /// Stores `value` under (name_space, key); `JSON` values must be one valid JSON
    /// text (`Status::Parse` naming the byte otherwise). Joins an open transaction.
    pub fn kv_put(&self, name_space: &str, key: &str, value: &[u8], kind: ValueKind) -> Result<()> {
        let (ns, k) = (cstring("name_space", name_space)?, cstring("key", key)?);
        check(unsafe {
            ffi::ek_store_kv_put(self.as_ptr(), ns.as_ptr(), k.as_ptr(), value.as_ptr().cast(), value.len(), kind.code())
        })
    }

    /// The value of (name_space, key) and its kind (`Status::NotFound` if none).
    pub fn kv_get(&self, name_space: &str, key: &str) -> Result<(Vec<u8>, ValueKind)> {
        let (ns, k) = (cstring("name_space", name_space)?, cstring("key", key)?);
        loop {
            // Another writer may grow the value between the size query and the read.
            let (mut length, mut kind) = (0usize, 0);
            check(unsafe { ffi::ek_store_kv_get(self.as_ptr(), ns.as_ptr(), k.as_ptr(), ptr::null_mut(), 0, &mut length, &mut kind) })?;
            let mut buf = vec![0u8; length + 1];
            let st = unsafe {
                ffi::ek_store_kv_get(self.as_ptr(), ns.as_ptr(), k.as_ptr(), buf.as_mut_ptr().cast(), buf.len(), &mut length, &mut kind)
            };
            if st == ffi::EK_ERR_BUFFER_TOO_SMALL {
                continue;
            }
            check(st)?;
            buf.truncate(length);
            let kind = if kind == ffi::EK_VALUE_JSON { ValueKind::Json } else { ValueKind::Blob };
            return Ok((buf, kind));
        }
    }

    /// Deletes (name_space, key); `true` if it existed.
    pub fn kv_delete(&self, name_space: &str, key: &str) -> Result<bool> {
        let (ns, k) = (cstring("name_space", name_space)?, cstring("key", key)?);
        let mut n = 0usize;
        check(unsafe { ffi::ek_store_kv_delete(self.as_ptr(), ns.as_ptr(), k.as_ptr(), &mut n) })?;
        Ok(n == 1)
    }

    /// Deletes every key of `name_space` starting with `prefix` ("" = all); how many.
    pub fn kv_delete_prefix(&self, name_space: &str, prefix: &str) -> Result<usize> {
        let (ns, p) = (cstring("name_space", name_space)?, cstring("prefix", prefix)?);
        let mut n = 0usize;
        check(unsafe { ffi::ek_store_kv_delete_prefix(self.as_ptr(), ns.as_ptr(), p.as_ptr(), &mut n) })?;
        Ok(n)
    }

    /// Keys of `name_space` starting with `prefix`, in byte order, after `after`
    /// (`None`: from the first), at most `limit` (0 = all).
    pub fn kv_keys(&self, name_space: &str, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        let (ns, p) = (cstring("name_space", name_space)?, cstring("prefix", prefix)?);
        let a = after.map(|a| cstring("after", a)).transpose()?;
        let mut raw = ptr::null_mut();
        check(unsafe {
            ffi::ek_store_kv_list(self.as_ptr(), ns.as_ptr(), p.as_ptr(), a.as_ref().map_or(ptr::null(), |a| a.as_ptr()), limit, 0, &mut raw)
        })?;
        let results = Results { raw: NonNull::new(raw).expect("NULL results") };
        let keys = results.hits(0)?.iter().map(|h| h.id.to_string()).collect();
        Ok(keys)
    }
}

/// Kind of a key/value state value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Any bytes.
    Blob,
    /// One JSON text, checked when stored.
    Json,
}

impl ValueKind {
    pub fn code(self) -> i32 {
        match self {
            ValueKind::Blob => ffi::EK_VALUE_BLOB,
            ValueKind::Json => ffi::EK_VALUE_JSON,
        }
    }
}

/// Options of [`Collection::search`].
#[derive(Debug, Clone, Default)]
pub struct SearchOptions<'a> {
    /// Hits per query, no upper limit (a query gets at most as many hits as rows the
    /// filter allows); 0 means 10.
    pub k: u32,
    /// A JSON filter: only rows whose metadata matches, by equality (`{"lang": "en"}`)
    /// or operators (`{"year": {"$gte": 2000}}`, `$in`, `$prefix`, `$null`, `$or`, ...;
    /// grammar in docs/storage.md, "Filters").
    pub filter_json: Option<&'a str>,
    /// Hits carry their metadata.
    pub include_metadata: bool,
    /// hnsw beam; 0 = the collection's `ef_search` (raised to k).
    pub ef: u32,
    /// Exact scan of the f32 originals: the recall baseline of an hnsw or quantized
    /// collection.
    pub exact: bool,
    /// Oversampling re-ranked with the f32 originals, 0..1024; 0 = the collection's,
    /// 1 = none.
    pub rescore: u32,
}

/// A named set of vectors of one dim and metric in a store. Thread-safe.
pub struct Collection {
    raw: NonNull<ffi::ek_collection>,
    _shared: Arc<Shared>,
}

unsafe impl Send for Collection {}
unsafe impl Sync for Collection {}

impl Collection {
    pub fn as_ptr(&self) -> *mut ffi::ek_collection {
        self.raw.as_ptr()
    }

    pub fn info(&self) -> Result<CollectionInfo> {
        let mut c = ffi::ek_collection_info {
            struct_size: std::mem::size_of::<ffi::ek_collection_info>() as u32,
            name: ptr::null(),
            dim: 0,
            metric: 0,
            count: 0,
        };
        check(unsafe { ffi::ek_collection_info_get(self.as_ptr(), &mut c) })?;
        Ok(unsafe { CollectionInfo::from_c(&c) })
    }

    pub fn count(&self) -> Result<u64> {
        let mut n = 0u64;
        check(unsafe { ffi::ek_collection_count(self.as_ptr(), &mut n) })?;
        Ok(n)
    }

    /// Inserts or replaces rows in one transaction (all or none). `vectors` holds
    /// `ids.len()` rows of equal length (row-major); `metadata`, when given, one
    /// optional JSON object per row.
    pub fn upsert(&self, ids: &[&str], vectors: &[f32], metadata: Option<&[Option<&str>]>) -> Result<()> {
        if ids.is_empty() || vectors.len() % ids.len() != 0 {
            return Err(Error::local(
                Status::InvalidArgument,
                format!("upsert: {} floats do not split into {} rows", vectors.len(), ids.len()),
            ));
        }
        let c_ids = ids.iter().map(|s| cstring("id", s)).collect::<Result<Vec<_>>>()?;
        let id_ptrs: Vec<*const c_char> = c_ids.iter().map(|c| c.as_ptr()).collect();
        let c_meta = match metadata {
            None => None,
            Some(m) => {
                if m.len() != ids.len() {
                    return Err(Error::local(
                        Status::InvalidArgument,
                        format!("upsert: {} ids but {} metadata entries", ids.len(), m.len()),
                    ));
                }
                Some(
                    m.iter()
                        .map(|o| o.map(|s| cstring("metadata", s)).transpose())
                        .collect::<Result<Vec<_>>>()?,
                )
            }
        };
        let meta_ptrs: Option<Vec<*const c_char>> = c_meta
            .as_ref()
            .map(|v| v.iter().map(|o| o.as_ref().map_or(ptr::null(), |c| c.as_ptr())).collect());
        let batch = ffi::ek_upsert_batch {
            struct_size: std::mem::size_of::<ffi::ek_upsert_batch>() as u32,
            count: ids.len(),
            ids: id_ptrs.as_ptr(),
            vectors: vectors.as_ptr(),
            dim: vectors.len() / ids.len(),
            metadata_json: meta_ptrs.as_ref().map_or(ptr::null(), |v| v.as_ptr()),
        };
        check(unsafe { ffi::ek_collection_upsert(self.as_ptr(), &batch) })
    }

    /// Reads the vector under `id` into `out`; returns the dim.
    /// `Status::BufferTooSmall` if `out` is shorter than the dim.
    pub fn get(&self, id: &str, out: &mut [f32]) -> Result<usize> {
        let c = cstring("id", id)?;
        let mut dim = 0usize;
        check(unsafe {
            ffi::ek_collection_get(self.as_ptr(), c.as_ptr(), out.as_mut_ptr(), out.len(), &mut dim, ptr::null_mut())
        })?;
        Ok(dim)
    }

    /// The vector and metadata (if any) stored under `id`.
    pub fn get_with_metadata(&self, id: &str) -> Result<(Vec<f32>, Option<String>)> {
        let c = cstring("id", id)?;
        let mut dim = 0usize;
        check(unsafe { ffi::ek_collection_get(self.as_ptr(), c.as_ptr(), ptr::null_mut(), 0, &mut dim, ptr::null_mut()) })?;
        let mut v = vec![0f32; dim];
        let mut meta: *mut c_char = ptr::null_mut();
        check(unsafe { ffi::ek_collection_get(self.as_ptr(), c.as_ptr(), v.as_mut_ptr(), v.len(), &mut dim, &mut meta) })?;
        let m = unsafe { cstr_opt(meta) };
        unsafe { ffi::ek_string_free(meta) };
        v.truncate(dim);
        Ok((v, m))
    }

    /// True if a row `id` exists.
    pub fn contains(&self, id: &str) -> Result<bool> {
        let c = cstring("id", id)?;
        let mut dim = 0usize;
        let s = unsafe { ffi::ek_collection_get(self.as_ptr(), c.as_ptr(), ptr::null_mut(), 0, &mut dim, ptr::null_mut()) };
        match s {
            ffi::EK_OK => Ok(true),
            ffi::EK_ERR_NOT_FOUND => Ok(false),
            other => Err(Error::last(other)),
        }
    }

    /// Deletes rows by id in one transaction; returns how many existed.
    pub fn delete(&self, ids: &[&str]) -> Result<usize> {
        let c_ids = ids.iter().map(|s| cstring("id", s)).collect::<Result<Vec<_>>>()?;
        let ptrs: Vec<*const c_char> = c_ids.iter().map(|c| c.as_ptr()).collect();
        let mut n = 0usize;
        check(unsafe { ffi::ek_collection_delete(self.as_ptr(), ptrs.as_ptr(), ptrs.len(), &mut n) })?;
        Ok(n)
    }

    /// Top-k search of `queries` (`n * dim` floats, row-major, `dim` = the
    /// collection's): exact for an exact f32 collection, else as docs/storage.md
    /// "Indexes" says (`ef`, `exact` and `rescore` of [`SearchOptions`] steer it).
    /// Hits are ordered best first.
    pub fn search(&self, queries: &[f32], options: &SearchOptions<'_>) -> Result<Results> {
        let dim = self.info()?.dim as usize;
        self.search_dim(queries, dim, options)
    }

    /// Like [`Collection::search`] with an explicit query dim (checked by the library).
    pub fn search_dim(&self, queries: &[f32], dim: usize, options: &SearchOptions<'_>) -> Result<Results> {
        if dim == 0 || queries.len() % dim != 0 {
            return Err(Error::local(
                Status::DimensionMismatch,
                format!("search: {} floats are not rows of dim {dim}", queries.len()),
            ));
        }
        let filter = match options.filter_json {
            Some(f) => Some(cstring("filter_json", f)?),
            None => None,
        };
        let mut o = ffi::ek_search_options { struct_size: 0, k: 0, filter_json: ptr::null(), include_metadata: 0 };
        unsafe { ffi::ek_search_options_init(&mut o) };
        o.k = options.k;
        o.filter_json = filter.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        o.include_metadata = options.include_metadata as u32;
        let mut raw = ptr::null_mut();
        let n = queries.len() / dim;
        if options.ef != 0 || options.exact || options.rescore != 0 {
            let io = ffi::ek_index_search_options {
                ef: options.ef,
                exact: options.exact as u32,
                rescore: options.rescore,
                ..Default::default()
            };
            check(unsafe { ffi::ek_collection_search_with(self.as_ptr(), queries.as_ptr(), n, dim, &o, &io, &mut raw) })?;
        } else {
            check(unsafe { ffi::ek_collection_search(self.as_ptr(), queries.as_ptr(), n, dim, &o, &mut raw) })?;
        }
        Ok(Results { raw: NonNull::new(raw).expect("NULL results") })
    }

    /// Rows in insertion order (`limit` 0 = all) as one result list with score 0.
    pub fn list(&self, offset: usize, limit: usize, include_metadata: bool) -> Result<Results> {
        let mut raw = ptr::null_mut();
        check(unsafe { ffi::ek_collection_list(self.as_ptr(), offset, limit, include_metadata as u32, &mut raw) })?;
        Ok(Results { raw: NonNull::new(raw).expect("NULL results") })
    }
}

impl Drop for Collection {
    fn drop(&mut self) {
        unsafe { ffi::ek_collection_free(self.raw.as_ptr()) }
    }
}

// ---- results ----------------------------------------------------------------------------

/// One hit; the strings borrow from the [`Results`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit<'a> {
    pub id: &'a str,
    pub score: f32,
    pub metadata_json: Option<&'a str>,
}

/// Hits of a search (one list per query) or a listing (one list). Immutable and
/// thread-safe.
pub struct Results {
    raw: NonNull<ffi::ek_results>,
}

unsafe impl Send for Results {}
unsafe impl Sync for Results {}

impl Results {
    /// Number of queries.
    pub fn query_count(&self) -> usize {
        unsafe { ffi::ek_results_query_count(self.raw.as_ptr()) }
    }

    /// Hits of query `query` (0 when out of range).
    pub fn hit_count(&self, query: usize) -> usize {
        unsafe { ffi::ek_results_hit_count(self.raw.as_ptr(), query) }
    }

    /// Hit number `rank` (0 = best) of query `query`.
    pub fn hit(&self, query: usize, rank: usize) -> Result<Hit<'_>> {
        let mut h = ffi::ek_hit {
            struct_size: std::mem::size_of::<ffi::ek_hit>() as u32,
            id: ptr::null(),
            score: 0.0,
            metadata_json: ptr::null(),
        };
        check(unsafe { ffi::ek_results_hit(self.raw.as_ptr(), query, rank, &mut h) })?;
        // SAFETY: the strings live as long as the results object (borrowed by 'self).
        unsafe {
            let id = CStr::from_ptr(h.id).to_str().map_err(|_| Error::local(Status::Internal, "id is not UTF-8"))?;
            let metadata_json = if h.metadata_json.is_null() {
                None
            } else {
                Some(CStr::from_ptr(h.metadata_json).to_str().map_err(|_| Error::local(Status::Internal, "metadata is not UTF-8"))?)
            };
            Ok(Hit { id, score: h.score, metadata_json })
        }
    }

    /// Every hit of query `query`, best first.
    pub fn hits(&self, query: usize) -> Result<Vec<Hit<'_>>> {
        (0..self.hit_count(query)).map(|r| self.hit(query, r)).collect()
    }
}

impl Drop for Results {
    fn drop(&mut self) {
        unsafe { ffi::ek_results_free(self.raw.as_ptr()) }
    }
}
