/* Layer specifications for the tools: option words and suite files (see layerspec.h). */
#include "layerspec.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(char *err, size_t size, const char *fmt, ...)
{
    if (err && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const char *layer_kind_name(clconv_kind kind)
{
    return kind == CLCONV_CONV_TRANSPOSE2D ? "tconv" : "conv";
}

static const char *const mode_names[] = {"zeros", "reflect", "replicate", "circular"};

const char *layer_mode_name(clconv_padding_mode mode)
{
    return (unsigned)mode < 4 ? mode_names[mode] : "unknown";
}

const char *layer_dtype_name(clconv_dtype dtype)
{
    return dtype == CLCONV_FLOAT16 ? "f16" : "f32";
}

static int parse_mode(const char *s, clconv_padding_mode *mode)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, mode_names[i]) == 0) {
            *mode = (clconv_padding_mode)i;
            return 0;
        }
    return -1;
}

/* The fused activation, "NAME[:ALPHA[:BETA]]" (NAME as clconv_activation_name writes it,
 * ALPHA and BETA 0 when left out), into the desc's activation fields. */
static int parse_activation(const char *s, clconv_desc *d)
{
    char name[32];
    const size_t len = strcspn(s, ":");
    if (len == 0 || len >= sizeof name)
        return -1;
    memcpy(name, s, len);
    name[len] = '\0';
    clconv_activation a;
    if (clconv_activation_from_name(name, &a) != CLCONV_SUCCESS)
        return -1;
    float v[2] = {0, 0};
    const char *p = s + len;
    for (int k = 0; k < 2 && *p == ':'; k++) {
        char *end;
        v[k] = strtof(p + 1, &end);
        if (end == p + 1)
            return -1;
        if (v[k] == 0)
            v[k] = 0; /* -0 acts as 0 and writes back as a left-out value */
        p = end;
    }
    if (*p)
        return -1;
    d->activation = a;
    d->activation_alpha = v[0];
    d->activation_beta = v[1];
    return 0;
}

static int parse_dtype(const char *s, clconv_dtype *dtype)
{
    if (strcmp(s, "f32") == 0 || strcmp(s, "float32") == 0)
        *dtype = CLCONV_FLOAT32;
    else if (strcmp(s, "f16") == 0 || strcmp(s, "float16") == 0)
        *dtype = CLCONV_FLOAT16;
    else
        return -1;
    return 0;
}

/* One decimal int in [lo, INT_MAX] from s[0..len); -1 if malformed or out of range. */
static int parse_int_n(const char *s, size_t len, int lo, int *v)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (!isdigit((unsigned char)buf[0]) && buf[0] != '-')
        return -1;
    errno = 0;
    char *end;
    long x = strtol(buf, &end, 10);
    if (errno || *end || x < lo || x > INT_MAX)
        return -1;
    *v = (int)x;
    return 0;
}

static int parse_one(const char *s, int lo, int *v)
{
    return parse_int_n(s, strlen(s), lo, v);
}

/* Splits s on sep into exactly n ints >= lo. */
static int parse_ints(const char *s, char sep, int n, int lo, int *v)
{
    for (int i = 0; i < n; i++) {
        const char *e = strchr(s, sep);
        size_t len = (i == n - 1) ? strlen(s) : (e ? (size_t)(e - s) : (size_t)-1);
        if (len == (size_t)-1 || (i == n - 1 && e))
            return -1;
        if (parse_int_n(s, len, lo, &v[i]))
            return -1;
        s += len + 1;
    }
    return 0;
}

/* "A" or "AxB" into a pair (A alone means A, A). */
static int parse_pair(const char *s, int lo, int v[2])
{
    if (strchr(s, 'x'))
        return parse_ints(s, 'x', 2, lo, v);
    if (parse_one(s, lo, v))
        return -1;
    v[1] = v[0];
    return 0;
}

/* Checks a finished spec with the library; err gets the library's message (it names the
 * field) together with the spec's option words. */
static int validate(const layer_spec *spec, const char *where, char *err, size_t size)
{
    int out[4];
    if (clconv_output_shape(&spec->desc, spec->input, out) == CLCONV_SUCCESS)
        return 0;
    char words[512];
    layer_spec_format(spec, words, sizeof words);
    return fail(err, size, "%s%s (layer: %s)", where, clconv_last_error(), words);
}

#define ACTIVATION_SYNTAX                                                                          \
    "NAME[:alpha[:beta]], NAME one of none, relu, relu6, leaky_relu, clamp, sigmoid, tanh, "       \
    "silu, gelu, hardswish"

static const char *const valued_options[] = {
    "--input",  "--out-channels",   "--kernel", "--stride",       "--padding", "--dilation",
    "--groups", "--output-padding", "--dtype",  "--padding-mode", "--name",    "--activation",
};

int layer_spec_option_arity(const char *word)
{
    if (!word || strncmp(word, "--", 2) != 0)
        return -1;
    const char *eq = strchr(word, '=');
    size_t len = eq ? (size_t)(eq - word) : strlen(word);
    for (size_t k = 0; k < sizeof valued_options / sizeof valued_options[0]; k++)
        if (strlen(valued_options[k]) == len && !strncmp(word, valued_options[k], len))
            return eq ? 0 : 1;
    static const char *const flags[] = {"--transposed", "--no-bias", "--bias", "--residual"};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
        if (!strcmp(word, flags[k]))
            return 0;
    return -1;
}

int layer_spec_parse_words(int argc, char **argv, layer_spec *out, char *err, size_t err_size)
{
    layer_spec s;
    memset(&s, 0, sizeof s);
    int have_input = 0, have_oc = 0, have_kernel = 0, same = 0, transposed = 0;
    int input[4] = {0}, oc = 0, kernel[2] = {0}, stride[2] = {1, 1}, pad[4] = {0, 0, 0, 0};
    int dil[2] = {1, 1}, groups = 1, outpad[2] = {0, 0}, bias = 1;
    clconv_padding_mode mode = CLCONV_PADDING_ZEROS;
    clconv_dtype dtype = CLCONV_FLOAT32;
    clconv_desc epilogue; /* its activation fields (--activation) and residual (--residual) */
    memset(&epilogue, 0, sizeof epilogue);

    if (argc < 0 || (argc > 0 && !argv))
        return fail(err, err_size, "no option words");
    for (int i = 0; i < argc; i++) {
        const char *word = argv[i];
        if (!word)
            return fail(err, err_size, "option word %d is NULL", i);
        char opt[64];
        const char *value = NULL;
        const char *eq = strchr(word, '=');
        size_t optlen = eq ? (size_t)(eq - word) : strlen(word);
        if (strncmp(word, "--", 2) != 0 || optlen >= sizeof opt)
            return fail(err, err_size, "unexpected word '%s': options start with --", word);
        memcpy(opt, word, optlen);
        opt[optlen] = '\0';

        /* flags take no value */
        if (!strcmp(opt, "--transposed") || !strcmp(opt, "--no-bias") || !strcmp(opt, "--bias") ||
            !strcmp(opt, "--residual")) {
            if (eq)
                return fail(err, err_size, "%s takes no value (got '%s')", opt, eq + 1);
            if (!strcmp(opt, "--transposed"))
                transposed = 1;
            else if (!strcmp(opt, "--residual"))
                epilogue.residual = 1;
            else
                bias = !strcmp(opt, "--bias");
            continue;
        }
        int known = layer_spec_option_arity(opt) == 1;
        if (!known)
            return fail(err, err_size, "unknown option '%s'", opt);
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc && argv[i + 1])
            value = argv[++i];
        else
            return fail(err, err_size, "%s needs a value", opt);

        int bad = 0;
        const char *expect = "";
        if (!strcmp(opt, "--input")) {
            bad = parse_ints(value, 'x', 4, 1, input);
            expect = "NxCxHxW, each >= 1";
            have_input = 1;
        } else if (!strcmp(opt, "--out-channels")) {
            bad = parse_one(value, 1, &oc);
            expect = "an integer >= 1";
            have_oc = 1;
        } else if (!strcmp(opt, "--kernel")) {
            bad = parse_pair(value, 1, kernel);
            expect = "K or KHxKW, >= 1";
            have_kernel = 1;
        } else if (!strcmp(opt, "--stride")) {
            bad = parse_pair(value, 1, stride);
            expect = "S or SHxSW, >= 1";
        } else if (!strcmp(opt, "--dilation")) {
            bad = parse_pair(value, 1, dil);
            expect = "D or DHxDW, >= 1";
        } else if (!strcmp(opt, "--output-padding")) {
            bad = parse_pair(value, 0, outpad);
            expect = "P or PHxPW, >= 0";
        } else if (!strcmp(opt, "--groups")) {
            bad = parse_one(value, 1, &groups);
            expect = "an integer >= 1";
        } else if (!strcmp(opt, "--padding")) {
            expect = "P, PHxPW, T,B,L,R (each >= 0) or same";
            same = !strcmp(value, "same");
            if (!same) {
                int hw[2];
                if (strchr(value, ',')) {
                    bad = parse_ints(value, ',', 4, 0, pad);
                } else {
                    bad = parse_pair(value, 0, hw);
                    pad[0] = pad[1] = hw[0];
                    pad[2] = pad[3] = hw[1];
                }
            }
        } else if (!strcmp(opt, "--dtype")) {
            bad = parse_dtype(value, &dtype);
            expect = "f32 or f16";
        } else if (!strcmp(opt, "--padding-mode")) {
            bad = parse_mode(value, &mode);
            expect = "zeros, reflect, replicate or circular";
        } else if (!strcmp(opt, "--activation")) {
            bad = parse_activation(value, &epilogue);
            expect = ACTIVATION_SYNTAX;
        } else { /* --name */
            bad = !value[0] || strlen(value) >= sizeof s.name || strpbrk(value, " \t\r\n") != NULL;
            expect = "a non-empty word shorter than 96 characters";
            if (!bad)
                strcpy(s.name, value);
        }
        if (bad)
            return fail(err, err_size, "%s '%s': expected %s", opt, value, expect);
    }
    if (!have_input || !have_oc || !have_kernel)
        return fail(err, err_size, "missing %s (a layer needs --input, --out-channels, --kernel)",
                    !have_input ? "--input"
                    : !have_oc  ? "--out-channels"
                                : "--kernel");

    clconv_desc_init(&s.desc, transposed ? CLCONV_CONV_TRANSPOSE2D : CLCONV_CONV2D, input[1], oc,
                     kernel[0], kernel[1]);
    s.desc.stride_h = stride[0];
    s.desc.stride_w = stride[1];
    s.desc.dilation_h = dil[0];
    s.desc.dilation_w = dil[1];
    s.desc.groups = groups;
    s.desc.output_padding_h = outpad[0];
    s.desc.output_padding_w = outpad[1];
    s.desc.bias = bias;
    s.desc.padding_mode = mode;
    s.desc.dtype = dtype;
    s.desc.pad_top = pad[0];
    s.desc.pad_bottom = pad[1];
    s.desc.pad_left = pad[2];
    s.desc.pad_right = pad[3];
    s.desc.activation = epilogue.activation;
    s.desc.activation_alpha = epilogue.activation_alpha;
    s.desc.activation_beta = epilogue.activation_beta;
    s.desc.residual = epilogue.residual;
    memcpy(s.input, input, sizeof input);
    if (same && clconv_desc_set_padding_same(&s.desc) != CLCONV_SUCCESS)
        return fail(err, err_size, "--padding 'same': %s", clconv_last_error());
    if (validate(&s, "", err, err_size))
        return -1;
    *out = s;
    return 0;
}

int layer_spec_parse_string(const char *text, layer_spec *out, char *err, size_t err_size)
{
    if (!text)
        return fail(err, err_size, "layer spec text is NULL");
    char *copy = malloc(strlen(text) + 1);
    size_t cap = strlen(text) / 2 + 2;
    char **words = malloc(cap * sizeof *words);
    if (!copy || !words) {
        free(copy);
        free(words);
        return fail(err, err_size, "out of memory");
    }
    strcpy(copy, text);
    int n = 0;
    for (char *tok = strtok(copy, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n"))
        words[n++] = tok; /* a word takes >= 2 chars (itself + separator) except the last */
    int rc = layer_spec_parse_words(n, words, out, err, err_size);
    free(words);
    free(copy);
    return rc;
}

void layer_spec_format(const layer_spec *spec, char *buf, size_t size)
{
    if (!buf || !size)
        return;
    buf[0] = '\0';
    if (!spec)
        return;
    const clconv_desc *d = &spec->desc;
    size_t used = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        if (used < size) {                                                                         \
            int w_ = snprintf(buf + used, size - used, __VA_ARGS__);                               \
            used += w_ > 0 ? (size_t)w_ : 0;                                                       \
        }                                                                                          \
    } while (0)
    PUT("--input %dx%dx%dx%d --out-channels %d --kernel %dx%d --stride %dx%d --padding %d,%d,%d,%d "
        "--dilation %dx%d --groups %d",
        spec->input[0], spec->input[1], spec->input[2], spec->input[3], d->out_channels,
        d->kernel_h, d->kernel_w, d->stride_h, d->stride_w, d->pad_top, d->pad_bottom, d->pad_left,
        d->pad_right, d->dilation_h, d->dilation_w, d->groups);
    if (d->kind == CLCONV_CONV_TRANSPOSE2D)
        PUT(" --transposed --output-padding %dx%d", d->output_padding_h, d->output_padding_w);
    if (!d->bias)
        PUT(" --no-bias");
    if (d->padding_mode != CLCONV_PADDING_ZEROS)
        PUT(" --padding-mode %s", layer_mode_name(d->padding_mode));
    if (d->dtype != CLCONV_FLOAT32)
        PUT(" --dtype %s", layer_dtype_name(d->dtype));
    if (d->activation != CLCONV_ACTIVATION_NONE) {
        PUT(" --activation %s", clconv_activation_name(d->activation));
        if (d->activation_alpha != 0 || d->activation_beta != 0) {
            /* the shortest form that reads back to the same float */
            const float ab[2] = {d->activation_alpha, d->activation_beta};
            for (int k = 0; k < 2; k++) {
                char num[32];
                snprintf(num, sizeof num, "%g", ab[k]);
                if (strtof(num, NULL) != ab[k])
                    snprintf(num, sizeof num, "%.9g", ab[k]);
                PUT(":%s", num);
            }
        }
    }
    if (d->residual)
        PUT(" --residual");
    if (spec->name[0])
        PUT(" --name %s", spec->name);
#undef PUT
}

/* ---- suite files -------------------------------------------------------------------------- */

#define SUITE_COLUMNS 20
#define SUITE_EXTRAS 3 /* optional columns after them, in any order: dtype, act=..., residual */

static int parse_suite_line(char *line, const char *path, int lineno, const char *suite,
                            layer_spec *spec, char *err, size_t err_size)
{
    static const char *const cols[] = {"name", "kind", "n",   "c",   "h",    "w",    "oc",
                                       "kh",   "kw",   "sh",  "sw",  "ph",   "pw",   "dh",
                                       "dw",   "g",    "oph", "opw", "bias", "mode", "dtype"};
    char *tok[SUITE_COLUMNS + SUITE_EXTRAS];
    int n = 0;
    for (char *t = strtok(line, " \t\r\n"); t; t = strtok(NULL, " \t\r\n")) {
        if (n == SUITE_COLUMNS + SUITE_EXTRAS)
            return fail(err, err_size,
                        "%s:%d: %d columns or more, expected %d and at most %d of dtype, "
                        "act=NAME[:alpha[:beta]], residual",
                        path, lineno, n + 1, SUITE_COLUMNS, SUITE_EXTRAS);
        tok[n++] = t;
    }
    if (n < SUITE_COLUMNS)
        return fail(err, err_size,
                    "%s:%d: %d columns, expected %d: name kind n c h w oc kh kw sh "
                    "sw ph pw dh dw g oph opw bias mode",
                    path, lineno, n, SUITE_COLUMNS);
    memset(spec, 0, sizeof *spec);
    if (strlen(tok[0]) >= sizeof spec->name)
        return fail(err, err_size, "%s:%d: name '%s' is longer than %zu characters", path, lineno,
                    tok[0], sizeof spec->name - 1);
    strcpy(spec->name, tok[0]);
    snprintf(spec->suite, sizeof spec->suite, "%s", suite);
    clconv_kind kind;
    if (!strcmp(tok[1], "conv"))
        kind = CLCONV_CONV2D;
    else if (!strcmp(tok[1], "tconv"))
        kind = CLCONV_CONV_TRANSPOSE2D;
    else
        return fail(err, err_size, "%s:%d: kind '%s': expected conv or tconv", path, lineno,
                    tok[1]);
    int v[17];                 /* columns 2..18 */
    int pad[4] = {0, 0, 0, 0}; /* ph and pw: "P" (both sides) or "T,B" / "L,R" */
    for (int i = 2; i <= 18; i++) {
        /* sizes, kernel, stride, dilation and groups are >= 1; padding and flags >= 0 */
        int lo = (i >= 11 && i <= 12) || i >= 16 ? 0 : 1;
        if ((i == 11 || i == 12) && strchr(tok[i], ',')) {
            if (parse_ints(tok[i], ',', 2, 0, &pad[2 * (i - 11)]))
                return fail(err, err_size,
                            "%s:%d: column %s = '%s': expected an integer >= 0 or two "
                            "(before,after)",
                            path, lineno, cols[i], tok[i]);
            v[i - 2] = 0;
            continue;
        }
        if (i == 11 || i == 12) {
            if (parse_one(tok[i], lo, &v[i - 2]))
                return fail(err, err_size,
                            "%s:%d: column %s = '%s': expected an integer >= 0 or two "
                            "(before,after)",
                            path, lineno, cols[i], tok[i]);
            pad[2 * (i - 11)] = pad[2 * (i - 11) + 1] = v[i - 2];
            continue;
        }
        if (parse_one(tok[i], lo, &v[i - 2]))
            return fail(err, err_size, "%s:%d: column %s = '%s': expected an integer >= %d", path,
                        lineno, cols[i], tok[i], lo);
    }
    if (v[16] > 1)
        return fail(err, err_size, "%s:%d: column bias = '%s': expected 0 or 1", path, lineno,
                    tok[18]);
    clconv_padding_mode mode;
    if (parse_mode(tok[19], &mode))
        return fail(err, err_size,
                    "%s:%d: column mode = '%s': expected zeros, reflect, replicate or circular",
                    path, lineno, tok[19]);
    clconv_dtype dtype = CLCONV_FLOAT32;
    clconv_desc epi;
    memset(&epi, 0, sizeof epi);
    for (int i = SUITE_COLUMNS, dtypes = 0, acts = 0; i < n; i++) {
        int bad;
        if (!strncmp(tok[i], "act=", 4))
            bad = acts++ || parse_activation(tok[i] + 4, &epi);
        else if (!strcmp(tok[i], "residual"))
            bad = epi.residual++;
        else
            bad = dtypes++ || parse_dtype(tok[i], &dtype);
        if (bad)
            return fail(err, err_size,
                        "%s:%d: column %d = '%s': expected f32, f16, act=%s, or residual (each "
                        "at most once)",
                        path, lineno, i + 1, tok[i], ACTIVATION_SYNTAX);
    }
    spec->input[0] = v[0];
    spec->input[1] = v[1];
    spec->input[2] = v[2];
    spec->input[3] = v[3];
    clconv_desc *d = &spec->desc;
    clconv_desc_init(d, kind, v[1], v[4], v[5], v[6]);
    d->stride_h = v[7];
    d->stride_w = v[8];
    d->pad_top = pad[0];
    d->pad_bottom = pad[1];
    d->pad_left = pad[2];
    d->pad_right = pad[3];
    d->dilation_h = v[11];
    d->dilation_w = v[12];
    d->groups = v[13];
    d->output_padding_h = v[14];
    d->output_padding_w = v[15];
    d->bias = v[16];
    d->padding_mode = mode;
    d->dtype = dtype;
    d->activation = epi.activation;
    d->activation_alpha = epi.activation_alpha;
    d->activation_beta = epi.activation_beta;
    d->residual = epi.residual;
    char where[1100];
    snprintf(where, sizeof where, "%s:%d: layer %s: ", path, lineno, spec->name);
    return validate(spec, where, err, err_size);
}

int layer_suite_read(const char *path, layer_spec **layers, size_t *count, char *err,
                     size_t err_size)
{
    if (!path || !layers || !count)
        return fail(err, err_size, "layer_suite_read: NULL argument");
    FILE *f = fopen(path, "r");
    if (!f) {
        fail(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return LAYER_SUITE_UNREADABLE;
    }

    /* suite = base name without .txt */
    char suite[64];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t blen = strlen(base);
    if (blen > 4 && !strcmp(base + blen - 4, ".txt"))
        blen -= 4;
    if (blen >= sizeof suite)
        blen = sizeof suite - 1;
    memcpy(suite, base, blen);
    suite[blen] = '\0';

    layer_spec *list = NULL;
    size_t n = 0, cap = 0;
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            rc = fail(err, err_size, "%s:%d: line longer than %zu characters", path, lineno,
                      sizeof line - 2);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            layer_spec *grown = realloc(list, ncap * sizeof *grown);
            if (!grown) {
                rc = fail(err, err_size, "%s:%d: out of memory", path, lineno);
                break;
            }
            list = grown;
            cap = ncap;
        }
        if (parse_suite_line(line, path, lineno, suite, &list[n], err, err_size)) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < n; i++)
            if (!strcmp(list[i].name, list[n].name)) {
                rc = fail(err, err_size, "%s:%d: layer name '%s' repeats an earlier line", path,
                          lineno, list[n].name);
                break;
            }
        if (rc)
            break;
        n++;
    }
    if (!rc && ferror(f))
        rc = fail(err, err_size, "%s: read error", path);
    fclose(f);
    if (rc) {
        free(list);
        return -1;
    }
    if (n == 0) {
        free(list);
        list = NULL;
    }
    *layers = list;
    *count = n;
    return 0;
}
