#ifndef FY_MASK_H
#define FY_MASK_H

#include "compat.h"

struct buf;

/*
 * mask: replaces secret values by "[secure]" in a stream of bytes, as
 * Travis filters a job's log (spec 3.5), but without Travis's misses.
 *
 * Patterns.  mask_set_new() takes the secret values.  A value of fewer
 * than MASK_MIN_CHARS (3) characters is ignored, as Travis does
 * (characters are UTF-8 sequences; a byte that is not valid UTF-8 counts
 * as one).  Each other value gives up to two patterns: the value itself,
 * and its shell-unescaped form (what `echo VALUE` prints, see
 * mask_unescape()) when that differs and also has 3 characters or more.
 *
 * What is replaced.  Take every occurrence of every pattern in the whole
 * input.  No input byte inside an occurrence reaches the output.
 * Occurrences that overlap (share at least one byte) form one group,
 * replaced by a single "[secure]"; occurrences that only touch stay
 * separate ("[secure][secure]").  All other bytes pass unchanged.  Where
 * Travis lets the first (longest) secret win and can miss the others,
 * ferry masks the union: "aab" inside "aaab" gives "a[secure]", and the
 * secrets "abcd" and "cdef" inside "abcdef" give "[secure]".
 *
 * Guarantee.  However the input is cut into mask_feed() calls (down to
 * one byte at a time), the concatenated output of the feeds and of
 * mask_finish() equals mask_string() of the whole input.  Hence no
 * pattern occurs in the output, except an occurrence that overlaps an
 * inserted "[secure]": a pattern such as "cure]" or "xx[sec" can be
 * spelled with the replacement text, but never with input bytes alone.
 * tests/fuzz/fuzz_mask.c checks exactly this against a naive reference.
 *
 * Latency.  After each mask_feed() a stream holds back only the longest
 * suffix of its input that could still grow into a pattern (a proper
 * prefix of one: mask_held(), less than mask_set_max_len() bytes); every
 * byte before it is out, and a "[secure]" is out as soon as its first
 * byte is decided.  mask_finish() releases the rest at the end of the
 * stream.
 *
 * Speed.  The patterns are compiled into one Aho-Corasick automaton (a
 * full transition table over the byte classes the secrets use): one table
 * look-up per input byte, whatever the number of secrets.  A set whose
 * table would exceed 64 MiB is refused (FY_ETOOBIG).
 *
 * Threads.  A mask_set is immutable once made: any number of threads may
 * share it.  A struct mask (one stream) is used by one thread at a time.
 * The set must outlive every stream made from it.
 *
 * Memory.  The pattern bytes, the automaton (which encodes them) and the
 * bytes a stream holds back are wiped with explicit_bzero() when freed.
 * Never log a pattern.
 */

#define MASK_MIN_CHARS 3
#define MASK_TOKEN     "[secure]"

struct mask_set;
struct mask;

/*
 * Compile `n` secret values (NUL-terminated; NULL entries are skipped).
 * Returns 0, or FY_ETOOBIG when the automaton would be too large.  A set
 * with no pattern is valid and masks nothing.
 */
int mask_set_new(struct mask_set **out, const char *const *values, size_t n);
void mask_set_free(struct mask_set *set);

/* Number of distinct patterns, their bytes (for tests), longest length. */
size_t mask_set_count(const struct mask_set *set);
const char *mask_set_pattern(const struct mask_set *set, size_t i, size_t *len);
size_t mask_set_max_len(const struct mask_set *set);

/* A stream over `set`; a NULL set passes everything through. */
struct mask *mask_new(const struct mask_set *set);
/* Append the masked output of `data` to `out` (give an uncapped buffer). */
void mask_feed(struct mask *m, const void *data, size_t len, struct buf *out);
/* End of stream: append what is held back; the stream can start again. */
void mask_finish(struct mask *m, struct buf *out);
/* Bytes currently held back. */
size_t mask_held(const struct mask *m);
void mask_free(struct mask *m);

/* One-shot: append the masked form of `data` to `out`. */
void mask_string(const struct mask_set *set, const void *data, size_t len,
		 struct buf *out);

/*
 * Append what `echo VALUE` prints in a POSIX shell, the second form Travis
 * masks: blanks outside quotes separate words, which are joined by one
 * space; quotes are removed; a backslash outside quotes keeps the next
 * character (and a backslash-newline disappears); inside double quotes a
 * backslash is removed only before $ ` " \ or newline; an unquoted word
 * starting with # begins a comment.  Expansions ($, backquotes, globs) and
 * operators are not evaluated: they are kept as written.  Returns false,
 * leaving `out` unspecified, for an unterminated quote (the shell prints
 * nothing then).
 */
bool mask_unescape(struct buf *out, const char *value);

#endif
