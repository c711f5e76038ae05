/* Fuzz target: the torch-style option parser of the tools (tools/layerspec.c). A spec that
 * parses must be a layer clconv accepts, and must survive a format -> parse round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layerspec.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* an embedded NUL just ends the text early */
    layer_spec spec, untouched;
    memset(&spec, 0x5a, sizeof spec);
    untouched = spec;
    char err[256] = "";
    int rc = layer_spec_parse_string(text, &spec, err, sizeof err);
    if (rc != 0) {
        CHECK(rc == -1 && err[0] != '\0');
        CHECK(!memcmp(&spec, &untouched, sizeof spec));
    } else {
        int out[4];
        CHECK(clconv_output_shape(&spec.desc, spec.input, out) == CLCONV_SUCCESS);
        CHECK(memchr(spec.name, '\0', sizeof spec.name) != NULL);
        char buf[1024];
        layer_spec_format(&spec, buf, sizeof buf);
        layer_spec again;
        CHECK(layer_spec_parse_string(buf, &again, err, sizeof err) == 0);
        CHECK(!memcmp(&again.desc, &spec.desc, sizeof spec.desc));
        CHECK(!memcmp(again.input, spec.input, sizeof spec.input));
        CHECK(!strcmp(again.name, spec.name));
    }
    /* arity of each word is defined for any text */
    int a = layer_spec_option_arity(text);
    CHECK(a >= -1 && a <= 1);
    free(text);
    return 0;
}
