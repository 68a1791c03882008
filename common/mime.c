/*
 * mime.c: media types by extension and file(1)'s content classes.  The
 * table is ours: the IANA type where one is registered, else the one
 * browsers and servers use.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "mime.h"
#include "xalloc.h"

/* file(1) reads at most this much; trailing NULs in it are dropped. */
#define MIME_FILE_BYTES_MAX (7u * 1024 * 1024)

/* Sorted by extension (bsearch). */
static const struct {
	const char *ext, *type;
} types[] = {
	{ "7z", "application/x-7z-compressed" },
	{ "aac", "audio/aac" },
	{ "apk", "application/vnd.android.package-archive" },
	{ "appcache", "text/cache-manifest" },
	{ "atom", "application/atom+xml" },
	{ "avi", "video/x-msvideo" },
	{ "avif", "image/avif" },
	{ "bmp", "image/bmp" },
	{ "bz2", "application/x-bzip2" },
	{ "css", "text/css" },
	{ "csv", "text/csv" },
	{ "deb", "application/vnd.debian.binary-package" },
	{ "doc", "application/msword" },
	{ "docx",
	  "application/"
	  "vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "dtd", "application/xml-dtd" },
	{ "eot", "application/vnd.ms-fontobject" },
	{ "eps", "application/postscript" },
	{ "epub", "application/epub+zip" },
	{ "flac", "audio/flac" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "heic", "image/heic" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "ics", "text/calendar" },
	{ "jar", "application/java-archive" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript" },
	{ "json", "application/json" },
	{ "jsonld", "application/ld+json" },
	{ "log", "text/plain" },
	{ "m4a", "audio/mp4" },
	{ "m4v", "video/mp4" },
	{ "map", "application/json" },
	{ "md", "text/markdown" },
	{ "mjs", "text/javascript" },
	{ "mkv", "video/x-matroska" },
	{ "mov", "video/quicktime" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "mpeg", "video/mpeg" },
	{ "mpg", "video/mpeg" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "oga", "audio/ogg" },
	{ "ogg", "audio/ogg" },
	{ "ogv", "video/ogg" },
	{ "otf", "font/otf" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/"
		  "vnd.openxmlformats-officedocument.presentationml."
		  "presentation" },
	{ "ps", "application/postscript" },
	{ "rar", "application/vnd.rar" },
	{ "rss", "application/rss+xml" },
	{ "rtf", "application/rtf" },
	{ "sh", "application/x-sh" },
	{ "sql", "application/sql" },
	{ "svg", "image/svg+xml" },
	{ "svgz", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "text", "text/plain" },
	{ "tgz", "application/gzip" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "toml", "application/toml" },
	{ "tsv", "text/tab-separated-values" },
	{ "ttf", "font/ttf" },
	{ "txt", "text/plain" },
	{ "vcf", "text/vcard" },
	{ "vtt", "text/vtt" },
	{ "wasm", "application/wasm" },
	{ "wav", "audio/wav" },
	{ "weba", "audio/webm" },
	{ "webm", "video/webm" },
	{ "webmanifest", "application/manifest+json" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xhtml", "application/xhtml+xml" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/"
		  "vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "xml", "application/xml" },
	{ "xsl", "application/xslt+xml" },
	{ "xz", "application/x-xz" },
	{ "yaml", "application/yaml" },
	{ "yml", "application/yaml" },
	{ "zip", "application/zip" },
	{ "zst", "application/zstd" },
};

const char *mime_type(const char *name)
{
	const char *base = strrchr(name, '/');
	const char *dot;
	size_t lo = 0, hi = ARRAY_SIZE(types);

	base = base ? base + 1 : name;
	dot = strrchr(base, '.');
	if (!dot || !dot[1])
		return NULL;
	dot++;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(dot, types[mid].ext);

		if (!c)
			return types[mid].type;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Bytes file(1)'s text_chars table does not count as text. */
static bool is_binary_byte(unsigned char c)
{
	if (c >= 0x20)
		return c == 0x7F;
	return c <= 0x06 || (c >= 0x0E && c <= 0x1A) || c >= 0x1C;
}

static bool starts(const char *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(p, prefix, n);
}

/* "<svg" at the top, maybe after an XML declaration and a DOCTYPE. */
static bool is_svg(const char *p, size_t len)
{
	const char *end = p + len, *q;

	if (starts(p, len, "<?xml")) {
		q = memchr(p, '>', len);
		if (!q)
			return false;
		p = q + 1;
	}
	while (p < end && strchr(" \t\r\n", *p))
		p++;
	if (starts(p, (size_t)(end - p), "<!DOCTYPE")) {
		q = memchr(p, '>', (size_t)(end - p));
		if (!q)
			return false;
		p = q + 1;
		while (p < end && strchr(" \t\r\n", *p))
			p++;
	}
	return starts(p, (size_t)(end - p), "<svg");
}

/* ASCII formats whose file(1) description has no "text". */
static bool named_format(const char *p, size_t len)
{
	static const char *const magic[] = {
		"%PDF-",  "GIF87a",	     "GIF89a",
		"{\\rtf", "BEGIN:VCALENDAR", "BEGIN:VCARD",
	};

	for (size_t i = 0; i < ARRAY_SIZE(magic); i++)
		if (starts(p, len, magic[i]))
			return true;
	return is_svg(p, len);
}

enum mime_class mime_detect(const void *data, size_t len, uint64_t total,
			    bool tail_nul)
{
	const unsigned char *u = data;

	if (total < 2 || len < 2)
		return MIME_NONE;
	if (u[0] == 0x1F && u[1] == 0x8B)
		return MIME_GZIP;
	if (u[0] == 0x1F && u[1] == 0x9D)
		return MIME_COMPRESS;
	if ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))
		return MIME_TEXT;
	if (len > MIME_SNIFF_BYTES)
		len = MIME_SNIFF_BYTES;
	if (tail_nul || total <= len)
		while (len > 1 && !u[len - 1])
			len--;
	if (named_format(data, len))
		return MIME_NONE;
	for (size_t i = 0; i < len; i++)
		if (is_binary_byte(u[i]))
			return MIME_NONE;
	return MIME_TEXT;
}

static int read_full(int fd, unsigned char *dst, size_t cap, size_t *got)
{
	*got = 0;
	while (*got < cap) {
		ssize_t n = read(fd, dst + *got, cap - *got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/* After the window: is the rest of file(1)'s buffer all NUL bytes? */
static int rest_is_nul(int fd, uint64_t size, bool *out)
{
	unsigned char *blk = xmalloc(MIME_SNIFF_BYTES);
	uint64_t left =
		(size < MIME_FILE_BYTES_MAX ? size : MIME_FILE_BYTES_MAX) -
		MIME_SNIFF_BYTES;

	*out = true;
	while (left && *out) {
		size_t want = left < MIME_SNIFF_BYTES ? (size_t)left
						      : MIME_SNIFF_BYTES;
		size_t got;

		if (read_full(fd, blk, want, &got) < 0) {
			free(blk);
			return -1;
		}
		if (!got)
			break;
		for (size_t i = 0; i < got && *out; i++)
			*out = !blk[i];
		left -= got;
	}
	free(blk);
	return 0;
}

int mime_detect_file(const char *path, enum mime_class *out)
{
	unsigned char *buf = NULL;
	struct stat st;
	bool tail_nul = false;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		err = err_errno("cannot stat '%s'", path);
		goto out;
	}
	buf = xmalloc(MIME_SNIFF_BYTES);
	if (read_full(fd, buf, MIME_SNIFF_BYTES, &got) < 0) {
		err = err_errno("cannot read '%s'", path);
		goto out;
	}
	if (got == MIME_SNIFF_BYTES && !buf[got - 1] &&
	    (uint64_t)st.st_size > got &&
	    rest_is_nul(fd, st.st_size, &tail_nul))
		err = err_errno("cannot read '%s'", path);
	if (!err)
		*out = mime_detect(buf, got, (uint64_t)st.st_size, tail_nul);
out:
	free(buf);
	close_fd(&fd);
	return err;
}

const char *mime_class_encoding(enum mime_class c)
{
	switch (c) {
	case MIME_NONE:
		return NULL;
	case MIME_TEXT:
		return "text";
	case MIME_GZIP:
		return "gzip";
	case MIME_COMPRESS:
		return "compress";
	}
	BUG("bad mime class %d", (int)c);
}
