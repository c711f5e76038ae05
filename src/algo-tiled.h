/* The tiled family's variant operations, for the registry (src/variants.c). */
#ifndef CLCONV_ALGO_TILED_H
#define CLCONV_ALGO_TILED_H

#include "src/variant.h"

#endif
