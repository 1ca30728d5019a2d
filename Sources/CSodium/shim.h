#ifndef EGRESSGW_CSODIUM_SHIM_H
#define EGRESSGW_CSODIUM_SHIM_H
#include <sodium.h>
#endif
