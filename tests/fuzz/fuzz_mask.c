/*
 * fuzz_mask: the streaming masker against a naive reference.
 *
 * Input layout: byte 0 seeds the chunking; byte 1 gives the number of
 * secrets (1-6); then each secret is a length byte (1-16) and that many
 * bytes; the rest is the text.  Every byte is mapped onto a small
 * alphabet (with quotes, backslashes, blanks, the letters of "[secure]"
 * and UTF-8 pieces) so that secrets, their unescaped forms, the text and
 * the replacement overlap often.
 *
 * It aborts when
 *  - the masked output of the text, fed in chunks chosen by the seed
 *    (empty chunks included), or byte by byte, differs from the reference
 *    (every byte inside an occurrence of a pattern removed, one
 *    "[secure]" per group of overlapping occurrences);
 *  - any pattern occurs in the output other than across an inserted
 *    "[secure]" (the guarantee stated in include/mask.h);
 *  - a stream holds back a whole pattern's worth of bytes, or an ASCII
 *    secret of 3 bytes or more is not a pattern.
 */
#include "compat.h"

#include "buf.h"
#include "mask.h"
#include "xalloc.h"

#define MAX_SECRETS 6

static char map(uint8_t b)
{
	static const char alpha[] = "aaabbce[sur]\\'\" ";

	if (b >= 0xf0)
		return (char)(b & 1 ? 0xc3 : 0xa9);
	if (b >= 0xe8)
		return '\n';
	return alpha[b % (sizeof(alpha) - 1)];
}

/* Reference output, and for each output byte whether it is a token's. */
static void reference(const struct mask_set *set, const char *s, size_t n,
		      struct buf *out, bool **tok)
{
	bool *cov = xcalloc(n + 1, 1), *link = xcalloc(n + 1, 1);
	const char *pat;
	size_t plen;

	for (size_t i = 0; (pat = mask_set_pattern(set, i, &plen)); i++)
		for (size_t at = 0; at + plen <= n; at++) {
			if (memcmp(s + at, pat, plen))
				continue;
			for (size_t k = at; k < at + plen; k++) {
				cov[k] = true;
				if (k + 1 < at + plen)
					link[k] = true;
			}
		}
	*tok = xcalloc(8 * n + 1, 1);
	for (size_t k = 0; k < n; k++) {
		if (!cov[k]) {
			buf_addch(out, s[k]);
		} else if (!k || !link[k - 1]) {
			memset(*tok + out->len, 1, strlen(MASK_TOKEN));
			buf_addstr(out, MASK_TOKEN);
		}
	}
	free(cov);
	free(link);
}

static void check_no_leak(const struct mask_set *set, const struct buf *out,
			  const bool *tok)
{
	const char *pat;
	size_t plen;

	for (size_t i = 0; (pat = mask_set_pattern(set, i, &plen)); i++) {
		if (plen < 3)
			abort();
		for (size_t at = 0; at + plen <= out->len; at++) {
			bool touches = false;

			if (memcmp(out->ptr + at, pat, plen))
				continue;
			for (size_t k = at; k < at + plen; k++)
				touches |= tok[k];
			if (!touches)
				abort(); /* a secret made of input bytes */
		}
	}
}

static void check_registered(const struct mask_set *set, const char *secret)
{
	size_t len = strlen(secret), plen;
	const char *pat;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)secret[i] >= 0x80)
			return;
	if (len < 3)
		return;
	for (size_t i = 0; (pat = mask_set_pattern(set, i, &plen)); i++)
		if (plen == len && !memcmp(pat, secret, len))
			return;
	abort();
}

static void feed_chunked(const struct mask_set *set, const char *text, size_t n,
			 uint32_t seed, struct buf *out)
{
	struct mask *m = mask_new(set);
	size_t at = 0, most = (size_t)4 << (seed & 3);

	while (at < n) {
		size_t len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % (most + 1);
		if (len > n - at)
			len = n - at;
		mask_feed(m, text + at, len, out);
		at += len;
		if (mask_held(m) && mask_held(m) >= mask_set_max_len(set))
			abort();
	}
	mask_finish(m, out);
	if (mask_held(m))
		abort();
	mask_free(m);
}

static void feed_bytes(const struct mask_set *set, const char *text, size_t n,
		       struct buf *out)
{
	struct mask *m = mask_new(set);

	for (size_t i = 0; i < n; i++)
		mask_feed(m, text + i, 1, out);
	mask_finish(m, out);
	mask_free(m);
}

static bool same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && !memcmp(a->ptr, b->ptr, a->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char secrets[MAX_SECRETS][17];
	const char *sv[MAX_SECRETS];
	struct buf text = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	struct mask_set *set = NULL;
	size_t ns, at = 2;
	bool *tok = NULL;
	uint32_t seed;

	if (size < 2)
		return 0;
	seed = data[0];
	ns = 1 + data[1] % MAX_SECRETS;
	for (size_t i = 0; i < ns; i++) {
		size_t len = at < size ? 1 + data[at++] % 16 : 1;
		size_t k = 0;

		for (; k < len && at < size; k++)
			secrets[i][k] = map(data[at++]);
		secrets[i][k] = '\0';
		sv[i] = secrets[i];
	}
	for (; at < size; at++)
		buf_addch(&text, map(data[at]));
	seed = seed * 2654435761u + (uint32_t)size;

	if (mask_set_new(&set, sv, ns) < 0)
		abort(); /* tiny sets always fit */
	for (size_t i = 0; i < ns; i++)
		check_registered(set, sv[i]);
	reference(set, text.ptr, text.len, &want, &tok);
	check_no_leak(set, &want, tok);

	feed_chunked(set, text.ptr, text.len, seed, &got);
	if (!same(&got, &want))
		abort();
	buf_reset(&got);
	feed_bytes(set, text.ptr, text.len, &got);
	if (!same(&got, &want))
		abort();

	free(tok);
	mask_set_free(set);
	buf_release(&text);
	buf_release(&want);
	buf_release(&got);
	return 0;
}
