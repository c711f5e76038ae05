/* clconv-count: MACs, FLOPs, exact operations, bytes and intensity of one layer (torch-style
 * options) or of every layer of suite files, as a table or JSON. Nothing runs on a device. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "layerspec.h"
#include "tools/tool-util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: clconv-count [--json] LAYER-OPTIONS\n"
               "       clconv-count [--json] SUITE.txt...\n"
               "\n"
               "Counts the operations of a convolution layer (conventions: docs/op-counting.md).\n"
               "LAYER-OPTIONS read like torch's constructor arguments:\n"
               "  --input NxCxHxW --out-channels N --kernel K|KHxKW [--stride S|SHxSW]\n"
               "  [--padding P|PHxPW|T,B,L,R|same] [--dilation D|DHxDW] [--groups G]\n"
               "  [--transposed [--output-padding P|PHxPW]] [--no-bias] [--dtype f32|f16]\n"
               "  [--padding-mode zeros|reflect|replicate|circular] [--name NAME]\n"
               "A suite file has one layer a line (format: tools/suites/README.md).\n"
               "\n"
               "  --json     one JSON object with a \"layers\" array instead of the table\n"
               "  --help     this text\n"
               "  --version  print the version\n"
               "\n"
               "Exit status: 0 on success, 1 for an invalid layer or suite file, 2 for a usage "
               "error\n"
               "(an unknown option, a suite file that cannot be read), 1 when the output cannot "
               "be written.\n");
}

typedef struct row {
    const layer_spec *spec;
    int out[4];
    clconv_op_count count;
    int has_mp; /* ConvTranspose2d: the moduleprofiler comparison below */
    uint64_t mp_ops;
    int64_t mp_additions_per_filter;
} row;

static int count_layer(const layer_spec *spec, row *r, const char *where)
{
    memset(r, 0, sizeof *r);
    r->spec = spec;
    if (clconv_output_shape(&spec->desc, spec->input, r->out) != CLCONV_SUCCESS ||
        clconv_count_ops(&spec->desc, spec->input, &r->count) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-count: %s: %s\n", where, clconv_last_error());
        return -1;
    }
    if (spec->desc.kind == CLCONV_CONV_TRANSPOSE2D) {
        if (clconv_count_ops_moduleprofiler_tconv(&spec->desc, spec->input, &r->mp_ops,
                                                  &r->mp_additions_per_filter) != CLCONV_SUCCESS) {
            fprintf(stderr, "clconv-count: %s: %s\n", where, clconv_last_error());
            return -1;
        }
        r->has_mp = 1;
    }
    return 0;
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_json(const row *rows, size_t n)
{
    printf("{\n  \"tool\": \"clconv-count\",\n  \"version\": ");
    json_string(CLCONV_VERSION_STRING);
    printf(",\n  \"layers\": [");
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        const layer_spec *s = r->spec;
        char words[512];
        layer_spec_format(s, words, sizeof words);
        printf("%s\n    {\"suite\": ", i ? "," : "");
        json_string(s->suite);
        printf(", \"name\": ");
        json_string(s->name);
        printf(", \"kind\": \"%s\", \"dtype\": \"%s\",\n     \"spec\": ",
               layer_kind_name(s->desc.kind), layer_dtype_name(s->desc.dtype));
        json_string(words);
        printf(",\n     \"input\": [%d, %d, %d, %d], \"output\": [%d, %d, %d, %d],\n", s->input[0],
               s->input[1], s->input[2], s->input[3], r->out[0], r->out[1], r->out[2], r->out[3]);
        printf("     \"macs\": %" PRIu64 ", \"flops\": %" PRIu64 ", \"exact_ops\": %" PRIu64
               ", \"bytes\": %" PRIu64 ", \"intensity\": %.6g,\n     \"epilogue_ops\": %" PRIu64
               ", \"epilogue_bytes\": %" PRIu64,
               r->count.macs, r->count.flops, r->count.exact_ops, r->count.bytes,
               r->count.intensity, r->count.epilogue_ops, r->count.epilogue_bytes);
        if (r->has_mp)
            printf(",\n     \"moduleprofiler_ops\": %" PRIu64
                   ", \"moduleprofiler_additions_per_filter\": %" PRId64,
                   r->mp_ops, r->mp_additions_per_filter);
        printf("}");
    }
    printf("\n  ]\n}\n");
}

static void print_table(const row *rows, size_t n)
{
    int wname = 5;
    for (size_t i = 0; i < n; i++) {
        int len = (int)strlen(rows[i].spec->name);
        wname = len > wname ? len : wname;
    }
    printf("%-*s  %-5s  %-16s  %-3s  %15s  %15s  %15s  %13s  %9s  %12s  %11s\n", wname, "layer",
           "kind", "output", "dt", "MACs", "FLOPs", "exact ops", "bytes", "FLOP/B", "epilogue ops",
           "epilogue B");
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        char shape[64];
        snprintf(shape, sizeof shape, "%dx%dx%dx%d", r->out[0], r->out[1], r->out[2], r->out[3]);
        printf("%-*s  %-5s  %-16s  %-3s  %15" PRIu64 "  %15" PRIu64 "  %15" PRIu64 "  %13" PRIu64
               "  %9.2f  %12" PRIu64 "  %11" PRIu64 "\n",
               wname, r->spec->name[0] ? r->spec->name : "layer",
               layer_kind_name(r->spec->desc.kind), shape, layer_dtype_name(r->spec->desc.dtype),
               r->count.macs, r->count.flops, r->count.exact_ops, r->count.bytes,
               r->count.intensity, r->count.epilogue_ops, r->count.epilogue_bytes);
    }
}

int main(int argc, char **argv)
{
    int json = 0, status = 0, nwords = 0, nfiles = 0;
    char **words = calloc((size_t)argc + 1, sizeof *words);
    char **files = calloc((size_t)argc + 1, sizeof *files);
    layer_spec *specs = NULL;
    row *rows = NULL;
    size_t nspecs = 0, nrows = 0;
    char err[2048];
    if (!words || !files) {
        fprintf(stderr, "clconv-count: out of memory\n");
        status = 1;
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            json = 1;
        } else if (tool_standard_option(a, "clconv-count", usage)) {
            goto out;
        } else if (a[0] == '-' && a[1] && (a[1] != '-' || layer_spec_option_arity(a) < 0)) {
            fprintf(stderr, "clconv-count: unknown option '%s' (try --help)\n", a);
            status = TOOL_EXIT_USAGE;
            goto out;
        } else if (a[0] == '-' && a[1]) {
            /* layer option, with its value word */
            words[nwords++] = argv[i];
            if (layer_spec_option_arity(a) == 1 && i + 1 < argc)
                words[nwords++] = argv[++i];
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (nwords && nfiles) {
        fprintf(stderr,
                "clconv-count: give either layer options or suite files, not both "
                "(first file: %s)\n",
                files[0]);
        status = TOOL_EXIT_USAGE;
        goto out;
    }
    if (!nwords && !nfiles) {
        usage(stderr);
        status = TOOL_EXIT_USAGE;
        goto out;
    }

    if (nwords) {
        specs = malloc(sizeof *specs);
        if (!specs || layer_spec_parse_words(nwords, words, specs, err, sizeof err)) {
            fprintf(stderr, "clconv-count: %s\n", specs ? err : "out of memory");
            status = 1;
            goto out;
        }
        nspecs = 1;
    } else {
        /* every readable file is counted; a bad one is reported and sets the exit status */
        for (int f = 0; f < nfiles; f++) {
            layer_spec *part;
            size_t n;
            int rc = layer_suite_read(files[f], &part, &n, err, sizeof err);
            if (rc) {
                fprintf(stderr, "clconv-count: %s\n", err);
                if (rc == LAYER_SUITE_UNREADABLE)
                    status = TOOL_EXIT_USAGE;
                else if (status == 0)
                    status = 1;
                continue;
            }
            layer_spec *grown = realloc(specs, (nspecs + n + 1) * sizeof *grown);
            if (!grown) {
                free(part);
                fprintf(stderr, "clconv-count: out of memory\n");
                status = 1;
                goto out;
            }
            specs = grown;
            if (n)
                memcpy(specs + nspecs, part, n * sizeof *part);
            nspecs += n;
            free(part);
        }
    }

    rows = calloc(nspecs + 1, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "clconv-count: out of memory\n");
        status = 1;
        goto out;
    }
    for (size_t i = 0; i < nspecs; i++) {
        char where[200];
        snprintf(where, sizeof where, "%s%s%s", specs[i].suite, specs[i].suite[0] ? "/" : "",
                 specs[i].name[0] ? specs[i].name : "layer");
        if (count_layer(&specs[i], &rows[nrows], where) == 0)
            nrows++;
        else if (status == 0)
            status = 1;
    }
    if (json)
        print_json(rows, nrows);
    else if (nrows)
        print_table(rows, nrows);
out:
    free(rows);
    free(specs);
    free(words);
    free(files);
    return tool_exit("clconv-count", status);
}
