/* The tuning database's file I/O: reading a file whole (regular files only, text only),
 * writing one atomically (regular files only), and the default file of a device. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/binary-cache.h"
#include "src/tuning.h"

static const char *const MODE_NAMES[] = {"zeros", "reflect", "replicate", "circular"};

/* The file a save replaces: path itself, or the file a link at path names (written through,
 * as editors do); false with a message when that is not a regular file or cannot be known. */
static bool save_target(const char *path, char *target, size_t size, char *err, size_t err_size)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT) {
            snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
            return false;
        }
        snprintf(target, size, "%s", path); /* a new file; its folder must exist */
        return true;
    }
    if (S_ISLNK(st.st_mode)) {
        char resolved[PATH_MAX];
        if (!realpath(path, resolved) || stat(resolved, &st) != 0) {
            snprintf(err, err_size, "cannot write %s: the link names no file (%s)", path,
                     strerror(errno));
            return false;
        }
        if (snprintf(target, size, "%s", resolved) >= (int)size) {
            snprintf(err, err_size, "%s: path too long", resolved);
            return false;
        }
    } else {
        snprintf(target, size, "%s", path);
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, err_size,
                 "cannot write %s: not a regular file (a tuning database is written only to "
                 "regular files)",
                 path);
        return false;
    }
    return true;
}

bool clconv_tuning_save(const clconv_tuning *t, const char *path, char *err, size_t err_size)
{
    char target[PATH_MAX + 1], tmp[PATH_MAX + 64];
    if (!save_target(path, target, sizeof target, err, err_size))
        return false;
    path = target;
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, err_size, "%s: path too long", path);
        return false;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, err_size, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    fprintf(f, "clconv-tuning %d\ndevice %s\ndriver %s\n", CLCONV_TUNING_VERSION, t->device,
            t->driver);
    fprintf(f, "# layer kind n c h w oc kh kw sh sw pt pb pl pr dh dw g oph opw bias mode dtype "
               "variant=seconds... (fastest first)\n");
    for (size_t i = 0; i < t->count; i++) {
        const clconv_tuning_entry *e = &t->entries[i];
        const clconv_desc *d = &e->desc;
        fprintf(f, "layer %s %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %s %s",
                d->kind == CLCONV_CONV2D ? "conv" : "tconv", e->in[0], e->in[1], e->in[2], e->in[3],
                d->out_channels, d->kernel_h, d->kernel_w, d->stride_h, d->stride_w, d->pad_top,
                d->pad_bottom, d->pad_left, d->pad_right, d->dilation_h, d->dilation_w, d->groups,
                d->output_padding_h, d->output_padding_w, d->bias ? 1 : 0,
                MODE_NAMES[d->padding_mode], d->dtype == CLCONV_FLOAT16 ? "f16" : "f32");
        for (int j = 0; j < e->count; j++)
            fprintf(f, " %s=%.6g", e->variants[j], e->seconds[j]);
        fputc('\n', f);
    }
    bool ok = fflush(f) == 0 && !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

bool clconv_tuning_default_path(const clconv_device_info *dev, char *path, size_t size)
{
    char dir[4096];
    if (!clconv_binary_cache_dir(dir, sizeof dir)) {
        if (size)
            path[0] = 0;
        return false;
    }
    uint64_t h = fnv1a(dev->device_name, 0xcbf29ce484222325ull);
    h = fnv1a("\n", h);
    h = fnv1a(dev->driver_version, h);
    char full[4200];
    int n = snprintf(full, sizeof full, "%s/tuning-%016llx.txt", dir, (unsigned long long)h);
    if (n <= 0 || (size_t)n >= size || (size_t)n >= sizeof full) {
        if (size)
            path[0] = 0; /* never a truncated path */
        return false;
    }
    memcpy(path, full, (size_t)n + 1);
    return true;
}

char *clconv_tuning_read_text(const char *path, char *err, size_t err_size)
{
    /* never blocks on a FIFO or device: only a regular file is read */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0 && S_ISDIR(st.st_mode))
            snprintf(err, err_size, "%s: a directory, not a tuning database", path);
        else if (fd >= 0)
            snprintf(err, err_size, "%s: not a regular file", path);
        else
            snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, err_size, "cannot read %s: %s", path, strerror(errno));
    } else if (size > CLCONV_TUNING_MAX_FILE_BYTES) {
        snprintf(err, err_size, "%s: %ld bytes, more than the %ld a tuning database may have", path,
                 size, (long)CLCONV_TUNING_MAX_FILE_BYTES);
    } else if (!(buf = malloc((size_t)size + 1))) {
        snprintf(err, err_size, "%s: out of memory for %ld bytes", path, size);
    } else if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        snprintf(err, err_size, "cannot read %s: %s", path,
                 ferror(f) ? strerror(errno) : "shorter than its size");
        free(buf);
        buf = NULL;
    } else if (memchr(buf, 0, (size_t)size)) {
        snprintf(err, err_size, "%s: a NUL byte at offset %ld: not a text database", path,
                 (long)((char *)memchr(buf, 0, (size_t)size) - buf));
        free(buf);
        buf = NULL;
    } else {
        buf[size] = 0;
    }
    fclose(f);
    return buf;
}
