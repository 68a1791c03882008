/*
 * crypto.c: OpenSSL: digests, HMAC, random bytes, RSA keys (generate,
 * read, write, fingerprint, encrypt, decrypt) and AES-CBC on memory and
 * files.  The library-free encodings are in crypto_text.c.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "buf.h"
#include "crypto.h"
#include "crypto_int.h"
#include "error.h"
#include "fs.h"
#include "xalloc.h"

/* The only wrapper of OpenSSL: see include/crypto.h for the contract. */

struct crypto_hash {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

struct crypto_rsa {
	EVP_PKEY *pkey;
	bool is_private;
};

#define IO_BLOCK 65536

/*
 * Record "<context>: <OpenSSL reason>" and empty OpenSSL's error queue,
 * so a later failure never reports a stale reason.
 */
static int PRINTFLIKE(2, 3) crypto_err(int code, const char *fmt, ...)
{
	char what[1024];
	char reason[256] = "";
	unsigned long e = ERR_get_error();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e) {
		const char *r = ERR_reason_error_string(e);

		if (r)
			snprintf(reason, sizeof(reason), "%s", r);
		else
			ERR_error_string_n(e, reason, sizeof(reason));
	}
	ERR_clear_error();
	if (!*reason)
		return err_set(code, "%s", what);
	return err_set(code, "%s: %s", what, reason);
}

/*
 * A digest or HMAC that OpenSSL refuses to compute means memory ran out
 * or the installation is broken: treat it like xmalloc() treats OOM.
 */
static _Noreturn void crypto_fatal(const char *what)
{
	char reason[256] = "unknown error";
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	fprintf(stderr, "ferry: OpenSSL cannot compute %s: %s\n", what, reason);
	fflush(stderr);
	abort();
}

static const EVP_MD *alg_md(enum crypto_alg alg)
{
	switch (alg) {
	case CRYPTO_MD5:
		return EVP_md5();
	case CRYPTO_SHA1:
		return EVP_sha1();
	case CRYPTO_SHA256:
		return EVP_sha256();
	}
	BUG("unknown digest %d", (int)alg);
}

size_t crypto_digest_size(enum crypto_alg alg)
{
	switch (alg) {
	case CRYPTO_MD5:
		return 16;
	case CRYPTO_SHA1:
		return 20;
	case CRYPTO_SHA256:
		return 32;
	}
	BUG("unknown digest %d", (int)alg);
}

void crypto_digest(enum crypto_alg alg, const void *data, size_t len,
		   unsigned char *out)
{
	struct crypto_hash *h = crypto_hash_new(alg);

	crypto_hash_update(h, data, len);
	crypto_hash_final(h, out);
	crypto_hash_free(h);
}

void crypto_digest_hex(enum crypto_alg alg, const void *data, size_t len,
		       char *hex)
{
	unsigned char md[CRYPTO_MAX_DIGEST];

	crypto_digest(alg, data, len, md);
	crypto_hex(hex, md, crypto_digest_size(alg));
}

struct crypto_hash *crypto_hash_new(enum crypto_alg alg)
{
	struct crypto_hash *h = xcalloc(1, sizeof(*h));

	h->md = alg_md(alg);
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, h->md, NULL))
		crypto_fatal("a digest");
	return h;
}

void crypto_hash_update(struct crypto_hash *h, const void *data, size_t len)
{
	if (len && !EVP_DigestUpdate(h->ctx, data, len))
		crypto_fatal("a digest");
}

void crypto_hash_final(struct crypto_hash *h, unsigned char *out)
{
	if (!EVP_DigestFinal_ex(h->ctx, out, NULL) ||
	    !EVP_DigestInit_ex(h->ctx, h->md, NULL))
		crypto_fatal("a digest");
}

void crypto_hash_free(struct crypto_hash *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int crypto_digest_file(enum crypto_alg alg, const char *path,
		       unsigned char *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct crypto_hash *h = NULL;
	char *block = NULL;
	int err = 0;

	if (fd < 0)
		return err_errno("cannot read '%s'", path);
	h = crypto_hash_new(alg);
	block = xmalloc(IO_BLOCK);
	for (;;) {
		ssize_t n = read(fd, block, IO_BLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = err_errno("cannot read '%s'", path);
			goto out;
		}
		if (!n)
			break;
		crypto_hash_update(h, block, (size_t)n);
	}
	crypto_hash_final(h, out);
out:
	free(block);
	crypto_hash_free(h);
	close_fd(&fd);
	return err;
}

void crypto_hmac(enum crypto_alg alg, const void *key, size_t key_len,
		 const void *data, size_t len, unsigned char *out)
{
	static const unsigned char nothing[1];
	unsigned int out_len = 0;

	if (key_len > INT_MAX)
		BUG("HMAC key of %zu bytes", key_len);
	/* OpenSSL treats a NULL key as "reuse the previous one". */
	if (!HMAC(alg_md(alg), key_len ? key : nothing, (int)key_len,
		  len ? data : nothing, len, out, &out_len))
		crypto_fatal("an HMAC");
}

void crypto_hmac_sha256_hex(const void *key, size_t key_len, const void *data,
			    size_t len, char hex[CRYPTO_MAX_HEX])
{
	unsigned char mac[32];

	crypto_hmac(CRYPTO_SHA256, key, key_len, data, len, mac);
	crypto_hex(hex, mac, sizeof(mac));
}

bool crypto_equal(const void *a, const void *b, size_t len)
{
	return !CRYPTO_memcmp(a, b, len);
}

int crypto_random(void *out, size_t len)
{
	unsigned char *p = out;

	while (len) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, n) != 1)
			return crypto_err(FY_EFAIL, "cannot get random bytes");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* RSA */

static struct crypto_rsa *rsa_wrap(EVP_PKEY *pkey, bool is_private)
{
	struct crypto_rsa *key = xcalloc(1, sizeof(*key));

	key->pkey = pkey;
	key->is_private = is_private;
	return key;
}

int crypto_rsa_generate(struct crypto_rsa **out, unsigned bits)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int err = 0;

	if (!bits)
		bits = CRYPTO_RSA_DEFAULT_BITS;
	if (bits < 1024 || bits > 16384)
		return err_set(FY_EINVALID,
			       "RSA key size %u is not in 1024..16384", bits);
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
	    EVP_PKEY_keygen(ctx, &pkey) <= 0) {
		err = crypto_err(FY_EFAIL, "cannot generate a %u-bit RSA key",
				 bits);
		goto out;
	}
	*out = rsa_wrap(pkey, true);
out:
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* Never prompt for a pass phrase: an encrypted key is simply refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *payload)
{
	return -1;
}

int crypto_rsa_read_private(struct crypto_rsa **out, const char *pem,
			    size_t len)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	int err = 0;

	if (len > INT_MAX)
		return err_set(FY_ETOOBIG, "private key text is too long");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		crypto_fatal("a memory BIO");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (!pkey) {
		err = crypto_err(FY_EINVALID,
				 "cannot read the RSA private key");
		goto out;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		err = err_set(FY_EINVALID, "the private key is not an RSA key");
		goto out;
	}
	*out = rsa_wrap(pkey, true);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return err;
}

int crypto_rsa_read_public(struct crypto_rsa **out, const char *pem, size_t len)
{
	struct buf der = BUF_INIT;
	char label[64];
	EVP_PKEY *pkey = NULL;
	const unsigned char *p;
	int err;

	err = crypto_pem_decode(pem, len, label, sizeof(label), &der);
	if (err < 0)
		goto out;
	if (strcmp(label, "PUBLIC KEY") && strcmp(label, "RSA PUBLIC KEY")) {
		err = err_set(FY_EINVALID, "'%s' is not a public key", label);
		goto out;
	}
	/* Travis puts SubjectPublicKeyInfo under either label: try it first. */
	p = (const unsigned char *)der.ptr;
	pkey = d2i_PUBKEY(NULL, &p, (long)der.len);
	if (!pkey && !strcmp(label, "RSA PUBLIC KEY")) {
		ERR_clear_error();
		p = (const unsigned char *)der.ptr;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)der.len);
	}
	if (!pkey) {
		err = crypto_err(FY_EINVALID, "cannot read the RSA public key");
		goto out;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		err = err_set(FY_EINVALID, "the public key is not an RSA key");
		goto out;
	}
	*out = rsa_wrap(pkey, false);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	buf_release(&der);
	return err;
}

void crypto_rsa_free(struct crypto_rsa *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

bool crypto_rsa_is_private(const struct crypto_rsa *key)
{
	return key->is_private;
}

unsigned crypto_rsa_bits(const struct crypto_rsa *key)
{
	return (unsigned)EVP_PKEY_get_bits(key->pkey);
}

size_t crypto_rsa_max_plaintext(const struct crypto_rsa *key,
				enum crypto_rsa_padding padding)
{
	size_t overhead = padding == CRYPTO_RSA_OAEP ? 2 * 20 + 2 : 11;

	return (size_t)EVP_PKEY_get_size(key->pkey) - overhead;
}

/* Append everything `bio` holds to `out`. */
static int bio_drain(BIO *bio, struct buf *out)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);

	if (n < 0)
		n = 0;
	if (buf_add(out, data, (size_t)n) < 0)
		return err_set(FY_ETOOBIG, "key text exceeds the buffer limit");
	return 0;
}

int crypto_rsa_write_private(const struct crypto_rsa *key, struct buf *out)
{
	BIO *bio = NULL;
	int err = 0;

	if (!key->is_private)
		BUG("writing the private half of a public key");
	bio = BIO_new(BIO_s_secmem());
	if (!bio)
		crypto_fatal("a memory BIO");
	if (!PEM_write_bio_PrivateKey_traditional(bio, key->pkey, NULL, NULL, 0,
						  NULL, NULL)) {
		err = crypto_err(FY_EFAIL, "cannot write the RSA private key");
		goto out;
	}
	err = bio_drain(bio, out);
out:
	BIO_free(bio);
	return err;
}

int crypto_rsa_write_public(const struct crypto_rsa *key, struct buf *out,
			    enum crypto_pem_style style)
{
	const char *label =
		style == CRYPTO_PEM_SPKI ? "PUBLIC KEY" : "RSA PUBLIC KEY";
	unsigned char *der = NULL;
	int n, err;

	if (style == CRYPTO_PEM_PKCS1)
		n = i2d_PublicKey(key->pkey, &der);
	else
		n = i2d_PUBKEY(key->pkey, &der);
	if (n <= 0)
		return crypto_err(FY_EFAIL, "cannot encode the RSA public key");
	err = crypto_pem_encode(out, label, der, (size_t)n);
	OPENSSL_free(der);
	return err;
}

/* Append an SSH mpint: big-endian magnitude, a 0 byte if the top bit is set. */
static int ssh_mpint(struct buf *b, const EVP_PKEY *pkey, const char *param)
{
	BIGNUM *bn = NULL;
	unsigned char *bytes;
	int n;

	if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
		return crypto_err(FY_EFAIL, "cannot read the RSA key's '%s'",
				  param);
	n = BN_num_bytes(bn);
	bytes = xmalloc((size_t)n + 1);
	bytes[0] = 0;
	BN_bn2bin(bn, bytes + 1);
	if (n && bytes[1] & 0x80)
		crypto_ssh_string(b, bytes, (size_t)n + 1);
	else
		crypto_ssh_string(b, bytes + 1, (size_t)n);
	free(bytes);
	BN_free(bn);
	return 0;
}

/* The OpenSSH public key blob: "ssh-rsa", e, n. */
static int ssh_blob(const struct crypto_rsa *key, struct buf *blob)
{
	int err;

	crypto_ssh_string(blob, "ssh-rsa", 7);
	err = ssh_mpint(blob, key->pkey, OSSL_PKEY_PARAM_RSA_E);
	if (!err)
		err = ssh_mpint(blob, key->pkey, OSSL_PKEY_PARAM_RSA_N);
	return err;
}

int crypto_rsa_write_ssh(const struct crypto_rsa *key, struct buf *out)
{
	struct buf blob = BUF_INIT;
	int err;

	err = ssh_blob(key, &blob);
	if (!err)
		err = buf_addstr(out, "ssh-rsa ");
	if (!err)
		err = crypto_base64_encode(out, blob.ptr, blob.len);
	buf_release(&blob);
	return err;
}

int crypto_rsa_fingerprint(const struct crypto_rsa *key, char out[48])
{
	struct buf blob = BUF_INIT;
	unsigned char md[16];
	char hex[33];
	int err;

	err = ssh_blob(key, &blob);
	if (err < 0)
		goto out;
	crypto_digest(CRYPTO_MD5, blob.ptr, blob.len, md);
	crypto_hex(hex, md, sizeof(md));
	for (size_t i = 0; i < 16; i++) {
		out[3 * i] = hex[2 * i];
		out[3 * i + 1] = hex[2 * i + 1];
		out[3 * i + 2] = i < 15 ? ':' : '\0';
	}
out:
	buf_release(&blob);
	return err;
}

static const char *padding_name(enum crypto_rsa_padding padding)
{
	return padding == CRYPTO_RSA_OAEP ? "OAEP" : "PKCS#1 v1.5";
}

/*
 * A PKEY context set up to encrypt or decrypt with `padding`.  OpenSSL's
 * OAEP defaults (SHA-1, MGF1-SHA-1, empty label) are Ruby's.
 */
static EVP_PKEY_CTX *rsa_ctx(const struct crypto_rsa *key, bool decrypt,
			     enum crypto_rsa_padding padding)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->pkey, NULL);
	int pad = padding == CRYPTO_RSA_OAEP ? RSA_PKCS1_OAEP_PADDING
					     : RSA_PKCS1_PADDING;

	if (!ctx)
		return NULL;
	if ((decrypt ? EVP_PKEY_decrypt_init(ctx)
		     : EVP_PKEY_encrypt_init(ctx)) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, pad) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
#ifdef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
	/*
	 * OpenSSL 3.2 answers a bad PKCS#1 v1.5 block with random bytes
	 * instead of an error.  We need the error: a wrong key or damaged
	 * value must fail (Travis then keeps the ciphertext), not decrypt
	 * to garbage.  Built only against OpenSSL >= 3.2 headers.
	 */
	if (decrypt && padding == CRYPTO_RSA_PKCS1) {
		unsigned int off = 0;
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_uint(
				OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION,
				&off),
			OSSL_PARAM_construct_end(),
		};

		if (!EVP_PKEY_CTX_set_params(ctx, params)) {
			EVP_PKEY_CTX_free(ctx);
			return NULL;
		}
	}
#endif
	return ctx;
}

int crypto_rsa_encrypt(const struct crypto_rsa *key, struct buf *out,
		       const void *in, size_t len,
		       enum crypto_rsa_padding padding)
{
	size_t max = crypto_rsa_max_plaintext(key, padding);
	size_t n = (size_t)EVP_PKEY_get_size(key->pkey);
	unsigned char *cipher = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int err = 0;

	if (len > max)
		return err_set(FY_ETOOBIG,
			       "%zu bytes is too long for a %u-bit RSA key "
			       "with %s padding (at most %zu)",
			       len, crypto_rsa_bits(key), padding_name(padding),
			       max);
	ctx = rsa_ctx(key, false, padding);
	cipher = xmalloc(n);
	if (!ctx || EVP_PKEY_encrypt(ctx, cipher, &n, in, len) <= 0) {
		err = crypto_err(FY_EFAIL, "cannot encrypt with the RSA key");
		goto out;
	}
	if (buf_add(out, cipher, n) < 0)
		err = err_set(FY_ETOOBIG,
			      "ciphertext exceeds the buffer limit");
out:
	free(cipher);
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* Decrypt into `plain` (key-size bytes) with one padding; 0 or -1. */
static int rsa_decrypt_with(const struct crypto_rsa *key,
			    enum crypto_rsa_padding padding,
			    unsigned char *plain, size_t *n, const void *in,
			    size_t len)
{
	EVP_PKEY_CTX *ctx = rsa_ctx(key, true, padding);
	int ok = ctx && EVP_PKEY_decrypt(ctx, plain, n, in, len) > 0;

	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

int crypto_rsa_decrypt(const struct crypto_rsa *key, struct buf *out,
		       const void *in, size_t len)
{
	size_t size = (size_t)EVP_PKEY_get_size(key->pkey), n = size;
	unsigned char *plain = NULL;
	int err = 0;

	if (!key->is_private)
		return err_set(FY_EINVALID, "cannot decrypt with a public key");
	if (len != size)
		return err_set(FY_EINVALID,
			       "ciphertext of %zu bytes does not fit a %u-bit "
			       "RSA key (%zu bytes)",
			       len, crypto_rsa_bits(key), size);
	plain = xmalloc(size);
	if (rsa_decrypt_with(key, CRYPTO_RSA_OAEP, plain, &n, in, len) < 0) {
		/* Not OAEP: forget that failure and try the older padding. */
		ERR_clear_error();
		n = size;
		if (rsa_decrypt_with(key, CRYPTO_RSA_PKCS1, plain, &n, in,
				     len) < 0) {
			err = crypto_err(FY_EINVALID,
					 "cannot decrypt with the RSA key");
			goto out;
		}
	}
	if (buf_add(out, plain, n) < 0)
		err = err_set(FY_ETOOBIG, "plaintext exceeds the buffer limit");
out:
	explicit_bzero(plain, size);
	free(plain);
	return err;
}

/* AES-256-CBC */

static EVP_CIPHER_CTX *aes_ctx(const unsigned char *key,
			       const unsigned char *iv, bool decrypt)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	if (!EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv,
			       decrypt ? 0 : 1)) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static const char *aes_verb(bool decrypt)
{
	return decrypt ? "decrypt" : "encrypt";
}

int crypto_aes_cbc(struct buf *out, const void *in, size_t len,
		   const unsigned char key[CRYPTO_AES_KEY_SIZE],
		   const unsigned char iv[CRYPTO_AES_IV_SIZE], bool decrypt)
{
	EVP_CIPHER_CTX *ctx = NULL;
	size_t start = out->len, room = st_add(len, 16);
	int n = 0, tail = 0, err = 0;

	if (len > INT_MAX - 32)
		return err_set(FY_ETOOBIG,
			       "%zu bytes is too much to %s at once", len,
			       aes_verb(decrypt));
	if (out->limit && room > out->limit - out->len)
		return err_set(FY_ETOOBIG, "%sed data exceeds the buffer limit",
			       aes_verb(decrypt));
	/* Room for everything first, so no realloc leaves plaintext behind. */
	buf_grow(out, room);
	ctx = aes_ctx(key, iv, decrypt);
	if (!ctx ||
	    !EVP_CipherUpdate(ctx, (unsigned char *)out->ptr + start, &n, in,
			      (int)len) ||
	    !EVP_CipherFinal_ex(ctx, (unsigned char *)out->ptr + start + n,
				&tail)) {
		err = crypto_err(decrypt ? FY_EINVALID : FY_EFAIL,
				 "cannot %s with AES-256-CBC",
				 aes_verb(decrypt));
		explicit_bzero(out->ptr + start, room);
		buf_setlen(out, start);
		goto out;
	}
	buf_setlen(out, start + (size_t)n + (size_t)tail);
out:
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

int crypto_aes_cbc_fd(int in_fd, int out_fd,
		      const unsigned char key[CRYPTO_AES_KEY_SIZE],
		      const unsigned char iv[CRYPTO_AES_IV_SIZE], bool decrypt)
{
	EVP_CIPHER_CTX *ctx = aes_ctx(key, iv, decrypt);
	unsigned char *in = xmalloc(IO_BLOCK);
	unsigned char *cooked = xmalloc(IO_BLOCK + 32);
	int n = 0, err = 0;

	if (!ctx) {
		err = crypto_err(FY_EFAIL, "cannot set up AES-256-CBC");
		goto out;
	}
	for (;;) {
		ssize_t got = read(in_fd, in, IO_BLOCK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = err_errno("cannot read the data to %s",
					aes_verb(decrypt));
			goto out;
		}
		if (!got)
			break;
		if (!EVP_CipherUpdate(ctx, cooked, &n, in, (int)got))
			goto fail;
		err = fs_write_all(out_fd, cooked, (size_t)n);
		if (err < 0)
			goto out;
	}
	if (!EVP_CipherFinal_ex(ctx, cooked, &n))
		goto fail;
	err = fs_write_all(out_fd, cooked, (size_t)n);
	goto out;
fail:
	err = crypto_err(decrypt ? FY_EINVALID : FY_EFAIL,
			 "cannot %s with AES-256-CBC", aes_verb(decrypt));
out:
	explicit_bzero(in, IO_BLOCK);
	explicit_bzero(cooked, IO_BLOCK + 32);
	free(in);
	free(cooked);
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

int crypto_aes_cbc_file(const char *in_path, const char *out_path,
			const unsigned char key[CRYPTO_AES_KEY_SIZE],
			const unsigned char iv[CRYPTO_AES_IV_SIZE],
			bool decrypt)
{
	char *tmp = xasprintf("%s.tmp.%ld", out_path, (long)getpid());
	int in_fd = -1, out_fd = -1;
	int err = 0;

	in_fd = open(in_path, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0) {
		err = err_errno("cannot read '%s'", in_path);
		goto out;
	}
	out_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out_fd < 0) {
		err = err_errno("cannot write '%s'", out_path);
		goto out;
	}
	err = crypto_aes_cbc_fd(in_fd, out_fd, key, iv, decrypt);
	if (err < 0) {
		err = err_wrap(err, "'%s'", in_path);
		goto out;
	}
	if (close(out_fd) < 0) {
		out_fd = -1;
		err = err_errno("cannot write '%s'", out_path);
		goto out;
	}
	out_fd = -1;
	if (rename(tmp, out_path) < 0)
		err = err_errno("cannot rename '%s' to '%s'", tmp, out_path);
out:
	close_fd(&in_fd);
	close_fd(&out_fd);
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}
