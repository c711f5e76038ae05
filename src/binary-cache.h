/* On-disk cache of built program binaries, shared by processes. */
#ifndef CLCONV_BINARY_CACHE_H
#define CLCONV_BINARY_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/internal.h"

/* Folder of the cache: $CLCONV_CACHE_DIR, else $XDG_CACHE_HOME/clconv, else
 * $HOME/.cache/clconv; false (and no folder) when $CLCONV_CACHE=0 or no folder is known. */
bool clconv_binary_cache_dir(char *dir, size_t size);

/* The key of (source, options) on ctx's device: a hash of the source plus the options, the
 * device name, driver and platform versions and clconv's version, as text. malloc'd; NULL
 * when the cache is disabled or memory is short. */
char *clconv_binary_cache_key(const clconv_context *ctx, const char *source, const char *options);

/* Checks the bytes of one entry file against key: magic, lengths, the stored key and the
 * checksum. On success points *binary into buf at the program binary, sets *len and returns
 * true; false for anything corrupt, truncated or written for another key. Pure: no I/O, no
 * OpenCL (the part of the reader that untrusted files reach; fuzzed on its own). */
bool clconv_binary_cache_parse(const unsigned char *buf, size_t size, const char *key,
                               const unsigned char **binary, size_t *len);

/* Builds *program from the cached binary of key. false on a miss, a corrupt, truncated or
 * foreign entry (which is removed), or a binary the driver refuses. */
bool clconv_binary_cache_load(clconv_context *ctx, const char *key, const char *options,
                              cl_program *program);

/* Saves the binary of a built program under key, atomically (temporary file + rename), then
 * evicts least-recently-used entries above the size cap ($CLCONV_CACHE_MAX_MB, default 256).
 * Failures are silent: the cache is an optimisation. */
void clconv_binary_cache_store(const clconv_context *ctx, const char *key, cl_program program);

/* The file of key's entry; false when the cache is off, its folder not private, or the path
 * too long. */
bool clconv_binary_cache_entry_path(const char *key, char *path, size_t size);

/* Removes the entry of key (a program loaded from it proved unusable: no kernel could be made
 * from it); only a clconv entry is removed. */
void clconv_binary_cache_discard(const char *key);

/* Parses a $CLCONV_CACHE_MAX_MB value into *cap bytes: a number of MiB > 0 (fractions and
 * exponents allowed), or "unlimited"; 2^44 MiB or more (inf included) means no eviction
 * (UINT64_MAX). NULL or "" gives the default, 256 MiB. Returns false for anything else (zero,
 * negative, NaN, suffixes such as "1GB"), with *cap the default. */
bool clconv_binary_cache_cap(const char *text, uint64_t *cap);

#endif
