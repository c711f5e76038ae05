/* The depthwise family's variant operations, for the registry (src/variants.c). */
#ifndef CLCONV_ALGO_DEPTHWISE_H
#define CLCONV_ALGO_DEPTHWISE_H

#include "src/variant.h"

#endif
