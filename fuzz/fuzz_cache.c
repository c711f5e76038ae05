/* Fuzz target: the program-binary cache's entry parser (src/binary-cache.c), the code that
 * reads files other processes (or a corrupted disk) wrote. The key is fixed; the seed corpus
 * holds well-formed entries for it. */
#include <stdint.h>
#include <string.h>

#include "src/binary-cache.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#define FUZZ_CACHE_KEY "source=0123456789abcdef;options=-DK=3;device=fuzz;driver=1;platform=1"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *binary = NULL;
    size_t len = 77;
    if (clconv_binary_cache_parse(data, size, FUZZ_CACHE_KEY, &binary, &len)) {
        /* the binary lies inside the buffer, after the header and the key */
        CHECK(len > 0 && binary > data && binary + len == data + size);
        CHECK(!memcmp(binary - strlen(FUZZ_CACHE_KEY), FUZZ_CACHE_KEY, strlen(FUZZ_CACHE_KEY)));
        volatile unsigned char sum = 0;
        for (size_t i = 0; i < len; i++) /* ASan: every byte readable */
            sum ^= binary[i];
        (void)sum;
    } else {
        CHECK(binary == NULL && len == 77);
    }
    return 0;
}
