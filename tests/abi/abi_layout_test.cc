// The plugin ABI is reached by no exported symbol, so abidiff cannot guard it:
// these static_asserts freeze the size and field offsets of every plugin-ABI struct
// (LP64 and ILP32/wasm32). Changing a number here is an ABI break: see docs/abi.md.
// Also proves the public headers compile as C++ with -Wall -Wextra -Werror -pedantic.
#include <embedkit/embedkit.h>
#include <embedkit/plugin.h>
#include <embedkit/text.h>
#include <embedkit/ext/classifier.h>

#include <cstddef>

#define EK_LAYOUT(type, size64, size32) \
  static_assert(sizeof(type) == (sizeof(void*) == 8 ? (size64) : (size32)), #type " size")
#define EK_OFFSET(type, field, off64, off32)                                         \
  static_assert(offsetof(type, field) == (sizeof(void*) == 8 ? (off64) : (off32)), \
                #type "." #field " offset")

EK_LAYOUT(ek_string_view, 16, 8);
EK_LAYOUT(ek_plugin_descriptor, 80, 44);
EK_OFFSET(ek_plugin_descriptor, abi_version, 4, 4);
EK_OFFSET(ek_plugin_descriptor, id, 8, 8);
EK_OFFSET(ek_plugin_descriptor, extensions, 48, 28);
EK_OFFSET(ek_plugin_descriptor, create, 56, 32);
EK_OFFSET(ek_plugin_descriptor, get_extension, 72, 40);
EK_LAYOUT(ek_encoder_ext, 24, 12);
EK_OFFSET(ek_encoder_ext, encode, 16, 8);
EK_LAYOUT(ek_kernels, 200, 100);
EK_OFFSET(ek_kernels, dot, 24, 12);
EK_OFFSET(ek_kernels, top_k, 112, 56);
EK_OFFSET(ek_kernels, bpr_step, 120, 60);
EK_OFFSET(ek_kernels, axpy, 128, 64);  // ABI 1.1: element-wise entries and MBAT binding
EK_OFFSET(ek_kernels, scatter, 160, 80);
EK_OFFSET(ek_kernels, bind_dense, 176, 88);
EK_OFFSET(ek_kernels, bind_structured_add, 184, 92);  // ABI 1.1: fused passes
EK_OFFSET(ek_kernels, pair_update, 192, 96);
EK_LAYOUT(ek_bpr_triple, 20, 20);
EK_LAYOUT(ek_bpr_params, 104, 72);
EK_OFFSET(ek_bpr_params, p, 16, 16);
EK_OFFSET(ek_bpr_params, v_q, 72, 44);
EK_OFFSET(ek_bpr_params, lr, 80, 48);
EK_OFFSET(ek_bpr_params, eps, 100, 68);
EK_LAYOUT(ek_host, 320, 164);
EK_OFFSET(ek_host, kernels, 48, 28);
EK_OFFSET(ek_host, random_u32, 72, 40);
EK_OFFSET(ek_host, results_free, 136, 72);
EK_OFFSET(ek_host, config_string, 160, 84);
EK_OFFSET(ek_host, text, 168, 88);
EK_OFFSET(ek_host, collection_delete, 176, 92);
EK_OFFSET(ek_host, results_hit, 200, 104);
EK_OFFSET(ek_host, store_begin, 208, 108);
EK_OFFSET(ek_host, store_rollback, 224, 116);
EK_OFFSET(ek_host, last_error, 232, 120);
EK_OFFSET(ek_host, collection_open, 240, 124);  // ABI 1.1: key/value state, json_check
EK_OFFSET(ek_host, string_free, 248, 128);
EK_OFFSET(ek_host, kv_put, 256, 132);
EK_OFFSET(ek_host, kv_list, 288, 148);
EK_OFFSET(ek_host, json_check, 296, 152);
EK_OFFSET(ek_host, collection_drop, 304, 156);
EK_OFFSET(ek_host, config_bool, 312, 160);
EK_LAYOUT(ek_tokenize_options, 16, 16);
// ABI 1.2 (issue 19). Structs with an exported _init never grow (the init writes the
// library's sizeof into the caller's struct), nor do structs returned in arrays.
EK_LAYOUT(ek_search_options, 24, 16);
EK_LAYOUT(ek_collection_info, 32, 24);
EK_LAYOUT(ek_index_search_options, 16, 16);
EK_LAYOUT(ek_collection_options, 32, 32);
EK_OFFSET(ek_collection_options, defer_build, 28, 28);
EK_LAYOUT(ek_index_info, 40, 40);
EK_OFFSET(ek_index_info, bytes_per_vector, 32, 32);

EK_OFFSET(ek_tokenize_options, max_token_bytes, 12, 12);
EK_LAYOUT(ek_token, 8, 8);
EK_LAYOUT(ek_text_api, 88, 44);
EK_OFFSET(ek_text_api, tokenize, 16, 8);
EK_OFFSET(ek_text_api, wordvec_open, 32, 16);
EK_OFFSET(ek_text_api, wordvec_word, 80, 40);
EK_LAYOUT(ek_classifier_label, 40, 20);
EK_OFFSET(ek_classifier_label, description, 32, 16);
EK_LAYOUT(ek_classifier_label_info, 32, 24);
EK_OFFSET(ek_classifier_label_info, active, 28, 20);
EK_LAYOUT(ek_classifier_ext, 136, 68);
EK_OFFSET(ek_classifier_ext, fit, 40, 20);
EK_OFFSET(ek_classifier_ext, info_json, 128, 64);

int main() { return 0; }
