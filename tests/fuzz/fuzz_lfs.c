/*
 * fuzz_lfs: the Git LFS parsers fed from outside ferry: pointer files
 * (a repository's content), batch answers and error answers (an LFS
 * server), git-config text (.lfsconfig) and remote URLs.  Byte 0 chooses
 * the parser (mod 5), the rest is its input.
 *
 * It aborts when
 *  - a pointer is accepted whose oid is not 64 lower-case hex digits or
 *    whose size exceeds INT64_MAX, or whose canonical form (version, oid,
 *    size) does not parse back to the same oid and size;
 *  - an accepted batch answer holds an object with both or neither of a
 *    download URL and an error, a URL or header with a control
 *    character, or a bad oid;
 *  - an error message or config value is longer than its cap, or a
 *    message holds a control character;
 *  - an endpoint is not an http(s) URL ending in "/info/lfs", or keeps
 *    the user information of the remote.
 */
#include "compat.h"

#include "buf.h"
#include "vcs.h"
#include "../../runner/vcs_lfs.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return true;
	return false;
}

static bool oid_ok(const char *oid)
{
	if (strlen(oid) != VCS_LFS_OID_HEX)
		return false;
	return strspn(oid, "0123456789abcdef") == VCS_LFS_OID_HEX;
}

static void pointer(const char *text, size_t len)
{
	struct vcs_lfs_pointer p, q;
	char *again;

	if (vcs_lfs_pointer_parse(&p, text, len) < 0)
		return;
	if (!oid_ok(p.oid) || p.size > (uint64_t)INT64_MAX)
		abort();
	again = xasprintf("version https://git-lfs.github.com/spec/v1\n"
			  "oid sha256:%s\nsize %llu\n",
			  p.oid, (unsigned long long)p.size);
	if (vcs_lfs_pointer_parse(&q, again, strlen(again)) < 0 ||
	    strcmp(p.oid, q.oid) || p.size != q.size || q.extensions)
		abort();
	free(again);
}

static void batch(const char *text, size_t len)
{
	struct vcs_lfs_batch b = { NULL, 0 };

	if (vcs_lfs_batch_parse(&b, text, len) < 0) {
		if (b.v || b.n)
			abort();
		return;
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct vcs_lfs_answer *a = &b.v[i];

		if (!oid_ok(a->oid) || !a->href == !a->error)
			abort();
		if (a->href && (has_ctl(a->href) || strchr(a->href, ' ')))
			abort();
		if (a->error && (has_ctl(a->error) || strlen(a->error) > 200))
			abort();
		for (size_t k = 0; k < a->headers.n; k++)
			if (has_ctl(a->headers.v[k]) ||
			    !strchr(a->headers.v[k], ':'))
				abort();
	}
	vcs_lfs_batch_release(&b);
}

static void config(const char *text, size_t len)
{
	static const char *const keys[][3] = {
		{ "lfs", NULL, "url" },
		{ "remote", "origin", "lfsurl" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char *v = vcs_lfs_config_get(text, len, keys[i][0], keys[i][1],
					     keys[i][2]);

		if (v && strlen(v) > 4096)
			abort();
		free(v);
	}
}

static void message(const char *text, size_t len)
{
	char *m = vcs_lfs_error_message(text, len);

	if (m && (has_ctl(m) || strlen(m) > 200 || !*m))
		abort();
	free(m);
}

static void endpoint(const char *text, size_t len)
{
	char *url = xmemdupz(text, len);
	char *e;
	size_t n;

	if (strlen(url) != len) {
		free(url);
		return;
	}
	e = vcs_lfs_endpoint(url);
	if (e) {
		const char *auth, *slash;

		n = strlen(e);
		if (strncmp(e, "https://", 8) && strncmp(e, "http://", 7))
			abort();
		if (n < 9 || strcmp(e + n - 9, "/info/lfs"))
			abort();
		auth = strstr(e, "://") + 3;
		slash = strchr(auth, '/');
		if (!slash || memchr(auth, '@', (size_t)(slash - auth)))
			abort(); /* user information in the authority */
	}
	free(e);
	free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;

	if (!size)
		return 0;
	switch (data[0] % 5) {
	case 0:
		pointer(text, size - 1);
		break;
	case 1:
		batch(text, size - 1);
		break;
	case 2:
		config(text, size - 1);
		break;
	case 3:
		message(text, size - 1);
		break;
	case 4:
		endpoint(text, size - 1);
		break;
	}
	return 0;
}
