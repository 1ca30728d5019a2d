#ifndef EGRESSGW_CCURL_SHIM_H
#define EGRESSGW_CCURL_SHIM_H
#include <curl/curl.h>
#endif
