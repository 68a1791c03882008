#ifndef FY_MIME_H
#define FY_MIME_H

#include "compat.h"

/*
 * mime: what a file is, for uploads.
 *
 * mime_type() maps a file name's extension (compared without case) to
 * its media type from a compact table of the types websites and build
 * artifacts use; NULL when the extension is unknown.
 *
 * mime_detect() sorts content into the classes dpl reads from file(1)'s
 * output (`file <path>`: "gzip compressed", "compress'd", any "text"):
 * gzip and compress by their magic numbers; "text" when the first 64 KiB
 * (trailing NUL bytes dropped, as file(1) does) hold only bytes file(1)
 * counts as text (printable ASCII, tab, newline and the other format
 * effectors, ESC, and any byte >= 0x80, which covers UTF-8 and the
 * ISO-8859 family) or start with a UTF-16 byte order mark; none for
 * empty and one-byte files ("empty", "very short file") and for the
 * ASCII formats file(1) names without "text" (SVG at the top, PDF, GIF,
 * RTF, vCalendar and vCard).
 */
enum mime_class {
	MIME_NONE,     /* binary data, or a type file(1) does not call text */
	MIME_TEXT,     /* dpl sends Content-Encoding: text (its quirk) */
	MIME_GZIP,     /* gzip compressed data */
	MIME_COMPRESS, /* compress'd data (.Z) */
};

/* How much of a file mime_detect_file() reads at most. */
#define MIME_SNIFF_BYTES (64u * 1024)

const char *mime_type(const char *name);

/*
 * Classify `len` bytes, the start of a file of `total` bytes; `tail_nul`
 * says that everything after those bytes is NUL (so trailing NULs of the
 * window are dropped too).
 */
enum mime_class mime_detect(const void *data, size_t len, uint64_t total,
			    bool tail_nul);
/* Read the start of `path` and classify it. */
int mime_detect_file(const char *path, enum mime_class *out);
/* "text", "gzip", "compress" or NULL, as dpl sends Content-Encoding. */
const char *mime_class_encoding(enum mime_class c);

#endif
