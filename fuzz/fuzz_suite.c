/* Fuzz target: the layer-suite file reader of the tools (tools/layerspec.c). The bytes are
 * written to a private temporary file, which layer_suite_read then reads as a suite. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layerspec.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static char path[64];

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        /* tmpfs when there is one: a disk-backed /tmp makes every run wait on I/O */
        snprintf(path, sizeof path, "%s/clconv-fuzz-suite-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        close(fd);
        atexit(remove_file);
    }
    FILE *f = fopen(path, "wb");
    CHECK(f);
    CHECK(fwrite(data, 1, size, f) == size);
    CHECK(fclose(f) == 0);

    layer_spec *layers = (layer_spec *)(uintptr_t)0x1;
    size_t count = 12345;
    char err[512] = "";
    int rc = layer_suite_read(path, &layers, &count, err, sizeof err);
    if (rc != 0) {
        CHECK(rc == -1 && err[0] != '\0');
        CHECK(layers == (layer_spec *)(uintptr_t)0x1 && count == 12345);
        return 0;
    }
    CHECK((count == 0) == (layers == NULL));
    for (size_t i = 0; i < count; i++) {
        int out[4];
        CHECK(clconv_output_shape(&layers[i].desc, layers[i].input, out) == CLCONV_SUCCESS);
        CHECK(layers[i].name[0] != '\0');
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(layers[i].name, layers[j].name) != 0);
    }
    free(layers);
    return 0;
}
