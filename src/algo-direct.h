/* The direct family's variant operations, for the registry (src/variants.c). */
#ifndef CLCONV_ALGO_DIRECT_H
#define CLCONV_ALGO_DIRECT_H

#include "src/variant.h"

#endif
