/* On-disk cache of program binaries. Each entry is one file named by a hash of its key:
 *   "CLCVBIN2" | u32 key length | u64 binary length | u64 checksum | key | binary
 * The full key is stored and compared, so a hash collision or an entry of another device,
 * driver or clconv version reads as a miss; the checksum covers the key and the binary, so a
 * corrupt entry or a binary moved under another key is refused. Writers use a temporary file
 * and rename(), so readers never see half an entry.
 *
 * The entries are native code the driver loads, so the folder must be the user's own and not
 * writable by group or others (as ssh treats its keys), or the cache is not used. Entries are
 * opened without following links or blocking, and only regular files are read. Eviction
 * removes only files whose name and magic are clconv's. */
#include "src/binary-cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char MAGIC[8] = {'C', 'L', 'C', 'V', 'B', 'I', 'N', '2'};
#define HEADER_SIZE (8 + 4 + 8 + 8)
#define ENTRY_SUFFIX ".clbin"

static uint64_t fnv1a(const void *data, size_t size, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < size; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_BASIS 0xcbf29ce484222325ull

static pthread_mutex_t binaries_lock = PTHREAD_MUTEX_INITIALIZER;

static bool cache_log(void)
{
    const char *v = getenv("CLCONV_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

/* The folder is safe to load native code from: a directory of this user, not writable by
 * group or others. A missing folder is safe (it is created 0700). */
static bool dir_is_private(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT;
    const char *why = NULL;
    if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    else if (st.st_uid != geteuid())
        why = "owned by another user";
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
        why = "writable by group or others";
    if (why && cache_log())
        fprintf(stderr,
                "clconv: program cache %s not used: %s (chmod go-w, or set "
                "CLCONV_CACHE_DIR)\n",
                dir, why);
    return !why;
}

bool clconv_binary_cache_dir(char *dir, size_t size)
{
    const char *enabled = getenv("CLCONV_CACHE");
    if (enabled && !strcmp(enabled, "0"))
        return false;
    const char *env = getenv("CLCONV_CACHE_DIR");
    int n;
    if (env && *env) {
        n = snprintf(dir, size, "%s", env);
    } else if ((env = getenv("XDG_CACHE_HOME")) && *env) {
        n = snprintf(dir, size, "%s/clconv", env);
    } else if ((env = getenv("HOME")) && *env) {
        n = snprintf(dir, size, "%s/.cache/clconv", env);
    } else {
        return false;
    }
    return n > 0 && (size_t)n < size;
}

/* The folder for binaries: clconv_binary_cache_dir, when it is private. */
static bool binaries_dir(char *dir, size_t size)
{
    return clconv_binary_cache_dir(dir, size) && dir_is_private(dir);
}

/* mkdir -p; the last level private */
static bool make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return false;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

char *clconv_binary_cache_key(const clconv_context *ctx, const char *source, const char *options)
{
    char dir[4096];
    if (!clconv_binary_cache_dir(dir, sizeof dir))
        return NULL;
    const clconv_device_info *d = &ctx->info;
    unsigned long long src_hash = (unsigned long long)fnv1a(source, strlen(source), FNV_BASIS);
    const char *fmt = "source=%016llx;options=%s;device=%s;driver=%s;platform=%s;clconv=%s";
    int n = snprintf(NULL, 0, fmt, src_hash, options, d->device_name, d->driver_version,
                     d->platform_version, CLCONV_VERSION_STRING);
    char *key = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (key)
        snprintf(key, (size_t)n + 1, fmt, src_hash, options, d->device_name, d->driver_version,
                 d->platform_version, CLCONV_VERSION_STRING);
    return key;
}

bool clconv_binary_cache_entry_path(const char *key, char *path, size_t size)
{
    char dir[4096];
    if (!binaries_dir(dir, sizeof dir))
        return false;
    unsigned long long h = (unsigned long long)fnv1a(key, strlen(key), FNV_BASIS);
    int n = snprintf(path, size, "%s/%016llx" ENTRY_SUFFIX, dir, h);
    return n > 0 && (size_t)n < size;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get_u(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Opens path for reading if it is a regular file (no link followed, never blocking on a FIFO
 * or device); -1 otherwise. */
static int open_regular(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads the whole entry file; NULL if missing, not a regular file or unreadable. */
static unsigned char *read_file(const char *path, size_t *size)
{
    struct stat st;
    int fd = open_regular(path, &st);
    if (fd < 0)
        return NULL;
    unsigned char *buf = NULL;
    if (st.st_size >= HEADER_SIZE && (uint64_t)st.st_size < ((uint64_t)1 << 31) &&
        (buf = malloc((size_t)st.st_size))) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (got == (size_t)st.st_size) {
            *size = got;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    close(fd);
    return buf;
}

/* The checksum of an entry: its key and its binary. */
static uint64_t entry_checksum(const char *key, size_t key_len, const unsigned char *bin,
                               size_t bin_len)
{
    return fnv1a(bin, bin_len, fnv1a(key, key_len, FNV_BASIS));
}

/* True when path is a regular file that starts with clconv's magic. */
static bool is_clconv_entry(const char *path)
{
    struct stat st;
    int fd = open_regular(path, &st);
    if (fd < 0)
        return false;
    char magic[8];
    bool ours = read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
                (!memcmp(magic, MAGIC, 7)); /* any version of the format */
    close(fd);
    return ours;
}

bool clconv_binary_cache_parse(const unsigned char *buf, size_t size, const char *key,
                               const unsigned char **binary, size_t *len)
{
    if (!buf || !key || size < HEADER_SIZE || memcmp(buf, MAGIC, 8))
        return false;
    size_t key_len = strlen(key);
    uint64_t stored_key_len = get_u(buf + 8, 4);
    uint64_t bin_len = get_u(buf + 12, 8);
    /* compared by subtraction so that no sum can wrap */
    if (stored_key_len != key_len || key_len > size - HEADER_SIZE || bin_len == 0 ||
        bin_len != size - HEADER_SIZE - key_len || memcmp(buf + HEADER_SIZE, key, key_len))
        return false;
    const unsigned char *bin = buf + HEADER_SIZE + key_len;
    if (get_u(buf + 20, 8) != entry_checksum(key, key_len, bin, (size_t)bin_len))
        return false;
    *binary = bin;
    *len = (size_t)bin_len;
    return true;
}

bool clconv_binary_cache_load(clconv_context *ctx, const char *key, const char *options,
                              cl_program *program)
{
    char path[4200];
    if (!key || !clconv_binary_cache_entry_path(key, path, sizeof path))
        return false;
    size_t size = 0;
    unsigned char *buf = read_file(path, &size);
    if (!buf)
        return false;
    const unsigned char *binary = NULL;
    size_t len = 0;
    bool valid = clconv_binary_cache_parse(buf, size, key, &binary, &len);
    bool ok = false;
    if (valid) {
        cl_int status = CL_SUCCESS, err;
        cl_program p =
            clCreateProgramWithBinary(ctx->cl_ctx, 1, &ctx->device, &len, &binary, &status, &err);
        if (p && err == CL_SUCCESS && status == CL_SUCCESS &&
            clBuildProgram(p, 1, &ctx->device, options, NULL, NULL) == CL_SUCCESS) {
            *program = p;
            ok = true;
        } else if (p) {
            clReleaseProgram(p);
        }
    }
    free(buf);
    if (ok)
        utimensat(AT_FDCWD, path, NULL, 0); /* recently used: evicted last */
    else if (!valid && is_clconv_entry(path))
        unlink(path); /* corrupt, truncated or of another key: rebuilt and stored again */
    return ok;
}

void clconv_binary_cache_discard(const char *key)
{
    char path[4200];
    if (key && clconv_binary_cache_entry_path(key, path, sizeof path) && is_clconv_entry(path))
        unlink(path);
}

/* The size cap in bytes from $CLCONV_CACHE_MAX_MB (see binary-cache.h). */
bool clconv_binary_cache_cap(const char *text, uint64_t *cap)
{
    const uint64_t fallback = (uint64_t)256 << 20;
    *cap = fallback;
    if (!text || !*text)
        return true;
    if (!strcmp(text, "unlimited")) {
        *cap = UINT64_MAX;
        return true;
    }
    char *end;
    errno = 0;
    double mb = strtod(text, &end);
    if (end == text || *end || mb != mb || mb <= 0)
        return false;           /* malformed, zero, negative or NaN: the default */
    if (mb >= 17592186044416.0) /* 2^44 MiB: more than any disk; inf too */
        *cap = UINT64_MAX;
    else
        *cap = (uint64_t)(mb * 1048576.0);
    return true;
}

typedef struct cache_file {
    char name[64];
    off_t size;
    struct timespec used;
} cache_file;

static int older_first(const void *a, const void *b)
{
    const cache_file *x = a, *y = b;
    if (x->used.tv_sec != y->used.tv_sec)
        return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    if (x->used.tv_nsec != y->used.tv_nsec)
        return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
    return 0;
}

/* True for clconv's entry names: 16 hex digits and the suffix. */
static bool entry_name(const char *name)
{
    if (strlen(name) != 16 + sizeof ENTRY_SUFFIX - 1 || strcmp(name + 16, ENTRY_SUFFIX))
        return false;
    for (int i = 0; i < 16; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return false;
    return true;
}

/* Removes least-recently-used entries until the folder is within the cap. */
static void evict(const char *dir)
{
    const char *cap_env = getenv("CLCONV_CACHE_MAX_MB");
    uint64_t cap;
    if (!clconv_binary_cache_cap(cap_env, &cap) && cache_log())
        fprintf(stderr,
                "clconv: CLCONV_CACHE_MAX_MB = \"%s\": not a size in MiB (a number > 0, or "
                "unlimited); the default 256 applies\n",
                cap_env);
    if (cap == UINT64_MAX)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    cache_file *files = NULL;
    size_t count = 0, capacity = 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!entry_name(e->d_name))
            continue;
        char path[4200];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || !is_clconv_entry(path))
            continue;
        if (count == capacity) {
            size_t grown = capacity ? capacity * 2 : 64;
            cache_file *more = realloc(files, grown * sizeof *files);
            if (!more)
                break;
            files = more;
            capacity = grown;
        }
        snprintf(files[count].name, sizeof files[count].name, "%s", e->d_name);
        files[count].size = st.st_size;
        files[count].used = st.st_mtim;
        total += (uint64_t)st.st_size;
        count++;
    }
    closedir(d);
    if (total > cap) {
        qsort(files, count, sizeof *files, older_first);
        for (size_t i = 0; i < count && total > cap; i++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
            if (unlink(path) == 0)
                total -= (uint64_t)files[i].size;
        }
    }
    free(files);
}

void clconv_binary_cache_store(const clconv_context *ctx, const char *key, cl_program program)
{
    char dir[4096], path[4200], tmp[4300];
    if (!key || !clconv_binary_cache_dir(dir, sizeof dir) || !make_dirs(dir) ||
        !clconv_binary_cache_entry_path(key, path, sizeof path))
        return;
    size_t bin_len = 0;
    cl_uint ndev = 0;
    /* PoCL 3.1's serialisation of program binaries is not thread-safe: two threads reading
     * CL_PROGRAM_BINARIES of one program at once write into freed memory (AddressSanitizer,
     * tests/test_cache.c's concurrent writers). Stores are rare: one lock costs nothing. */
    pthread_mutex_lock(&binaries_lock);
    unsigned char *buf = NULL;
    if (clGetProgramInfo(program, CL_PROGRAM_NUM_DEVICES, sizeof ndev, &ndev, NULL) == CL_SUCCESS &&
        ndev == 1 &&
        clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof bin_len, &bin_len, NULL) ==
            CL_SUCCESS &&
        bin_len > 0 && (buf = malloc(HEADER_SIZE + strlen(key) + bin_len))) {
        unsigned char *binary = buf + HEADER_SIZE + strlen(key);
        if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL) !=
            CL_SUCCESS) {
            free(buf);
            buf = NULL;
        }
    }
    pthread_mutex_unlock(&binaries_lock);
    if (!buf)
        return;
    size_t key_len = strlen(key);
    unsigned char *binary = buf + HEADER_SIZE + key_len;
    memcpy(buf, MAGIC, 8);
    put_u32(buf + 8, (uint32_t)key_len);
    put_u64(buf + 12, (uint64_t)bin_len);
    put_u64(buf + 20, entry_checksum(key, key_len, binary, bin_len));
    memcpy(buf + HEADER_SIZE, key, key_len);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%lx.%ld", path, (long)getpid(),
             (unsigned long)(uintptr_t)&now, (long)now.tv_nsec);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (fd >= 0 && !f)
        close(fd);
    bool written =
        f && fwrite(buf, 1, HEADER_SIZE + key_len + bin_len, f) == HEADER_SIZE + key_len + bin_len;
    if (f)
        written = (fclose(f) == 0) && written;
    free(buf);
    if (!written || rename(tmp, path) != 0) {
        unlink(tmp);
        return;
    }
    (void)ctx;
    evict(dir);
}
