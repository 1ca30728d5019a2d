#ifndef EGRESSGW_CCURL_SHIM_H
#define EGRESSGW_CCURL_SHIM_H
// The type-checking macros of typecheck-gcc.h would wrap the calls below in checks meant for direct use.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

// Swift cannot call variadic C functions (curl_easy_setopt, curl_easy_getinfo, curl_multi_setopt);
// these wrappers give each argument type its own non-variadic entry point.
static inline CURLcode egressgw_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode egressgw_curl_setopt_offset(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode egressgw_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode egressgw_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode egressgw_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode egressgw_curl_setopt_write_function(CURL *h, CURLoption o, curl_write_callback f) { return curl_easy_setopt(h, o, f); }
// Blobs are copied by libcurl (CURL_BLOB_COPY), so the caller's buffer may go away after the call.
static inline CURLcode egressgw_curl_setopt_blob(CURL *h, CURLoption o, const void *data, size_t length) {
    struct curl_blob blob = { (void *)data, length, CURL_BLOB_COPY };
    return curl_easy_setopt(h, o, &blob);
}
static inline CURLcode egressgw_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode egressgw_curl_getinfo_offset(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode egressgw_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
// The write callback's "pause" answer and the resume bitmask are macros Swift does not import.
static const size_t egressgw_curl_writefunc_pause = CURL_WRITEFUNC_PAUSE;
static const int egressgw_curl_pause_continue = CURLPAUSE_CONT;
#endif
