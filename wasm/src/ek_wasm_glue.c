/* What the JavaScript package (wasm/js/index.js) cannot do over the raw ek_* exports.
 *
 * index.js calls the ek_* functions of embedkit.h directly and fills or reads their
 * structs through the generated wasm32 layouts (abi_gen.js, heap.js Scratch.struct /
 * readStruct). What is left here needs C: callbacks (log, progress) are trampolines
 * into JS through EM_JS, so no function table growth is needed, and the malloc
 * statistics of the heap. Only the public API is used. */
#include <embedkit/embedkit.h>
#include <emscripten.h>

#include <malloc.h>
#include <stdint.h>

#define EKW_EXPORT EMSCRIPTEN_KEEPALIVE

/* ---- callbacks ---------------------------------------------------------------------- */

EM_JS(void, ekw_js_log, (int handle, int level, const char* message), {
  if (Module["ekwLog"]) Module["ekwLog"](handle, level, UTF8ToString(message));
})

EM_JS(int, ekw_js_progress, (int handle, const char* task, double done, double total), {
  return Module["ekwProgress"] ? (Module["ekwProgress"](handle, UTF8ToString(task), done, total) | 0) : 0;
})

static void ekw_log_trampoline(void* user, ek_log_level level, const char* message) {
  ekw_js_log((int)(intptr_t)user, (int)level, message);
}

static int32_t ekw_progress_trampoline(void* user, const char* task, uint64_t done,
                                       uint64_t total) {
  return ekw_js_progress((int)(intptr_t)user, task, (double)done, (double)total);
}

/* ---- context ------------------------------------------------------------------------ */

/* backend: NULL for "auto"; log_level < 0 keeps the default; log_handle 0 = stderr;
 * plugin_path NULL = no plugin folders (the environment has none in WASM). */
EKW_EXPORT ek_status ekw_context_create(const char* backend, uint32_t num_threads,
                                        int32_t log_level, int32_t log_handle,
                                        const char* plugin_path, uint32_t no_bundled_plugins,
                                        ek_context** out_context) {
  ek_context_options o;
  ek_context_options_init(&o);
  o.backend = backend;
  o.num_threads = num_threads;
  if (log_level >= 0) o.log_level = log_level;
  if (log_handle != 0) {
    o.log_callback = ekw_log_trampoline;
    o.log_user_data = (void*)(intptr_t)log_handle;
  }
  o.plugin_path = plugin_path ? plugin_path : "";
  o.no_bundled_plugins = no_bundled_plugins;
  return ek_context_create(&o, out_context);
}

/* Progress: handle 0 clears the callback. */
EKW_EXPORT ek_status ekw_context_set_progress(ek_context* context, int32_t handle) {
  if (handle == 0) return ek_context_set_progress(context, NULL, NULL);
  return ek_context_set_progress(context, ekw_progress_trampoline, (void*)(intptr_t)handle);
}

/* ---- memory ------------------------------------------------------------------------- */

/* Bytes of the wasm heap currently handed out by malloc (leak checks in the tests and
 * the package's memory report). */
EKW_EXPORT double ekw_heap_in_use(void) {
  struct mallinfo mi = mallinfo();
  return (double)mi.uordblks;
}
