#ifndef FY_CRYPTO_INT_H
#define FY_CRYPTO_INT_H

/*
 * crypto_int.h: private to common/crypto*.c.  crypto.c is the only file
 * that includes OpenSSL's headers; crypto_text.c holds the encodings
 * that need no library (hex, Base64, PEM armour, SSH wire strings) and
 * gives crypto.c the PEM and SSH helpers declared here.
 */

#include "compat.h"

struct buf;

/*
 * The label and DER bytes of the first PEM block in `pem`.  The Base64
 * decoder skips the newlines; header lines ("Proc-Type:") are refused.
 */
int crypto_pem_decode(const char *pem, size_t len, char *label,
		      size_t label_size, struct buf *der);

/* Append `der` as a PEM block with `label`, 64 characters a line. */
int crypto_pem_encode(struct buf *out, const char *label,
		      const unsigned char *der, size_t len);

/* Append a 32-bit big-endian length and the bytes (SSH wire format). */
void crypto_ssh_string(struct buf *b, const void *data, size_t len);

#endif
