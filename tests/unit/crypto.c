#include "compat.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "fs.h"
#include "unit.h"
#include "xalloc.h"

/*
 * crypto: known answers from the RFCs and FIPS for digests, HMAC and
 * Base64, and round trips against the `openssl` and `ssh-keygen`
 * command lines for RSA and AES (each test runs in its own directory).
 */

/*
 * Run argv[0] with stdin from `in` and stdout to `out` (NULL:
 * /dev/null); stderr is appended to "stderr.txt", which stays in the
 * directory of a failed test.  Returns the exit status, or -1.
 */
static int run(const char *in, const char *out, const char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid) {
		int ifd = open(in ? in : "/dev/null", O_RDONLY);
		int ofd = open(out ? out : "/dev/null",
			       O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int efd =
			open("stderr.txt", O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (ifd < 0 || ofd < 0 || efd < 0 || dup2(ifd, 0) < 0 ||
		    dup2(ofd, 1) < 0 || dup2(efd, 2) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define RUN(in, out, ...) \
	run((in), (out), (const char *const[]){ __VA_ARGS__, NULL })

static bool file_is(const char *path, const void *data, size_t len)
{
	struct buf b = BUF_INIT;
	bool same = fs_read_file(&b, path) >= 0 && b.len == len &&
		    !memcmp(b.ptr, data, len);

	buf_release(&b);
	return same;
}

/* ---- digests ---- */

static const struct {
	enum crypto_alg alg;
	const char *in;
	const char *hex;
} digest_cases[] = {
	{ CRYPTO_MD5, "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ CRYPTO_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ CRYPTO_MD5, "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
	{ CRYPTO_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ CRYPTO_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ CRYPTO_SHA1,
	  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ CRYPTO_SHA256, "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ CRYPTO_SHA256, "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ CRYPTO_SHA256,
	  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

void test_crypto__digest_known_answers(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(digest_cases); i++) {
		char hex[CRYPTO_MAX_HEX];

		crypto_digest_hex(digest_cases[i].alg, digest_cases[i].in,
				  strlen(digest_cases[i].in), hex);
		check_str(hex, digest_cases[i].hex);
		check_int(strlen(hex), ==,
			  2 * crypto_digest_size(digest_cases[i].alg));
	}
}

/* FIPS 180's million 'a', fed in uneven pieces through one context. */
void test_crypto__digest_streaming(void)
{
	static const struct {
		enum crypto_alg alg;
		const char *hex;
	} million[] = {
		{ CRYPTO_MD5, "7707d6ae4e027c70eea2a935c2296f21" },
		{ CRYPTO_SHA1, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
		{ CRYPTO_SHA256, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a49"
				 "7200e046d39ccc7112cd0" },
	};
	char *a = xmalloc(1000000);

	memset(a, 'a', 1000000);
	for (size_t i = 0; i < ARRAY_SIZE(million); i++) {
		struct crypto_hash *h = crypto_hash_new(million[i].alg);
		unsigned char md[CRYPTO_MAX_DIGEST];
		char hex[CRYPTO_MAX_HEX], want[CRYPTO_MAX_HEX];
		size_t done = 0, step = 1;

		while (done < 1000000) {
			size_t n =
				1000000 - done < step ? 1000000 - done : step;

			crypto_hash_update(h, a + done, n);
			done += n;
			step = step * 3 + 7;
		}
		crypto_hash_final(h, md);
		crypto_hex(hex, md, crypto_digest_size(million[i].alg));
		check_str(hex, million[i].hex);
		/* The context starts over after final. */
		crypto_hash_update(h, "abc", 3);
		crypto_hash_final(h, md);
		crypto_hex(hex, md, crypto_digest_size(million[i].alg));
		crypto_hash_free(h);
		crypto_digest_hex(million[i].alg, "abc", 3, want);
		check_str(hex, want);
	}
	free(a);
	crypto_hash_free(NULL);
}

void test_crypto__digest_file_matches_openssl(void)
{
	static const struct {
		enum crypto_alg alg;
		const char *flag;
	} algs[] = {
		{ CRYPTO_MD5, "-md5" },
		{ CRYPTO_SHA1, "-sha1" },
		{ CRYPTO_SHA256, "-sha256" },
	};
	size_t len = 200003;
	unsigned char *data = xmalloc(len);

	check_ok(crypto_random(data, len));
	check_ok(fs_write_file("data.bin", data, len, 0600));
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		unsigned char md[CRYPTO_MAX_DIGEST], md2[CRYPTO_MAX_DIGEST];
		char hex[CRYPTO_MAX_HEX];
		struct buf out = BUF_INIT;

		check_ok(crypto_digest_file(algs[i].alg, "data.bin", md));
		crypto_digest(algs[i].alg, data, len, md2);
		check(!memcmp(md, md2, crypto_digest_size(algs[i].alg)));
		check_int(RUN(NULL, "dgst.txt", "openssl", "dgst", algs[i].flag,
			      "-r", "data.bin"),
			  ==, 0);
		check_ok(fs_read_file(&out, "dgst.txt"));
		crypto_hex(hex, md, crypto_digest_size(algs[i].alg));
		check(!strncmp(out.ptr, hex, strlen(hex)));
		buf_release(&out);
	}
	free(data);
	check_int(crypto_digest_file(CRYPTO_MD5, "missing", NULL), ==,
		  FY_ENOTFOUND);
}

/* ---- HMAC ---- */

void test_crypto__hmac_known_answers(void)
{
	unsigned char key20[20], key131[131], mac[CRYPTO_MAX_DIGEST];
	char hex[CRYPTO_MAX_HEX];

	/* RFC 4231 cases 1, 2 and 6 (HMAC-SHA256). */
	memset(key20, 0x0b, sizeof(key20));
	crypto_hmac_sha256_hex(key20, 20, "Hi There", 8, hex);
	check_str(hex, "b0344c61d8db38535ca8afceaf0bf12b"
		       "881dc200c9833da726e9376c2e32cff7");
	crypto_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28,
			       hex);
	check_str(hex, "5bdcc146bf60754e6a042426089575c7"
		       "5a003f089d2739839dec58b964ec3843");
	memset(key131, 0xaa, sizeof(key131));
	crypto_hmac_sha256_hex(
		key131, 131,
		"Test Using Larger Than Block-Size Key - Hash Key First", 54,
		hex);
	check_str(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
		       "8e0bc6213728c5140546040f0ee37f54");
	/* RFC 2202 case 2 (HMAC-SHA1) and RFC 2104's HMAC-MD5 example. */
	crypto_hmac(CRYPTO_SHA1, "Jefe", 4, "what do ya want for nothing?", 28,
		    mac);
	crypto_hex(hex, mac, 20);
	check_str(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	crypto_hmac(CRYPTO_MD5, "Jefe", 4, "what do ya want for nothing?", 28,
		    mac);
	crypto_hex(hex, mac, 16);
	check_str(hex, "750c783e6ab0b503eaa86e310a5db738");
	/* GitHub's documented X-Hub-Signature-256 example. */
	crypto_hmac_sha256_hex("It's a Secret to Everybody", 26,
			       "Hello, World!", 13, hex);
	check_str(hex, "757107ea0eb2509fc211221cce984b8a"
		       "37570b6d7586c22c46f4379c8b043e17");
	/* Empty key and empty data are valid. */
	crypto_hmac_sha256_hex("", 0, "", 0, hex);
	check_str(hex, "b613679a0814d9ec772f95d778c35fc5"
		       "ff1697c493715653c6c712144292c5ad");
}

void test_crypto__hmac_matches_openssl(void)
{
	unsigned char data[4096];
	char hex[CRYPTO_MAX_HEX];
	struct buf out = BUF_INIT;

	check_ok(crypto_random(data, sizeof(data)));
	check_ok(fs_write_file("body", data, sizeof(data), 0600));
	crypto_hmac_sha256_hex("webhook secret", 14, data, sizeof(data), hex);
	check_int(RUN("body", "mac.txt", "openssl", "dgst", "-sha256", "-hmac",
		      "webhook secret", "-r"),
		  ==, 0);
	check_ok(fs_read_file(&out, "mac.txt"));
	check(!strncmp(out.ptr, hex, 64));
	buf_release(&out);
}

void test_crypto__equal(void)
{
	check(crypto_equal("abcdef", "abcdef", 6));
	check(!crypto_equal("abcdef", "abcdeg", 6));
	check(!crypto_equal("xbcdef", "abcdef", 6));
	check(crypto_equal("a", "b", 0));
}

/* ---- hex and Base64 ---- */

static const struct {
	const char *hex;
	size_t len;
	int err;
	const char *bytes;
} hex_cases[] = {
	{ "00ff10Ab", 4, 0, "\x00\xff\x10\xab" },
	{ "", 0, 0, "" },
	{ "00ff10a", 4, FY_EINVALID, NULL },
	{ "00ff10abcd", 4, FY_EINVALID, NULL },
	{ "00ff10ag", 4, FY_EINVALID, NULL },
	{ " 0ff10ab", 4, FY_EINVALID, NULL },
};

void test_crypto__hex(void)
{
	char hex[9];

	crypto_hex(hex, "\x00\xff\x10\xab", 4);
	check_str(hex, "00ff10ab");
	for (size_t i = 0; i < ARRAY_SIZE(hex_cases); i++) {
		unsigned char out[4];
		int err = crypto_hex_decode(out, hex_cases[i].len,
					    hex_cases[i].hex);

		check_int(err, ==, hex_cases[i].err);
		if (!err)
			check(!memcmp(out, hex_cases[i].bytes,
				      hex_cases[i].len));
	}
}

/* RFC 4648 section 10. */
static const struct {
	const char *plain, *b64;
} b64_cases[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

void test_crypto__base64_rfc4648(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(b64_cases); i++) {
		struct buf enc = BUF_INIT, dec = BUF_INIT;

		check_ok(crypto_base64_encode(&enc, b64_cases[i].plain,
					      strlen(b64_cases[i].plain)));
		check_str(enc.ptr, b64_cases[i].b64);
		check_ok(crypto_base64_decode(&dec, enc.ptr, enc.len));
		check_str(dec.ptr, b64_cases[i].plain);
		buf_release(&enc);
		buf_release(&dec);
	}
}

static const struct {
	const char *in;
	int err;
	const char *out;
} b64_decode_cases[] = {
	{ "Zm9v\nYmFy\n", 0, "foobar" },
	{ "  Zm 9v\r\n\tYmE=\n", 0, "fooba" },
	{ "Zm9vYg", 0, "foob" },
	{ "Zm9vYmE", 0, "fooba" },
	{ "Zm9vYg=", FY_EINVALID, NULL },
	{ "Zm9vY", FY_EINVALID, NULL },
	{ "Zm9v!mFy", FY_EINVALID, NULL },
	{ "Zg==Zg==", FY_EINVALID, NULL },
	{ "Zg===", FY_EINVALID, NULL },
	{ "=", FY_EINVALID, NULL },
	{ "Zm9v-_", FY_EINVALID, NULL },
	{ "\n\n", 0, "" },
};

void test_crypto__base64_decode_rules(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(b64_decode_cases); i++) {
		struct buf dec = BUF_INIT;
		int err;

		buf_addstr(&dec, "keep:");
		err = crypto_base64_decode(&dec, b64_decode_cases[i].in,
					   strlen(b64_decode_cases[i].in));
		check_int(err, ==, b64_decode_cases[i].err);
		if (err)
			check_str(dec.ptr, "keep:");
		else
			check_str(dec.ptr + 5, b64_decode_cases[i].out);
		buf_release(&dec);
	}
}

void test_crypto__base64_cap(void)
{
	struct buf b = BUF_INIT;

	buf_set_limit(&b, 5);
	check_int(crypto_base64_decode(&b, "Zm9vYmFy", 8), ==, FY_ETOOBIG);
	check_int(b.len, ==, 0);
	buf_release(&b);
	buf_set_limit(&b, 7);
	check_int(crypto_base64_encode(&b, "foobar", 6), ==, FY_ETOOBIG);
	buf_release(&b);
}

/* Our encoding equals `openssl base64 -A`; we decode its wrapped form. */
void test_crypto__base64_matches_openssl(void)
{
	unsigned char data[1000];
	struct buf ours = BUF_INIT, theirs = BUF_INIT, dec = BUF_INIT;

	check_ok(crypto_random(data, sizeof(data)));
	check_ok(fs_write_file("data", data, sizeof(data), 0600));
	check_ok(crypto_base64_encode(&ours, data, sizeof(data)));
	check_int(RUN("data", "one.b64", "openssl", "base64", "-A"), ==, 0);
	check(file_is("one.b64", ours.ptr, ours.len));
	check_int(RUN("data", "lines.b64", "openssl", "base64"), ==, 0);
	check_ok(fs_read_file(&theirs, "lines.b64"));
	check(memchr(theirs.ptr, '\n', theirs.len) !=
	      theirs.ptr + theirs.len - 1);
	check_ok(crypto_base64_decode(&dec, theirs.ptr, theirs.len));
	check_int(dec.len, ==, sizeof(data));
	check(!memcmp(dec.ptr, data, sizeof(data)));
	buf_release(&ours);
	buf_release(&theirs);
	buf_release(&dec);
}

void test_crypto__random(void)
{
	unsigned char a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };

	check_ok(crypto_random(a, sizeof(a)));
	check_ok(crypto_random(b, sizeof(b)));
	check(memcmp(a, b, sizeof(a)));
	check(memcmp(a, zero, sizeof(a)));
	check_ok(crypto_random(a, 0));
}

/* ---- RSA ---- */

static bool write_buf(const char *path, const struct buf *b)
{
	return fs_write_file(path, b->ptr, b->len, 0600) >= 0;
}

/* A 2048-bit key written as priv.pem (PKCS#1) and pub.pem (SPKI). */
static struct crypto_rsa *make_key(void)
{
	struct crypto_rsa *key = NULL;
	struct buf b = BUF_INIT;

	if (crypto_rsa_generate(&key, 2048) < 0 ||
	    crypto_rsa_write_private(key, &b) < 0 || !write_buf("priv.pem", &b))
		goto fail;
	buf_release_secure(&b);
	if (crypto_rsa_write_public(key, &b, CRYPTO_PEM_SPKI) < 0 ||
	    !write_buf("pub.pem", &b))
		goto fail;
	buf_release(&b);
	return key;
fail:
	unit_fail(__FILE__, __LINE__, "make_key: %s", err_msg());
	buf_release_secure(&b);
	crypto_rsa_free(key);
	return NULL;
}

/* Our PEM output is byte-identical to what the openssl CLI derives. */
void test_crypto__rsa_pem_matches_openssl(void)
{
	struct crypto_rsa *key = make_key();
	struct buf b = BUF_INIT;

	check(key);
	check(crypto_rsa_is_private(key));
	check_int(crypto_rsa_bits(key), ==, 2048);
	check_int(crypto_rsa_max_plaintext(key, CRYPTO_RSA_PKCS1), ==, 245);
	check_int(crypto_rsa_max_plaintext(key, CRYPTO_RSA_OAEP), ==, 214);
	check_int(RUN(NULL, "spki.pem", "openssl", "pkey", "-in", "priv.pem",
		      "-pubout"),
		  ==, 0);
	check_ok(crypto_rsa_write_public(key, &b, CRYPTO_PEM_SPKI));
	check(file_is("spki.pem", b.ptr, b.len));
	buf_reset(&b);
	check_int(RUN(NULL, "pkcs1.pem", "openssl", "rsa", "-in", "priv.pem",
		      "-RSAPublicKey_out"),
		  ==, 0);
	check_ok(crypto_rsa_write_public(key, &b, CRYPTO_PEM_PKCS1));
	check(!strncmp(b.ptr, "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA",
		       43));
	check(file_is("pkcs1.pem", b.ptr, b.len));
	buf_reset(&b);
	check_int(RUN(NULL, "trad.pem", "openssl", "rsa", "-in", "priv.pem",
		      "-traditional"),
		  ==, 0);
	check_ok(crypto_rsa_write_private(key, &b));
	check(!strncmp(b.ptr, "-----BEGIN RSA PRIVATE KEY-----\n", 32));
	check(file_is("trad.pem", b.ptr, b.len));
	buf_release_secure(&b);
	crypto_rsa_free(key);
}

/*
 * Travis serves SubjectPublicKeyInfo under "BEGIN RSA PUBLIC KEY" (its
 * clients rename the label to parse it).  Ours is that, byte for byte,
 * and all three public forms read back as the same key.
 */
void test_crypto__rsa_public_forms(void)
{
	struct crypto_rsa *key = make_key(), *back = NULL;
	struct buf spki = BUF_INIT, travis = BUF_INIT, b = BUF_INIT;
	static const char *const files[] = { "spki.pem", "pkcs1.pem",
					     "travis.pem" };
	char *renamed;

	check(key);
	check_ok(crypto_rsa_write_public(key, &spki, CRYPTO_PEM_SPKI));
	check_ok(crypto_rsa_write_public(key, &travis, CRYPTO_PEM_TRAVIS));
	check(!strncmp(
		travis.ptr,
		"-----BEGIN RSA PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEF",
		55));
	renamed = xstrdup(travis.ptr);
	memmove(renamed + 11, renamed + 15, strlen(renamed + 15) + 1);
	check(strstr(renamed, "-----END RSA PUBLIC KEY-----"));
	*strstr(renamed, "END RSA") = '\0';
	check(!strncmp(renamed, spki.ptr, strlen(renamed)));
	free(renamed);
	check(write_buf("spki.pem", &spki));
	check(write_buf("travis.pem", &travis));
	check_int(RUN(NULL, "pkcs1.pem", "openssl", "rsa", "-in", "priv.pem",
		      "-RSAPublicKey_out"),
		  ==, 0);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		buf_reset(&b);
		check_ok(fs_read_file(&b, files[i]));
		check_ok(crypto_rsa_read_public(&back, b.ptr, b.len));
		check(!crypto_rsa_is_private(back));
		buf_reset(&b);
		check_ok(crypto_rsa_write_public(back, &b, CRYPTO_PEM_SPKI));
		check_str(b.ptr, spki.ptr);
		crypto_rsa_free(back);
		back = NULL;
	}
	buf_release(&spki);
	buf_release(&travis);
	buf_release(&b);
	crypto_rsa_free(key);
}

/* Keys the openssl CLI generates: PKCS#8 by default, PKCS#1 on request. */
void test_crypto__rsa_read_openssl_keys(void)
{
	static const struct {
		const char *file, *first_line;
		bool traditional;
	} keys[] = {
		{ "p8.pem", "-----BEGIN PRIVATE KEY-----", false },
		{ "p1.pem", "-----BEGIN RSA PRIVATE KEY-----", true },
	};
	struct crypto_rsa *key = NULL;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (keys[i].traditional)
			check_int(RUN(NULL, NULL, "openssl", "genrsa",
				      "-traditional", "-out", keys[i].file,
				      "1024"),
				  ==, 0);
		else
			check_int(RUN(NULL, NULL, "openssl", "genrsa", "-out",
				      keys[i].file, "1024"),
				  ==, 0);
		buf_reset(&b);
		check_ok(fs_read_file(&b, keys[i].file));
		check(!strncmp(b.ptr, keys[i].first_line,
			       strlen(keys[i].first_line)));
		check_ok(crypto_rsa_read_private(&key, b.ptr, b.len));
		check(crypto_rsa_is_private(key));
		check_int(crypto_rsa_bits(key), ==, 1024);
		crypto_rsa_free(key);
		key = NULL;
	}
	buf_release_secure(&b);
}

void test_crypto__rsa_bad_keys(void)
{
	static const char *const bad[] = {
		"",
		"not a key",
		"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"
		"-----END RSA PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\nMIIB!!\n-----END PUBLIC KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEF\n",
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	};
	struct crypto_rsa *key = NULL;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		check_int(crypto_rsa_read_private(&key, bad[i], strlen(bad[i])),
			  ==, FY_EINVALID);
		check_int(crypto_rsa_read_public(&key, bad[i], strlen(bad[i])),
			  ==, FY_EINVALID);
		check(!key);
	}
	/* An encrypted key is refused, never prompted for. */
	check_int(RUN(NULL, NULL, "openssl", "genrsa", "-aes256", "-passout",
		      "pass:secret", "-out", "enc.pem", "1024"),
		  ==, 0);
	check_ok(fs_read_file(&b, "enc.pem"));
	check_int(crypto_rsa_read_private(&key, b.ptr, b.len), ==, FY_EINVALID);
	check(strstr(err_msg(), "cannot read the RSA private key"));
	check(!key);
	buf_release(&b);
	/* An EC key is not an RSA key. */
	check_int(RUN(NULL, NULL, "openssl", "genpkey", "-algorithm", "EC",
		      "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"),
		  ==, 0);
	check_ok(fs_read_file(&b, "ec.pem"));
	check_int(crypto_rsa_read_private(&key, b.ptr, b.len), ==, FY_EINVALID);
	check(strstr(err_msg(), "not an RSA key"));
	buf_release(&b);
	check_int(crypto_rsa_generate(&key, 512), ==, FY_EINVALID);
}

static const struct {
	enum crypto_rsa_padding padding;
	const char *mode;
} paddings[] = {
	{ CRYPTO_RSA_OAEP, "rsa_padding_mode:oaep" },
	{ CRYPTO_RSA_PKCS1, "rsa_padding_mode:pkcs1" },
};

/*
 * For each padding: ours encrypts and `openssl pkeyutl` decrypts, then
 * openssl encrypts and ours decrypts (guessing the padding, as Travis).
 */
void test_crypto__rsa_openssl_round_trips(void)
{
	static const char secret[] = "SECRET_TOKEN=a b\"c$d'e";
	struct crypto_rsa *key = make_key(), *pub = NULL;
	struct buf b = BUF_INIT, cipher = BUF_INIT, plain = BUF_INIT;

	check(key);
	check_ok(fs_read_file(&b, "pub.pem"));
	check_ok(crypto_rsa_read_public(&pub, b.ptr, b.len));
	check_ok(fs_write_file("p2.txt", secret, strlen(secret), 0600));
	for (size_t i = 0; i < ARRAY_SIZE(paddings); i++) {
		buf_reset(&cipher);
		check_ok(crypto_rsa_encrypt(pub, &cipher, secret,
					    strlen(secret),
					    paddings[i].padding));
		check_int(cipher.len, ==, 256);
		check(write_buf("c1.bin", &cipher));
		check_int(RUN("c1.bin", "p1.txt", "openssl", "pkeyutl",
			      "-decrypt", "-inkey", "priv.pem", "-pkeyopt",
			      paddings[i].mode),
			  ==, 0);
		check(file_is("p1.txt", secret, strlen(secret)));

		check_int(RUN("p2.txt", "c2.bin", "openssl", "pkeyutl",
			      "-encrypt", "-pubin", "-inkey", "pub.pem",
			      "-pkeyopt", paddings[i].mode),
			  ==, 0);
		buf_reset(&cipher);
		check_ok(fs_read_file(&cipher, "c2.bin"));
		buf_reset(&plain);
		check_ok(crypto_rsa_decrypt(key, &plain, cipher.ptr,
					    cipher.len));
		check_int(plain.len, ==, strlen(secret));
		check(!memcmp(plain.ptr, secret, plain.len));

		/* Both paddings are randomized: no ciphertext repeats. */
		buf_reset(&b);
		check_ok(crypto_rsa_encrypt(pub, &b, secret, strlen(secret),
					    paddings[i].padding));
		check(b.len == cipher.len && memcmp(b.ptr, cipher.ptr, b.len));
	}
	buf_release(&b);
	buf_release(&cipher);
	buf_release_secure(&plain);
	crypto_rsa_free(pub);
	crypto_rsa_free(key);
}

/*
 * What travis.rb and travis-api do, in Ruby's own OpenSSL binding: read
 * the Travis-style public key (renaming the label if the first parse
 * fails), public_encrypt with OAEP and with the default PKCS#1 v1.5, and
 * private_decrypt ours with OAEP or, failing that, the default.
 */
static const char ruby_script[] =
	"require 'openssl'\n"
	"pem = File.read('travis.pem')\n"
	"pub = begin\n"
	"  OpenSSL::PKey::RSA.new(pem)\n"
	"rescue OpenSSL::PKey::RSAError\n"
	"  OpenSSL::PKey::RSA.new(pem.gsub('RSA PUBLIC KEY', 'PUBLIC KEY'))\n"
	"end\n"
	"File.binwrite('r-oaep.bin', pub.public_encrypt('from ruby oaep',\n"
	"  OpenSSL::PKey::RSA::PKCS1_OAEP_PADDING))\n"
	"File.binwrite('r-pkcs1.bin', pub.public_encrypt('from ruby pkcs1'))\n"
	"key = OpenSSL::PKey::RSA.new(File.read('priv.pem'))\n"
	"%w[c-oaep.bin c-pkcs1.bin].each do |f|\n"
	"  c = File.binread(f)\n"
	"  p = begin\n"
	"    key.private_decrypt(c, OpenSSL::PKey::RSA::PKCS1_OAEP_PADDING)\n"
	"  rescue OpenSSL::PKey::RSAError\n"
	"    key.private_decrypt(c)\n"
	"  end\n"
	"  puts p\n"
	"end\n";

void test_crypto__rsa_ruby_round_trips(void)
{
	struct crypto_rsa *key = make_key();
	struct buf b = BUF_INIT, plain = BUF_INIT;

	check(key);
	check_ok(crypto_rsa_write_public(key, &b, CRYPTO_PEM_TRAVIS));
	check(write_buf("travis.pem", &b));
	buf_reset(&b);
	check_ok(crypto_rsa_encrypt(key, &b, "ours oaep", 9, CRYPTO_RSA_OAEP));
	check(write_buf("c-oaep.bin", &b));
	buf_reset(&b);
	check_ok(crypto_rsa_encrypt(key, &b, "ours pkcs1", 10,
				    CRYPTO_RSA_PKCS1));
	check(write_buf("c-pkcs1.bin", &b));
	check_int(RUN(NULL, "ruby.out", "ruby", "-e", ruby_script), ==, 0);
	check(file_is("ruby.out", "ours oaep\nours pkcs1\n", 21));
	buf_reset(&b);
	check_ok(fs_read_file(&b, "r-oaep.bin"));
	check_ok(crypto_rsa_decrypt(key, &plain, b.ptr, b.len));
	check_str(plain.ptr, "from ruby oaep");
	buf_reset(&b);
	buf_reset(&plain);
	check_ok(fs_read_file(&b, "r-pkcs1.bin"));
	check_ok(crypto_rsa_decrypt(key, &plain, b.ptr, b.len));
	check_str(plain.ptr, "from ruby pkcs1");
	buf_release(&b);
	buf_release_secure(&plain);
	crypto_rsa_free(key);
}

/*
 * True if decrypting `c` with `key` does not give `want` back: it fails
 * with "cannot decrypt", or (a chance of about 2^-16 that random bytes
 * pass the PKCS#1 v1.5 padding check) yields other bytes.
 */
static bool rsa_refuses(const struct crypto_rsa *key, const struct buf *c,
			const char *want, size_t len)
{
	struct buf p = BUF_INIT;
	int err = crypto_rsa_decrypt(key, &p, c->ptr, c->len);
	bool refused;

	if (err)
		refused = err == FY_EINVALID &&
			  strstr(err_msg(), "cannot decrypt");
	else
		refused = p.len != len || memcmp(p.ptr, want, len);
	buf_release_secure(&p);
	return refused;
}

void test_crypto__rsa_limits_and_failures(void)
{
	static const struct {
		enum crypto_rsa_padding padding;
		size_t max;
	} limits[] = {
		{ CRYPTO_RSA_PKCS1, 245 },
		{ CRYPTO_RSA_OAEP, 214 },
	};
	struct crypto_rsa *key = make_key(), *other = NULL;
	struct buf c = BUF_INIT, p = BUF_INIT;
	char big[246];

	check(key);
	check_ok(crypto_rsa_generate(&other, 2048));
	memset(big, 'x', sizeof(big));
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		size_t max = limits[i].max;

		buf_reset(&c);
		buf_reset(&p);
		check_ok(crypto_rsa_encrypt(key, &c, big, max,
					    limits[i].padding));
		check_int(crypto_rsa_encrypt(key, &c, big, max + 1,
					     limits[i].padding),
			  ==, FY_ETOOBIG);
		check(strstr(err_msg(), "at most"));
		check_ok(crypto_rsa_decrypt(key, &p, c.ptr, c.len));
		check_int(p.len, ==, max);
		/* A wrong key or damaged ciphertext never gives it back. */
		check(rsa_refuses(other, &c, big, max));
		c.ptr[0] ^= 0x55;
		check(rsa_refuses(key, &c, big, max));
		check_int(crypto_rsa_decrypt(key, &p, c.ptr, c.len - 1), ==,
			  FY_EINVALID);
		check_int(p.len, ==, max);
	}
	check_int(crypto_rsa_decrypt(other, &p, "", 0), ==, FY_EINVALID);
	/* A public key cannot decrypt. */
	buf_reset(&c);
	check_ok(crypto_rsa_write_public(key, &c, CRYPTO_PEM_SPKI));
	crypto_rsa_free(other);
	other = NULL;
	check_ok(crypto_rsa_read_public(&other, c.ptr, c.len));
	buf_reset(&c);
	check_ok(crypto_rsa_encrypt(other, &c, "x", 1, CRYPTO_RSA_OAEP));
	check_int(crypto_rsa_decrypt(other, &p, c.ptr, c.len), ==, FY_EINVALID);
	buf_release(&c);
	buf_release_secure(&p);
	crypto_rsa_free(other);
	crypto_rsa_free(key);
}

void test_crypto__rsa_default_size(void)
{
	struct crypto_rsa *key = NULL;
	struct buf pem = BUF_INIT;

	check_ok(crypto_rsa_generate(&key, 0));
	check_int(crypto_rsa_bits(key), ==, CRYPTO_RSA_DEFAULT_BITS);
	check_int(crypto_rsa_bits(key), ==, 4096);
	check_int(crypto_rsa_max_plaintext(key, CRYPTO_RSA_PKCS1), ==, 501);
	check_int(crypto_rsa_max_plaintext(key, CRYPTO_RSA_OAEP), ==, 470);
	check_ok(crypto_rsa_write_public(key, &pem, CRYPTO_PEM_TRAVIS));
	check(!strncmp(
		pem.ptr,
		"-----BEGIN RSA PUBLIC KEY-----\nMIICIjANBgkqhkiG9w0BAQEF",
		55));
	buf_release(&pem);
	crypto_rsa_free(key);
}

/* The OpenSSH form and the Travis fingerprint agree with ssh-keygen. */
void test_crypto__rsa_ssh_and_fingerprint(void)
{
	struct crypto_rsa *key = make_key();
	struct buf ours = BUF_INIT, theirs = BUF_INIT;
	char fp[48];

	check(key);
	check_ok(crypto_rsa_write_ssh(key, &ours));
	check_int(RUN(NULL, "id.pub", "ssh-keygen", "-y", "-f", "priv.pem"), ==,
		  0);
	check_ok(fs_read_file(&theirs, "id.pub"));
	buf_rtrim(&theirs);
	check_str(ours.ptr, theirs.ptr);
	check_ok(crypto_rsa_fingerprint(key, fp));
	check_int(strlen(fp), ==, 47);
	buf_reset(&theirs);
	check_int(RUN(NULL, "fp.txt", "ssh-keygen", "-l", "-E", "md5", "-f",
		      "id.pub"),
		  ==, 0);
	check_ok(fs_read_file(&theirs, "fp.txt"));
	check(strstr(theirs.ptr, "MD5:"));
	check(!strncmp(strstr(theirs.ptr, "MD5:") + 4, fp, 47));
	buf_release(&ours);
	buf_release(&theirs);
	crypto_rsa_free(key);
}

/* ---- AES-256-CBC ---- */

static const char key_hex[] =
	"0a6446eb3ae3f7b9b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728";
static const char iv_hex[] = "00112233445566778899aabbccddeeff";

static bool aes_keys(unsigned char key[32], unsigned char iv[16])
{
	return crypto_hex_decode(key, 32, key_hex) >= 0 &&
	       crypto_hex_decode(iv, 16, iv_hex) >= 0;
}

/* NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt), first block. */
void test_crypto__aes_known_answer(void)
{
	unsigned char key[32], iv[16], plain[16];
	struct buf out = BUF_INIT;
	char hex[65];

	check_ok(crypto_hex_decode(key, 32,
				   "603deb1015ca71be2b73aef0857d7781"
				   "1f352c073b6108d72d9810a30914dff4"));
	check_ok(crypto_hex_decode(iv, 16, "000102030405060708090a0b0c0d0e0f"));
	check_ok(crypto_hex_decode(plain, 16,
				   "6bc1bee22e409f96e93d7e117393172a"));
	check_ok(crypto_aes_cbc(&out, plain, 16, key, iv, false));
	check_int(out.len, ==, 32); /* the block plus a padding block */
	crypto_hex(hex, out.ptr, 16);
	check_str(hex, "f58c4c04d6e5f1ba779eabfb5f7bfbd6");
	buf_release(&out);
}

void test_crypto__aes_buffer_matches_openssl(void)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100000 };
	unsigned char key[32], iv[16];

	check(aes_keys(key, iv));
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *data = xmalloc(sizes[i] + 1);
		struct buf ours = BUF_INIT, back = BUF_INIT, theirs = BUF_INIT;

		check_ok(crypto_random(data, sizes[i]));
		check_ok(fs_write_file("plain", data, sizes[i], 0600));
		check_ok(crypto_aes_cbc(&ours, data, sizes[i], key, iv, false));
		check_int(ours.len, ==, (sizes[i] / 16 + 1) * 16);
		check_int(RUN("plain", "theirs.enc", "openssl", "aes-256-cbc",
			      "-K", key_hex, "-iv", iv_hex),
			  ==, 0);
		check(file_is("theirs.enc", ours.ptr, ours.len));
		check(write_buf("ours.enc", &ours));
		check_int(RUN("ours.enc", "back", "openssl", "aes-256-cbc",
			      "-K", key_hex, "-iv", iv_hex, "-d"),
			  ==, 0);
		check(file_is("back", data, sizes[i]));
		check_ok(fs_read_file(&theirs, "theirs.enc"));
		check_ok(crypto_aes_cbc(&back, theirs.ptr, theirs.len, key, iv,
					true));
		check_int(back.len, ==, sizes[i]);
		check(!memcmp(back.ptr, data, sizes[i]));
		free(data);
		buf_release(&ours);
		buf_release_secure(&back);
		buf_release(&theirs);
	}
}

/* `travis encrypt-file` and the build's `openssl aes-256-cbc ... -d`. */
void test_crypto__aes_file_matches_openssl(void)
{
	size_t len = 3 * 65536 + 123;
	unsigned char *data = xmalloc(len), key[32], iv[16];
	struct stat st;

	check(aes_keys(key, iv));
	check_ok(crypto_random(data, len));
	check_ok(fs_write_file("secret.tar", data, len, 0600));
	check_ok(crypto_aes_cbc_file("secret.tar", "secret.tar.enc", key, iv,
				     false));
	check_int(stat("secret.tar.enc", &st), ==, 0);
	check_int(st.st_mode & 0777, ==, 0600);
	check_int(st.st_size, ==, (len / 16 + 1) * 16);
	check_int(RUN(NULL, NULL, "openssl", "aes-256-cbc", "-K", key_hex,
		      "-iv", iv_hex, "-in", "secret.tar.enc", "-out",
		      "by-openssl.tar", "-d"),
		  ==, 0);
	check(file_is("by-openssl.tar", data, len));
	check_int(RUN(NULL, NULL, "openssl", "aes-256-cbc", "-K", key_hex,
		      "-iv", iv_hex, "-in", "secret.tar", "-out",
		      "openssl.enc"),
		  ==, 0);
	check_ok(
		crypto_aes_cbc_file("openssl.enc", "by-us.tar", key, iv, true));
	check(file_is("by-us.tar", data, len));
	free(data);
}

void test_crypto__aes_failures(void)
{
	unsigned char key[32], iv[16];
	struct buf enc = BUF_INIT, dec = BUF_INIT;

	check(aes_keys(key, iv));
	check_ok(crypto_aes_cbc(&enc, "fixed plaintext, fixed result", 29, key,
				iv, false));
	/* This key turns the last block into bytes with bad padding. */
	key[0] ^= 1;
	buf_addstr(&dec, "kept");
	check_int(crypto_aes_cbc(&dec, enc.ptr, enc.len, key, iv, true), ==,
		  FY_EINVALID);
	check(strstr(err_msg(), "cannot decrypt"));
	check_str(dec.ptr, "kept");
	key[0] ^= 1;
	/* Not a whole number of blocks. */
	check_int(crypto_aes_cbc(&dec, enc.ptr, enc.len - 1, key, iv, true), ==,
		  FY_EINVALID);
	check(write_buf("short.enc", &enc));
	check_ok(fs_write_file("short.enc", enc.ptr, enc.len - 3, 0600));
	check_int(crypto_aes_cbc_file("short.enc", "out", key, iv, true), ==,
		  FY_EINVALID);
	check(strstr(err_msg(), "short.enc"));
	check(!fs_exists("out"));
	check_int(crypto_aes_cbc_file("missing", "out", key, iv, true), ==,
		  FY_ENOTFOUND);
	/* The buffer's cap is honoured before anything is decrypted. */
	buf_release(&dec);
	buf_set_limit(&dec, 8);
	check_int(crypto_aes_cbc(&dec, enc.ptr, enc.len, key, iv, true), ==,
		  FY_ETOOBIG);
	buf_release(&enc);
	buf_release(&dec);
}
