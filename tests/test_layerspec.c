/* The tools' layer specs: option words, suite files, round trips and every rejection. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clconv.h>

#include "layerspec.h"

static layer_spec parse_ok(const char *text)
{
    layer_spec s;
    char err[1024] = "";
    ck_assert_msg(layer_spec_parse_string(text, &s, err, sizeof err) == 0, "'%s': %s", text, err);
    return s;
}

static void parse_bad(const char *text, const char *needle)
{
    layer_spec s;
    memset(&s, 0x33, sizeof s);
    layer_spec before = s;
    char err[1024] = "";
    ck_assert_msg(layer_spec_parse_string(text, &s, err, sizeof err) == -1, "'%s' accepted", text);
    ck_assert_msg(strstr(err, needle) != NULL, "'%s': message \"%s\" lacks \"%s\"", text, err,
                  needle);
    ck_assert_msg(memcmp(&s, &before, sizeof s) == 0, "'%s': out written on error", text);
}

START_TEST(test_options)
{
    layer_spec s = parse_ok("--input 2x64x56x56 --out-channels 128 --kernel 3 --stride 2 "
                            "--padding 1 --groups 2 --dilation 1");
    ck_assert_int_eq(s.desc.kind, CLCONV_CONV2D);
    ck_assert_int_eq(s.input[0], 2);
    ck_assert_int_eq(s.input[3], 56);
    ck_assert_int_eq(s.desc.in_channels, 64);
    ck_assert_int_eq(s.desc.out_channels, 128);
    ck_assert_int_eq(s.desc.kernel_h, 3);
    ck_assert_int_eq(s.desc.kernel_w, 3);
    ck_assert_int_eq(s.desc.stride_w, 2);
    ck_assert_int_eq(s.desc.pad_top + s.desc.pad_bottom + s.desc.pad_left + s.desc.pad_right, 4);
    ck_assert_int_eq(s.desc.groups, 2);
    ck_assert_int_eq(s.desc.bias, 1);
    ck_assert_int_eq(s.desc.dtype, CLCONV_FLOAT32);
    ck_assert_str_eq(s.name, "");
    ck_assert_int_eq(s.desc.activation, CLCONV_ACTIVATION_NONE);
    ck_assert_int_eq(s.desc.residual, 0);

    s = parse_ok("--input 1x8x8x8 --out-channels 8 --kernel 3 --activation clamp:-0.5:0.75 "
                 "--residual");
    ck_assert_int_eq(s.desc.activation, CLCONV_ACTIVATION_CLAMP);
    ck_assert_float_eq(s.desc.activation_alpha, -0.5f);
    ck_assert_float_eq(s.desc.activation_beta, 0.75f);
    ck_assert_int_eq(s.desc.residual, 1);
    s = parse_ok("--input 1x8x8x8 --out-channels 8 --kernel 3 --activation=LEAKY_RELU:0.01");
    ck_assert_int_eq(s.desc.activation, CLCONV_ACTIVATION_LEAKY_RELU);
    ck_assert_float_eq(s.desc.activation_alpha, 0.01f);
    ck_assert_float_eq(s.desc.activation_beta, 0.0f);
    ck_assert_int_eq(layer_spec_option_arity("--residual"), 0);
    ck_assert_int_eq(layer_spec_option_arity("--activation"), 1);

    s = parse_ok("--input=1x8x9x10 --out-channels=4 --kernel=1x3 --padding=1,2,3,4 --stride 1x2 "
                 "--dilation 2x1 --no-bias --dtype f16 --padding-mode reflect --name a.b");
    ck_assert_int_eq(s.desc.kernel_h, 1);
    ck_assert_int_eq(s.desc.kernel_w, 3);
    ck_assert_int_eq(s.desc.pad_top, 1);
    ck_assert_int_eq(s.desc.pad_bottom, 2);
    ck_assert_int_eq(s.desc.pad_left, 3);
    ck_assert_int_eq(s.desc.pad_right, 4);
    ck_assert_int_eq(s.desc.stride_h, 1);
    ck_assert_int_eq(s.desc.stride_w, 2);
    ck_assert_int_eq(s.desc.dilation_h, 2);
    ck_assert_int_eq(s.desc.bias, 0);
    ck_assert_int_eq(s.desc.dtype, CLCONV_FLOAT16);
    ck_assert_int_eq(s.desc.padding_mode, CLCONV_PADDING_REFLECT);
    ck_assert_str_eq(s.name, "a.b");

    /* 'same' with an even kernel: torch puts the odd pixel at the end */
    s = parse_ok("--input 1x3x8x8 --out-channels 3 --kernel 4 --padding same");
    ck_assert_int_eq(s.desc.pad_top, 1);
    ck_assert_int_eq(s.desc.pad_bottom, 2);

    s = parse_ok("--input 1x4x5x5 --out-channels 6 --kernel 3 --transposed --stride 2 "
                 "--output-padding 1 --groups 2");
    ck_assert_int_eq(s.desc.kind, CLCONV_CONV_TRANSPOSE2D);
    ck_assert_int_eq(s.desc.output_padding_h, 1);
    ck_assert_int_eq(s.desc.output_padding_w, 1);

    /* the fused epilogue, and its round trip through layer_spec_format */
    s = parse_ok(
        "--input 1x4x8x8 --out-channels 4 --kernel 3 --activation leaky_relu:0.1 --residual");
    ck_assert_int_eq(s.desc.activation, CLCONV_ACTIVATION_LEAKY_RELU);
    ck_assert(s.desc.activation_alpha == 0.1f && s.desc.activation_beta == 0.0f);
    ck_assert_int_eq(s.desc.residual, 1);
    char words[512];
    layer_spec_format(&s, words, sizeof words);
    layer_spec back = parse_ok(words);
    ck_assert(back.desc.activation == s.desc.activation &&
              back.desc.activation_alpha == s.desc.activation_alpha &&
              back.desc.residual == s.desc.residual);
    s = parse_ok("--input 1x4x8x8 --out-channels 4 --kernel 3 --activation clamp:-1.5:6");
    ck_assert(s.desc.activation == CLCONV_ACTIVATION_CLAMP && s.desc.activation_alpha == -1.5f &&
              s.desc.activation_beta == 6.0f && !s.desc.residual);
    /* -0 is 0: the spec writes the pair back as left out, and it reads back bit for bit */
    s = parse_ok("--input 1x4x8x8 --out-channels 4 --kernel 3 --activation clamp:-0:0");
    layer_spec_format(&s, words, sizeof words);
    back = parse_ok(words);
    ck_assert(!memcmp(&back.desc, &s.desc, sizeof s.desc));
    s = parse_ok("--input 1x4x8x8 --out-channels 4 --kernel 3 --residual");
    ck_assert(s.desc.activation == CLCONV_ACTIVATION_NONE && s.desc.residual);
    layer_spec_format(&s, words, sizeof words);
    ck_assert_ptr_nonnull(strstr(words, " --residual"));
}
END_TEST

START_TEST(test_option_errors)
{
    const char *base = "--input 1x4x8x8 --out-channels 4 --kernel 3";
    char text[256];
    parse_bad("--input 1x4x8 --out-channels 4 --kernel 3", "--input '1x4x8'");
    parse_bad("--input 1x4x8x8 --out-channels 4 --kernel 3 --activation swish",
              "--activation 'swish'");
    parse_bad("--input 1x4x8x8 --out-channels 4 --kernel 3 --activation relu+bias",
              "--activation 'relu+bias'");
    parse_bad("--input 1x4x8x8 --out-channels 4 --kernel 3 --residual=1",
              "--residual takes no value");
    parse_bad("--input 1x4x8x8 --out-channels 4 --kernel 3 --activation clamp:0:6:1",
              "--activation 'clamp:0:6:1'");
    parse_bad("--input 1x4x8x8 --out-channels 0 --kernel 3", "--out-channels '0'");
    parse_bad("--input 1x4x8x8 --out-channels 4 --kernel 3x", "--kernel '3x'");
    parse_bad("--input 1x4x8x8 --out-channels 4", "missing --kernel");
    parse_bad("--out-channels 4 --kernel 3", "missing --input");
    parse_bad("--input 1x4x8x8 --kernel 3", "missing --out-channels");
    parse_bad("--input 1x4x8x8 --out-channels 4 --kernel", "--kernel needs a value");
    parse_bad("", "missing --input");
    static const struct {
        const char *extra, *needle;
    } bad[] = {
        {"--stride 0", "--stride '0'"},
        {"--padding 1,2,3", "--padding '1,2,3'"},
        {"--padding -1", "--padding '-1'"},
        {"--padding 99999999999", "--padding '99999999999'"},
        {"--dilation x", "--dilation 'x'"},
        {"--groups 3", "groups = 3"},
        {"--dtype f64", "--dtype 'f64'"},
        {"--padding-mode mirror", "--padding-mode 'mirror'"},
        {"--bogus", "unknown option '--bogus'"},
        {"stray", "unexpected word 'stray'"},
        {"--no-bias=1", "--no-bias takes no value"},
        {"--padding 8 --padding-mode reflect", "reflect padding must be < input H"},
        {"--transposed --stride 2 --output-padding 2", "output_padding_h = 2"},
        {"--padding same --stride 2", "--padding 'same'"},
        {"--name has\tspace", "unexpected word 'space'"},
        {"--activation swish", "--activation 'swish'"},
        {"--activation relu:x", "--activation 'relu:x'"},
        {"--activation clamp:1:2:3", "--activation 'clamp:1:2:3'"},
        {"--activation clamp:1:0", "clamp needs min <= max"},
        {"--activation leaky_relu:nan", "activation_alpha = nan"},
        {"--residual=1", "--residual takes no value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "%s %s", base, bad[i].extra);
        parse_bad(text, bad[i].needle);
    }
    ck_assert_int_eq(layer_spec_option_arity("--kernel"), 1);
    ck_assert_int_eq(layer_spec_option_arity("--kernel=3"), 0);
    ck_assert_int_eq(layer_spec_option_arity("--transposed"), 0);
    ck_assert_int_eq(layer_spec_option_arity("--kern"), -1);
    ck_assert_int_eq(layer_spec_option_arity("file.txt"), -1);
}
END_TEST

/* Every layer of every shipped suite parses, validates and survives a format/parse round
 * trip unchanged. */
START_TEST(test_shipped_suites)
{
    const char *dir = getenv("CLCONV_SUITES_DIR");
    ck_assert_msg(dir != NULL, "CLCONV_SUITES_DIR is not set");
    static const char *const suites[] = {"resnet50",       "mobilenetv2", "grouped", "transposed",
                                         "dilated_padded", "tiny",        "fused"};
    size_t total = 0;
    for (size_t f = 0; f < sizeof suites / sizeof suites[0]; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.txt", dir, suites[f]);
        layer_spec *layers = NULL;
        size_t n = 0;
        char err[1024] = "";
        ck_assert_msg(layer_suite_read(path, &layers, &n, err, sizeof err) == 0, "%s", err);
        ck_assert_msg(n >= 4, "%s: %zu layers", path, n);
        for (size_t i = 0; i < n; i++) {
            ck_assert_str_eq(layers[i].suite, suites[f]);
            char words[1024];
            layer_spec_format(&layers[i], words, sizeof words);
            layer_spec back = parse_ok(words);
            ck_assert_msg(memcmp(&back.desc, &layers[i].desc, sizeof back.desc) == 0 &&
                              memcmp(back.input, layers[i].input, sizeof back.input) == 0,
                          "%s: round trip through '%s' differs", layers[i].name, words);
            ck_assert_str_eq(back.name, layers[i].name);
            int out[4];
            ck_assert_int_eq(clconv_output_shape(&layers[i].desc, layers[i].input, out),
                             CLCONV_SUCCESS);
        }
        total += n;
        free(layers);
    }
    ck_assert_uint_ge(total, 50);
}
END_TEST

/* Writes text to a temporary file named like NAME.txt and reads it as a suite. */
static int read_text(const char *text, layer_spec **layers, size_t *n, char *err, size_t size,
                     char *path, size_t path_size)
{
    snprintf(path, path_size, "/tmp/clconv-layerspec-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    int rc = layer_suite_read(path, layers, n, err, size);
    unlink(path);
    return rc;
}

START_TEST(test_suite_errors)
{
    const char *good = "a conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros\n";
    static const struct {
        const char *line;
        int lineno;
        const char *needle;
    } bad[] = {
        {"b conv 1 4 8 8\n", 3, "6 columns, expected 20"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros f32 extra\n", 3, "column 22 = 'extra'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros f32 residual act=relu x\n", 3,
         "24 columns or more"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros residual residual\n", 3,
         "column 22 = 'residual'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros act=swish\n", 3,
         "column 21 = 'act=swish'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros act=clamp:1:0\n", 3, "clamp needs min"},
        {"b dconv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros\n", 3, "kind 'dconv'"},
        {"b conv 1 4 8 8 4 3 3 0 1 1 1 1 1 1 0 0 1 zeros\n", 3, "column sh = '0'"},
        {"b conv 1 4 8 8 4 3 3 1 1 -1 1 1 1 1 0 0 1 zeros\n", 3, "column ph = '-1'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 2 zeros\n", 3, "column bias = '2'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 mirror\n", 3, "column mode = 'mirror'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros f8\n", 3, "column 21 = 'f8'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 3 0 0 1 zeros\n", 3, "groups = 3"},
        {"a conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros\n", 3, "'a' repeats"},
        {"b conv 1 4 8 8 4 3 3 1 1 1x 1 1 1 1 0 0 1 zeros\n", 3, "column ph = '1x'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1,2,3 1 1 1 1 0 0 1 zeros\n", 3, "column ph = '1,2,3'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros act=mish\n", 3, "act=mish"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros residual residual\n", 3, "'residual'"},
        {"b conv 1 4 8 8 4 3 3 1 1 1 0,-1 1 1 1 0 0 1 zeros\n", 3, "column pw = '0,-1'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512], err[1024] = "", path[64], expect[128];
        snprintf(text, sizeof text, "# header\n%s%s", good, bad[i].line);
        layer_spec *layers = (layer_spec *)&text; /* must stay untouched */
        size_t n = 77;
        ck_assert_int_eq(read_text(text, &layers, &n, err, sizeof err, path, sizeof path), -1);
        snprintf(expect, sizeof expect, "%s:%d: ", path, bad[i].lineno);
        ck_assert_msg(strncmp(err, expect, strlen(expect)) == 0, "'%s' does not start with '%s'",
                      err, expect);
        ck_assert_msg(strstr(err, bad[i].needle) != NULL, "'%s' lacks '%s'", err, bad[i].needle);
        ck_assert(layers == (layer_spec *)&text && n == 77);
    }
    /* comments, blank lines, CRLF and the dtype column */
    char err[1024] = "", path[64];
    layer_spec *layers = NULL;
    size_t n = 0;
    ck_assert_int_eq(read_text("\n  # only a comment\n\r\n"
                               "x tconv 2 4 5 5 6 3 3 2 2 1 1 1 1 2 1 1 0 zeros f16 # trailing\r\n",
                               &layers, &n, err, sizeof err, path, sizeof path),
                     0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(layers[0].desc.kind, CLCONV_CONV_TRANSPOSE2D);
    ck_assert_int_eq(layers[0].desc.dtype, CLCONV_FLOAT16);
    ck_assert_int_eq(layers[0].desc.output_padding_w, 1);
    ck_assert_int_eq(layers[0].desc.bias, 0);
    ck_assert_int_eq(layers[0].input[0], 2);
    ck_assert_int_eq(layers[0].desc.pad_top, 1);
    ck_assert_int_eq(layers[0].desc.pad_right, 1);
    free(layers);
    /* the epilogue columns, after the dtype column or before it */
    ck_assert_int_eq(read_text("e conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros f16 act=relu6\n"
                               "f conv 1 4 8 8 4 3 3 1 1 1 1 1 1 1 0 0 1 zeros residual act=relu\n",
                               &layers, &n, err, sizeof err, path, sizeof path),
                     0);
    ck_assert_uint_eq(n, 2);
    ck_assert(layers[0].desc.activation == CLCONV_ACTIVATION_RELU6 && !layers[0].desc.residual);
    ck_assert_int_eq(layers[0].desc.dtype, CLCONV_FLOAT16);
    ck_assert(layers[1].desc.activation == CLCONV_ACTIVATION_RELU && layers[1].desc.residual);
    free(layers);
    /* asymmetric padding: ph and pw as before,after */
    ck_assert_int_eq(read_text("y conv 1 4 8 8 4 3 3 2 2 0,1 1,2 1 1 1 0 0 1 zeros\n", &layers, &n,
                               err, sizeof err, path, sizeof path),
                     0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(layers[0].desc.pad_top, 0);
    ck_assert_int_eq(layers[0].desc.pad_bottom, 1);
    ck_assert_int_eq(layers[0].desc.pad_left, 1);
    ck_assert_int_eq(layers[0].desc.pad_right, 2);
    free(layers);
    /* an empty suite is valid and yields no layers */
    ck_assert_int_eq(read_text("# nothing\n", &layers, &n, err, sizeof err, path, sizeof path), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(layers);
    /* a missing file names itself */
    ck_assert_int_eq(layer_suite_read("/nonexistent/x.txt", &layers, &n, err, sizeof err),
                     LAYER_SUITE_UNREADABLE);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.txt: cannot open"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("layerspec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_options);
    tcase_add_test(tc, test_option_errors);
    tcase_add_test(tc, test_shipped_suites);
    tcase_add_test(tc, test_suite_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
