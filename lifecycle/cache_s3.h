#ifndef FY_CACHE_S3_H
#define FY_CACHE_S3_H

#include "compat.h"

#include <stdatomic.h>
#include <time.h>

struct buf;
struct cache_s3_conf;

/*
 * cache_s3: private to lifecycle/.  The object operations of the cache's
 * S3 store (cache_store.c) on the AWS client (aws.h): names are relative
 * to the configured prefix.  Every transfer stops with FY_ECANCELED once
 * the flag given to cache_s3_cancel() is raised.  Errors are aws.h's
 * (FY_ENOTFOUND for a missing object).
 */
struct cache_s3;

int cache_s3_open(struct cache_s3 **out, const struct cache_s3_conf *conf);
void cache_s3_free(struct cache_s3 *s);
/* "s3://bucket/prefix" (borrowed). */
const char *cache_s3_where(const struct cache_s3 *s);
/* The flag that stops the next calls (NULL: none). */
void cache_s3_cancel(struct cache_s3 *s, const atomic_bool *cancel);

/* GET an object, or a byte range ("bytes=A-B"), into `out` (at most cap). */
int cache_s3_get(struct cache_s3 *s, const char *name, const char *range,
		 struct buf *out, size_t cap);
/* GET `size` bytes of an object into `fd`, in ranges of 8 MiB. */
int cache_s3_download(struct cache_s3 *s, const char *name, int fd,
		      uint64_t size);
/* PUT from memory, or (fd >= 0) `size` bytes of the file `fd`. */
int cache_s3_put(struct cache_s3 *s, const char *name, const void *data,
		 size_t len, int fd, uint64_t size);
/* DELETE; a missing object is not an error. */
int cache_s3_delete(struct cache_s3 *s, const char *name);

/* Each object whose name starts with `under` (all pages). */
typedef void (*cache_s3_list_fn)(void *payload, const char *name, uint64_t size,
				 time_t mtime);
int cache_s3_list(struct cache_s3 *s, const char *under, cache_s3_list_fn fn,
		  void *payload);

#endif
