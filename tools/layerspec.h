/* Layer specifications for the tools: torch-style option words and layer-suite files.
 *
 * A layer is a clconv_desc plus an input shape and a name. The tools take one layer from
 * options that read like torch's constructor arguments, or many from suite files (format:
 * tools/suites/README.md, one layer a line). Everything returned is validated with
 * clconv_output_shape, so a spec that parses is a layer clconv accepts. */
#ifndef CLCONV_TOOLS_LAYERSPEC_H
#define CLCONV_TOOLS_LAYERSPEC_H

#include <stddef.h>

#include <clconv.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct layer_spec {
    char name[96];  /* suite: the name column; options: --name, else "" */
    char suite[64]; /* suite file's base name without ".txt"; "" for options */
    clconv_desc desc;
    int input[4]; /* N, C, H, W */
} layer_spec;

/* Reads a suite file: whitespace-separated columns
 *   name kind n c h w oc kh kw sh sw ph pw dh dw g oph opw bias mode [dtype] [act=A] [residual]
 * kind is conv or tconv; ph and pw are one padding for both sides or "before,after"; bias 0 or 1,
 * mode zeros|reflect|replicate|circular; then, in any order and at most once each: f32
 * (default) or f16, act=NAME[:ALPHA[:BETA]] (the fused activation, as --activation) and
 * residual (as --residual). '#' starts a comment; blank
 * lines are skipped. Layer names must be unique within the file. suite is the file's base name
 * without ".txt". On success *layers is malloc'd (the caller frees it; NULL when *count is 0)
 * and 0 is returned. On failure *layers and *count are untouched, err (if non-NULL) holds
 * "FILE:LINE: what is wrong" (or "FILE: ..." for an unreadable file), and the result is -1
 * for a malformed file or LAYER_SUITE_UNREADABLE for one that cannot be opened (the tools
 * treat that as a usage error). */
#define LAYER_SUITE_UNREADABLE (-2)
int layer_suite_read(const char *path, layer_spec **layers, size_t *count, char *err,
                     size_t err_size);

/* Parses torch-style option words into *out:
 *   --input NxCxHxW  --out-channels N  --kernel K|KHxKW        (required)
 *   --stride S|SHxSW  --padding P|PHxPW|T,B,L,R|same  --dilation D|DHxDW  --groups G
 *   --transposed  --output-padding P|PHxPW  --no-bias  --dtype f32|f16
 *   --padding-mode zeros|reflect|replicate|circular  --name NAME
 *   --activation NAME[:ALPHA[:BETA]]  --residual   (the fused epilogue: NAME as
 *     clconv_activation_name writes it; ALPHA and BETA clconv_desc's activation_alpha/beta,
 *     0 when left out; --residual sets desc.residual)
 * "--option=value" works too. Defaults are torch's (stride 1, padding 0, dilation 1, groups
 * 1, bias on, zeros, float32). Unknown words, malformed or missing values, and layers that
 * clconv_output_shape rejects are errors: -1 with a message naming the option and value
 * (or the rejected field) in err; *out is untouched. Returns 0 on success. */
int layer_spec_parse_words(int argc, char **argv, layer_spec *out, char *err, size_t err_size);

/* As layer_spec_parse_words, from one string split on whitespace, e.g.
 * "--input 1x64x56x56 --out-channels 64 --kernel 3 --padding 1". */
int layer_spec_parse_string(const char *text, layer_spec *out, char *err, size_t err_size);

/* Writes the spec as option words that layer_spec_parse_string reads back to the same desc,
 * input and name (padding always as T,B,L,R). buf is always NUL-terminated (truncated if
 * size is too small). */
void layer_spec_format(const layer_spec *spec, char *buf, size_t size);

/* For command lines that mix layer options with other words: 1 if word (an option, possibly
 * "--opt=value") is a layer option that takes a separate value word, 0 if it is a layer flag or
 * carries its value after '=', -1 if it is no layer option. */
int layer_spec_option_arity(const char *word);

/* Short names used by the suite format and the options. */
const char *layer_kind_name(clconv_kind kind);         /* "conv" / "tconv" */
const char *layer_mode_name(clconv_padding_mode mode); /* "zeros", ... */
const char *layer_dtype_name(clconv_dtype dtype);      /* "f32" / "f16" */

#ifdef __cplusplus
}
#endif

#endif
