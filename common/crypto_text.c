/*
 * crypto_text.c: the encodings of crypto.h that need no library: hex,
 * Base64, the PEM armour around DER bytes and SSH wire strings.  The
 * OpenSSL side of keys stays in crypto.c.
 */
#include "compat.h"

#include "buf.h"
#include "crypto.h"
#include "crypto_int.h"
#include "error.h"
#include "xalloc.h"

void crypto_hex(char *hex, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 15];
	}
	hex[2 * len] = '\0';
}

/* Value of one hex digit, or -1. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int crypto_hex_decode(void *out, size_t len, const char *hex)
{
	unsigned char *p = out;

	if (strlen(hex) != 2 * len)
		return err_set(FY_EINVALID, "expected %zu hex digits, not %zu",
			       2 * len, strlen(hex));
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return err_set(FY_EINVALID, "'%c' is not a hex digit",
				       hi < 0 ? hex[2 * i] : hex[2 * i + 1]);
		p[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int crypto_base64_encode(struct buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	char quad[4];
	int err = 0;

	buf_grow(out, st_mult(len / 3 + 1, 4));
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (unsigned)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		quad[0] = b64_alphabet[v >> 18 & 63];
		quad[1] = b64_alphabet[v >> 12 & 63];
		quad[2] = left > 1 ? b64_alphabet[v >> 6 & 63] : '=';
		quad[3] = left > 2 ? b64_alphabet[v & 63] : '=';
		if (buf_add(out, quad, 4) < 0)
			err = FY_ETOOBIG;
	}
	if (err)
		return err_set(err,
			       "Base64 text exceeds the limit of %zu bytes",
			       out->limit);
	return 0;
}

/* Value of one Base64 character, or -1. */
static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

static bool b64_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

int crypto_base64_decode(struct buf *out, const char *in, size_t len)
{
	size_t start = out->len, pads = 0, n = 0;
	unsigned char bytes[3];
	unsigned v = 0;
	int err = 0;

	buf_grow(out, len / 4 * 3 + 3);
	for (size_t i = 0; i < len; i++) {
		int d;

		if (b64_space(in[i]))
			continue;
		if (in[i] == '=') {
			pads++;
			continue;
		}
		d = b64_value(in[i]);
		if (d < 0 || pads) {
			err = err_set(
				FY_EINVALID,
				d < 0 ? "invalid Base64 character at offset %zu"
				      : "Base64 data after padding at offset %zu",
				i);
			goto out;
		}
		v = v << 6 | (unsigned)d;
		if (++n % 4)
			continue;
		bytes[0] = v >> 16 & 255;
		bytes[1] = v >> 8 & 255;
		bytes[2] = v & 255;
		if (buf_add(out, bytes, 3) < 0)
			goto toobig;
		v = 0;
	}
	if (n % 4 == 1 || pads > 2 || (pads && (n + pads) % 4)) {
		err = err_set(FY_EINVALID, "truncated Base64 data");
		goto out;
	}
	/* 2 or 3 leftover characters carry 1 or 2 more bytes. */
	bytes[0] = n % 4 == 2 ? v >> 4 & 255 : v >> 10 & 255;
	bytes[1] = v >> 2 & 255;
	if (n % 4 >= 2 && buf_add(out, bytes, n % 4 - 1) < 0)
		goto toobig;
	goto out;
toobig:
	err = err_set(FY_ETOOBIG,
		      "decoded Base64 exceeds the limit of %zu bytes",
		      out->limit);
out:
	/* The input may be a secret (a private key): leave no copy behind. */
	explicit_bzero(bytes, sizeof(bytes));
	if (err) {
		explicit_bzero(out->ptr + start, out->len - start);
		buf_setlen(out, start);
	}
	return err;
}

/* Find "-----<word> <label>-----" at or after `from`; NULL if absent. */
static const char *pem_line(const char *from, const char *end, const char *word,
			    char *label, size_t label_size)
{
	size_t wlen = strlen(word);

	for (const char *p = from; p + 5 + wlen < end; p++) {
		const char *q;

		if (memcmp(p, "-----", 5) || memcmp(p + 5, word, wlen) ||
		    p[5 + wlen] != ' ')
			continue;
		p += 6 + wlen;
		q = memmem(p, (size_t)(end - p), "-----", 5);
		if (!q || (size_t)(q - p) >= label_size)
			return NULL;
		memcpy(label, p, (size_t)(q - p));
		label[q - p] = '\0';
		return q + 5;
	}
	return NULL;
}

/*
 * The label and DER bytes of the first PEM block in `pem`.  The Base64
 * decoder skips the newlines; header lines ("Proc-Type:") are refused.
 */
int crypto_pem_decode(const char *pem, size_t len, char *label,
		      size_t label_size, struct buf *der)
{
	const char *end = pem + len, *body, *stop;
	char end_label[64];

	body = pem_line(pem, end, "BEGIN", label, label_size);
	if (!body)
		return err_set(FY_EINVALID, "no PEM 'BEGIN' line found");
	stop = memmem(body, (size_t)(end - body), "-----END", 8);
	if (!stop ||
	    !pem_line(stop, end, "END", end_label, sizeof(end_label)) ||
	    strcmp(label, end_label))
		return err_set(FY_EINVALID, "no PEM 'END %s' line found",
			       label);
	if (crypto_base64_decode(der, body, (size_t)(stop - body)) < 0)
		return err_wrap(FY_EINVALID, "bad PEM '%s' block", label);
	return 0;
}

/* Append `der` as a PEM block with `label`, 64 characters a line. */
int crypto_pem_encode(struct buf *out, const char *label,
		      const unsigned char *der, size_t len)
{
	struct buf b64 = BUF_INIT;
	int err;

	err = crypto_base64_encode(&b64, der, len);
	if (err < 0)
		goto out;
	buf_addf(out, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < b64.len; i += 64) {
		size_t n = b64.len - i < 64 ? b64.len - i : 64;

		buf_add(out, b64.ptr + i, n);
		buf_addch(out, '\n');
	}
	buf_addf(out, "-----END %s-----\n", label);
	if (buf_truncated(out))
		err = err_set(FY_ETOOBIG, "key text exceeds the buffer limit");
out:
	buf_release(&b64);
	return err;
}

/* Append a 32-bit big-endian length and the bytes (SSH wire format). */
void crypto_ssh_string(struct buf *b, const void *data, size_t len)
{
	unsigned char n[4] = { len >> 24 & 255, len >> 16 & 255, len >> 8 & 255,
			       len & 255 };

	buf_add(b, n, 4);
	buf_add(b, data, len);
}
