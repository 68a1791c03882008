/*
 * aws_credcache.c: credentials shared by the clients of a run, refreshed
 * through a callback before they expire (see aws.h).
 */
#include "compat.h"

#include <pthread.h>
#include <time.h>

#include "aws.h"
#include "aws_int.h"
#include "buf.h"
#include "error.h"
#include "xalloc.h"

/* ---- the credentials cache ---- */

struct aws_credcache {
	pthread_mutex_t lock;	    /* guards cur and gen */
	pthread_mutex_t refreshing; /* one refresh at a time */
	struct aws_creds cur;
	unsigned long gen; /* refreshes so far */
	struct aws_credcache_src src;
	bool has_src;
};

static void creds_copy(struct aws_creds *out, const struct aws_creds *c)
{
	out->access_key_id = xstrdup(c->access_key_id);
	out->secret_access_key = xstrdup(c->secret_access_key);
	out->session_token =
		c->session_token ? xstrdup(c->session_token) : NULL;
	out->expiration = c->expiration;
	out->source = c->source ? xstrdup(c->source) : NULL;
}

void aws_credcache_new(struct aws_credcache **out, struct aws_creds *creds,
		       const struct aws_credcache_src *src)
{
	struct aws_credcache *cc = xcalloc(1, sizeof(*cc));

	pthread_mutex_init(&cc->lock, NULL);
	pthread_mutex_init(&cc->refreshing, NULL);
	cc->cur = *creds;
	memset(creds, 0, sizeof(*creds));
	if (src && src->refresh) {
		cc->src = *src;
		cc->has_src = true;
	}
	*out = cc;
}

void aws_credcache_free(struct aws_credcache *cc)
{
	if (!cc)
		return;
	aws_creds_release(&cc->cur);
	if (cc->has_src && cc->src.free)
		cc->src.free(cc->src.payload);
	pthread_mutex_destroy(&cc->lock);
	pthread_mutex_destroy(&cc->refreshing);
	free(cc);
}

void aws_credcache_peek(struct aws_credcache *cc, struct aws_creds *out)
{
	pthread_mutex_lock(&cc->lock);
	creds_copy(out, &cc->cur);
	pthread_mutex_unlock(&cc->lock);
}

static void cache_note(struct aws_credcache *cc, const char *fmt, ...)
	PRINTFLIKE(2, 3);
static void cache_note(struct aws_credcache *cc, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!cc->src.log)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	cc->src.log(cc->src.log_payload, b.ptr);
	buf_release(&b);
}

static void utc_clock(char out[16], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%H:%M:%S", &tm);
}

/*
 * Fetch new credentials, with c->refreshing held, unless another caller
 * did since `seen`.  A failure is an error only once the current
 * credentials have expired.
 */
static int cache_refresh(struct aws_credcache *cc, unsigned long seen)
{
	struct aws_creds fresh = AWS_CREDS_INIT;
	time_t now = time(NULL), exp;
	unsigned long gen;
	char when[16];
	int err;

	pthread_mutex_lock(&cc->lock);
	exp = cc->cur.expiration;
	gen = cc->gen;
	pthread_mutex_unlock(&cc->lock);
	if (gen != seen)
		return 0;
	err = cc->src.refresh(cc->src.payload, &fresh);
	if (!err && fresh.expiration && fresh.expiration <= now)
		err = err_set(FY_EAUTH,
			      "the credentials from %s expired "
			      "as they were fetched",
			      fresh.source ? fresh.source : "the refresh");
	if (err < 0) {
		aws_creds_release(&fresh);
		if (exp <= now)
			return err_wrap(err, "the credentials have expired "
					     "and cannot be refreshed");
		utc_clock(when, exp);
		cache_note(cc,
			   "Refreshing the credentials failed (%s); the "
			   "current ones serve until they expire at %s UTC",
			   err_msg(), when);
		return 0;
	}
	pthread_mutex_lock(&cc->lock);
	aws_creds_release(&cc->cur);
	cc->cur = fresh;
	cc->gen++;
	pthread_mutex_unlock(&cc->lock);
	if (fresh.expiration) {
		utc_clock(when, fresh.expiration);
		cache_note(cc, "Credentials refreshed from %s (until %s UTC)",
			   fresh.source ? fresh.source : "their source", when);
	} else {
		cache_note(cc, "Credentials refreshed from %s",
			   fresh.source ? fresh.source : "their source");
	}
	return 0;
}

int aws_credcache_get(struct aws_credcache *cc, struct aws_creds *out)
{
	time_t exp, left;
	unsigned long seen;
	int err = 0;

	pthread_mutex_lock(&cc->lock);
	exp = cc->cur.expiration;
	seen = cc->gen;
	pthread_mutex_unlock(&cc->lock);
	left = exp - time(NULL);
	if (!cc->has_src || !exp) {
		/* fixed credentials */
	} else if (left < AWS_CREDS_REFRESH_MANDATORY) {
		pthread_mutex_lock(&cc->refreshing);
		err = cache_refresh(cc, seen);
		pthread_mutex_unlock(&cc->refreshing);
	} else if (left < AWS_CREDS_REFRESH_MARGIN &&
		   !pthread_mutex_trylock(&cc->refreshing)) {
		err = cache_refresh(cc, seen);
		pthread_mutex_unlock(&cc->refreshing);
	}
	if (err < 0)
		return err;
	aws_credcache_peek(cc, out);
	return 0;
}
