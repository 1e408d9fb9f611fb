// Non-variadic wrappers of the libcurl calls Egress makes: Swift cannot call C variadic
// functions such as curl_easy_setopt and curl_easy_getinfo, and it does not import macros built
// from other macros (CURL_GLOBAL_DEFAULT).
#ifndef CVMFAAS_CCURL_H
#define CVMFAAS_CCURL_H

#include <curl/curl.h>

/// The shape of CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION.
typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *context);

/// curl_global_init(CURL_GLOBAL_DEFAULT). Not thread-safe: call it once, before any handle.
CURLcode ccurl_global_init(void);

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_setopt_list(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode ccurl_setopt_callback(CURL *handle, CURLoption option, ccurl_data_callback value);
CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);

#endif
