#ifndef FY_CRYPTO_H
#define FY_CRYPTO_H

#include "compat.h"

struct buf;

/*
 * crypto: hashes, HMAC, encodings, random bytes, RSA and AES for the
 * whole project.  common/crypto.c is the only file that includes OpenSSL
 * headers; no OpenSSL type appears here.
 *
 * Two kinds of function:
 *  - Digests, HMACs and encodings cannot fail for a valid call and return
 *    void.  OpenSSL can only fail them when memory runs out or the
 *    installation is broken, and then, like xmalloc(), we abort.
 *  - Everything that reads input or touches keys, files or the random
 *    generator returns 0 or a negative FY_E* code with one message: our
 *    context, then OpenSSL's reason ("cannot decrypt: bad decrypt").
 *
 * Ownership: pointers passed in are borrowed.  Objects returned through
 * `out` belong to the caller, who frees them with the matching _free().
 * Secrets: decrypted bytes and private keys go into buffers the caller
 * releases with buf_release_secure(); every temporary copy made here is
 * wiped before it is freed.
 */

enum crypto_alg {
	CRYPTO_MD5,
	CRYPTO_SHA1,
	CRYPTO_SHA256,
};

#define CRYPTO_MAX_DIGEST 32 /* bytes in the largest digest (SHA-256) */
#define CRYPTO_MAX_HEX	  65 /* its lowercase hex plus the NUL */

/* 16, 20 or 32. */
size_t crypto_digest_size(enum crypto_alg alg);

/* One-shot digest of `len` bytes into `out` (crypto_digest_size bytes). */
void crypto_digest(enum crypto_alg alg, const void *data, size_t len,
		   unsigned char *out);
/* The same as lowercase hex into `hex` (2 * size + 1 bytes). */
void crypto_digest_hex(enum crypto_alg alg, const void *data, size_t len,
		       char *hex);

/*
 * Incremental digest for streams and large files:
 *   h = crypto_hash_new(alg); crypto_hash_update(h, ...)...;
 *   crypto_hash_final(h, out); crypto_hash_free(h);
 * After crypto_hash_final() the context starts over, empty, so it can be
 * reused for another message.
 */
struct crypto_hash;
struct crypto_hash *crypto_hash_new(enum crypto_alg alg);
void crypto_hash_update(struct crypto_hash *h, const void *data, size_t len);
void crypto_hash_final(struct crypto_hash *h, unsigned char *out);
void crypto_hash_free(struct crypto_hash *h);

/* Digest of a whole file, read in blocks; FY_ENOTFOUND if missing. */
int crypto_digest_file(enum crypto_alg alg, const char *path,
		       unsigned char *out);

/* HMAC with `alg` (any key length) into `out` (crypto_digest_size). */
void crypto_hmac(enum crypto_alg alg, const void *key, size_t key_len,
		 const void *data, size_t len, unsigned char *out);
/*
 * HMAC-SHA256 as 64 lowercase hex characters plus the NUL: GitHub's
 * X-Hub-Signature-256 is "sha256=" followed by this over the raw body,
 * keyed with the webhook secret.
 */
void crypto_hmac_sha256_hex(const void *key, size_t key_len, const void *data,
			    size_t len, char hex[CRYPTO_MAX_HEX]);

/* Compare `len` bytes in time that does not depend on the contents. */
bool crypto_equal(const void *a, const void *b, size_t len);

/* Lowercase hex of `len` bytes into `hex` (2 * len + 1 bytes). */
void crypto_hex(char *hex, const void *data, size_t len);
/*
 * Decode exactly `len` bytes from `hex`, which must be 2 * len hex digits
 * (either case) and nothing else; FY_EINVALID otherwise.  Used for the
 * key and IV of `travis encrypt-file`.
 */
int crypto_hex_decode(void *out, size_t len, const char *hex);

/* Append the standard Base64 (with '=' padding, no newlines) of `data`. */
int crypto_base64_encode(struct buf *out, const void *data, size_t len);
/*
 * Append the bytes that standard Base64 `in` stands for.  Whitespace
 * (newlines included) is skipped anywhere; padding may be left out.
 * Anything else outside the alphabet, data after '=', or a lone
 * trailing character is FY_EINVALID, and `out` is then left as it was.
 */
int crypto_base64_decode(struct buf *out, const char *in, size_t len);

/* Fill `len` bytes from the system's secure random generator. */
int crypto_random(void *out, size_t len);

/*
 * RSA keys (the repository key of `travis encrypt`, spec travis.md 7).
 *
 * Private keys are read from PEM in PKCS#1 ("BEGIN RSA PRIVATE KEY") or
 * PKCS#8 ("BEGIN PRIVATE KEY") form; an encrypted key is refused, never
 * prompted for.  Public keys are read from "BEGIN PUBLIC KEY" (X.509
 * SubjectPublicKeyInfo), "BEGIN RSA PUBLIC KEY" holding PKCS#1, and
 * "BEGIN RSA PUBLIC KEY" holding SubjectPublicKeyInfo, which is what the
 * Travis API serves (its clients rename the label before parsing).
 */
struct crypto_rsa;

#define CRYPTO_RSA_DEFAULT_BITS 4096

enum crypto_pem_style {
	CRYPTO_PEM_SPKI,   /* "BEGIN PUBLIC KEY": what OpenSSL writes */
	CRYPTO_PEM_TRAVIS, /* SubjectPublicKeyInfo under "BEGIN RSA PUBLIC
			      KEY", as the Travis API's /repos/:slug/key */
	CRYPTO_PEM_PKCS1,  /* "BEGIN RSA PUBLIC KEY" with PKCS#1 content */
};

/* A new key of `bits` bits (0: CRYPTO_RSA_DEFAULT_BITS; at least 1024). */
int crypto_rsa_generate(struct crypto_rsa **out, unsigned bits);
int crypto_rsa_read_private(struct crypto_rsa **out, const char *pem,
			    size_t len);
int crypto_rsa_read_public(struct crypto_rsa **out, const char *pem,
			   size_t len);
void crypto_rsa_free(struct crypto_rsa *key);

/* True if the key holds its private half. */
bool crypto_rsa_is_private(const struct crypto_rsa *key);
unsigned crypto_rsa_bits(const struct crypto_rsa *key);
/*
 * Paddings for crypto_rsa_encrypt().  Travis encrypted `secure:` values
 * with PKCS#1 v1.5 (Ruby's public_encrypt default) until late 2019; since
 * then travis-api and the travis CLI use OAEP (Ruby's PKCS1_OAEP_PADDING:
 * SHA-1, MGF1 with SHA-1, no label), and decryption tries OAEP first,
 * then PKCS#1 v1.5, which crypto_rsa_decrypt() copies.
 */
enum crypto_rsa_padding {
	CRYPTO_RSA_OAEP,
	CRYPTO_RSA_PKCS1,
};

/* Longest plaintext for `padding`: key bytes - 42 (OAEP) or - 11. */
size_t crypto_rsa_max_plaintext(const struct crypto_rsa *key,
				enum crypto_rsa_padding padding);

/* Append the private key as PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"). */
int crypto_rsa_write_private(const struct crypto_rsa *key, struct buf *out);
/* Append the public key as PEM in `style`; lines of 64, final newline. */
int crypto_rsa_write_public(const struct crypto_rsa *key, struct buf *out,
			    enum crypto_pem_style style);
/* Append the OpenSSH form "ssh-rsa AAAA..." (no comment, no newline). */
int crypto_rsa_write_ssh(const struct crypto_rsa *key, struct buf *out);
/*
 * The Travis API "fingerprint": MD5 of the OpenSSH public key blob as
 * colon-separated lowercase hex pairs ("ab:cd:..."), 47 characters plus
 * the NUL; the same as `ssh-keygen -l -E md5`.
 */
int crypto_rsa_fingerprint(const struct crypto_rsa *key, char out[48]);

/*
 * Encryption appends key-size bytes to `out`; plaintext longer than
 * crypto_rsa_max_plaintext() is FY_ETOOBIG.  Decryption needs the
 * private key, accepts either padding (OAEP tried first, as Travis
 * does) and appends the plaintext; a wrong key or damaged ciphertext is
 * FY_EINVALID.
 */
int crypto_rsa_encrypt(const struct crypto_rsa *key, struct buf *out,
		       const void *in, size_t len,
		       enum crypto_rsa_padding padding);
int crypto_rsa_decrypt(const struct crypto_rsa *key, struct buf *out,
		       const void *in, size_t len);

/*
 * AES-256-CBC with PKCS#7 padding, raw output with no header: the same
 * bytes as `openssl aes-256-cbc -K <hex key> -iv <hex iv>` (add -d to
 * decrypt), which is what `travis encrypt-file` writes and the build
 * runs.  A wrong key or damaged input fails decryption with FY_EINVALID
 * (bad padding) or, rarely, yields garbage: CBC has no integrity check.
 */
#define CRYPTO_AES_KEY_SIZE 32
#define CRYPTO_AES_IV_SIZE  16

/* Append the encryption (or with `decrypt`, the decryption) of `in`. */
int crypto_aes_cbc(struct buf *out, const void *in, size_t len,
		   const unsigned char key[CRYPTO_AES_KEY_SIZE],
		   const unsigned char iv[CRYPTO_AES_IV_SIZE], bool decrypt);
/* Stream from one descriptor to another until end of input. */
int crypto_aes_cbc_fd(int in_fd, int out_fd,
		      const unsigned char key[CRYPTO_AES_KEY_SIZE],
		      const unsigned char iv[CRYPTO_AES_IV_SIZE], bool decrypt);
/*
 * File to file.  The output is created with mode 0600 (it may be a
 * decrypted secret) and replaced only when the whole run succeeds.
 */
int crypto_aes_cbc_file(const char *in_path, const char *out_path,
			const unsigned char key[CRYPTO_AES_KEY_SIZE],
			const unsigned char iv[CRYPTO_AES_IV_SIZE],
			bool decrypt);

#endif
