/*
 * config.c: the config pipeline (config.h): load, resolve imports, merge
 * the parts as travis-yml's Parts::Merge does, normalise.
 */
#include "compat.h"

#include "buf.h"
#include "cond.h"
#include "config.h"
#include "error.h"
#include "fs.h"
#include "loader.h"
#include "msg.h"
#include "norm.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

struct part {
	char *source;	 /* "repo:path@ref" as travis-yml names it */
	char *mode;	 /* merge mode of the import that brought it */
	struct val *raw; /* the loaded YAML, owned until merged */
};

struct importer {
	const struct config_opts *opts;
	struct msgs *msgs;
	struct svec *anchors;
	struct part *parts;
	size_t nparts, alloc;
	size_t count;	   /* imports fetched so far */
	struct svec chain; /* sources from the root to the current part */
};

/* A parsed import source: repo (NULL: this one), path, ref (NULL). */
struct import_ref {
	char *repo, *path, *ref;
};

static void import_ref_release(struct import_ref *r)
{
	free(r->repo);
	free(r->path);
	free(r->ref);
	memset(r, 0, sizeof(*r));
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* Resolve "./x.yml" against the directory of the importing file. */
static char *expand_path(const char *path, const char *importer_path)
{
	struct svec in = SVEC_INIT, out = SVEC_INIT;
	char *dir, *joined, *res;

	if (strncmp(path, "./", 2) || !importer_path)
		return xstrdup(path);
	dir = fs_dirname(importer_path);
	joined = !strcmp(dir, ".") ? xstrdup(path) : fs_join(dir, path);
	svec_split(&in, joined, "/", true);
	for (size_t i = 0; i < in.n; i++) {
		if (!strcmp(in.v[i], "."))
			continue;
		if (!strcmp(in.v[i], "..")) {
			svec_pop(&out);
			continue;
		}
		svec_push(&out, in.v[i]);
	}
	res = svec_join(&out, "/");
	svec_release(&in);
	svec_release(&out);
	free(dir);
	free(joined);
	return res;
}

/*
 * Parse a source as travis-yml's Ref does: "owner/repo:path.yml[@ref]"
 * or "path.yml[@ref]".
 */
static int parse_ref(struct import_ref *r, const char *src,
		     const char *importer_path)
{
	const char *colon = strchr(src, ':');
	const char *slash = strchr(src, '/');
	const char *at;
	size_t plen;

	memset(r, 0, sizeof(*r));
	/* owner/repo: exactly one slash, not at either end, before a colon */
	if (colon && slash && slash > src && slash + 1 < colon &&
	    !memchr(slash + 1, '/', (size_t)(colon - slash - 1))) {
		r->repo = xmemdupz(src, (size_t)(colon - src));
		src = colon + 1;
	}
	at = strrchr(src, '@');
	plen = at ? (size_t)(at - src) : strlen(src);
	if (!plen ||
	    !(ends_with(src, plen, ".yml") || ends_with(src, plen, ".yaml") ||
	      ends_with(src, plen, ".json"))) {
		import_ref_release(r);
		return err_set(FY_EINVALID,
			       "invalid import source '%s' (expected path.yml, "
			       "path.yml@ref or owner/repo:path.yml@ref)",
			       src);
	}
	{
		char *p = xmemdupz(src, plen);

		r->path = r->repo ? xstrdup(p) : expand_path(p, importer_path);
		free(p);
	}
	if (at && at[1])
		r->ref = xstrdup(at + 1);
	return 0;
}

static char *chain_text(const struct svec *chain, const char *last)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < chain->n; i++)
		buf_addf(&b, "%s -> ", chain->v[i]);
	buf_addstr(&b, last);
	return buf_detach(&b, NULL);
}

static int fetch_part(struct importer *im, const struct import_ref *r,
		      const char *source, struct buf *out)
{
	const struct config_opts *o = im->opts;
	int err;

	if (o->fetcher) {
		err = o->fetcher->fetch(o->fetcher->payload, r->repo, r->path,
					r->ref, out);
	} else if (r->repo && (!o->repo || strcmp(r->repo, o->repo))) {
		err = err_set(FY_EINVALID,
			      "importing from another repository ('%s') needs "
			      "a git checkout (ferry build)",
			      r->repo);
	} else if (r->ref) {
		err = err_set(FY_EINVALID,
			      "importing at a ref ('@%s') needs a git checkout "
			      "(ferry build)",
			      r->ref);
	} else {
		char *full = fs_join(o->root_dir ? o->root_dir : ".", r->path);

		buf_set_limit(out, LOADER_MAX_BYTES);
		err = fs_read_file(out, full);
		if (err == FY_ENOTFOUND)
			err = err_set(FY_ENOTFOUND, "file '%s' not found",
				      r->path);
		free(full);
	}
	if (err < 0) {
		char *chain = chain_text(&im->chain, source);

		err = err_wrap(err, "import %s", chain);
		free(chain);
	}
	return err;
}

static void add_part(struct importer *im, const char *source, const char *mode,
		     struct val *raw)
{
	XGROW(im->parts, im->alloc, im->nparts + 1);
	im->parts[im->nparts].source = xstrdup(source);
	im->parts[im->nparts].mode = xstrdup(mode ? mode : "deep_merge_append");
	im->parts[im->nparts].raw = raw;
	im->nparts++;
}

static bool have_part(const struct importer *im, const char *source)
{
	for (size_t i = 0; i < im->nparts; i++)
		if (!strcmp(im->parts[i].source, source))
			return true;
	return false;
}

static int collect(struct importer *im, struct val *raw, const char *path,
		   const char *repo, const char *ref);

/* One entry of an `import:` list: a string or {source, mode, if}. */
static int import_one(struct importer *im, const struct val *entry,
		      const char *importer_path, const char *importer_repo,
		      const char *importer_ref)
{
	struct import_ref r = { 0 };
	struct buf text = BUF_INIT;
	struct val *raw = NULL;
	const char *src, *mode = NULL, *cond = NULL;
	char *source = NULL;
	int err;

	if (entry->type == VAL_MAP) {
		src = val_text(val_map_get(entry, "source"));
		mode = val_text(val_map_get(entry, "mode"));
		cond = val_text(val_map_get(entry, "if"));
	} else {
		src = val_text(entry);
	}
	if (!src)
		return err_set(FY_EINVALID, "import without a source (line %d)",
			       entry->line + 1);
	if (mode && strcmp(mode, "merge") && strcmp(mode, "deep_merge") &&
	    strcmp(mode, "deep_merge_append") &&
	    strcmp(mode, "deep_merge_prepend"))
		return err_set(FY_EINVALID, "import '%s': unknown mode '%s'",
			       src, mode);
	err = parse_ref(&r, src, importer_path);
	if (err < 0)
		return err;
	if (!r.repo && importer_repo && im->opts->repo &&
	    strcmp(importer_repo, im->opts->repo))
		r.repo = xstrdup(importer_repo);
	if (!r.ref && !r.repo && importer_ref)
		r.ref = xstrdup(importer_ref);
	/* travis-yml names a source "repo:path@ref"; we leave out what is
	 * not known (no repository for a local build, no ref) */
	{
		const char *repo = r.repo ? r.repo : im->opts->repo;

		source = xasprintf("%s%s%s%s%s", repo ? repo : "",
				   repo ? ":" : "", r.path, r.ref ? "@" : "",
				   r.ref ? r.ref : "");
	}
	if (cond) {
		struct val *empty = val_map();
		bool ok = false;

		err = cond_check(cond,
				 im->opts->request ? im->opts->request : empty,
				 &ok);
		val_free(empty);
		if (err < 0 || !ok) {
			msgs_addv(im->msgs, MSG_INFO, "skip_import", "import",
				  entry->line, "source", val_str(source),
				  "condition", val_str(cond), NULL);
			err = 0;
			goto out;
		}
	}
	if (svec_has(&im->chain, source)) {
		char *chain = chain_text(&im->chain, source);

		err = err_set(FY_EINVALID, "import cycle: %s", chain);
		free(chain);
		goto out;
	}
	if (have_part(im, source))
		goto out; /* travis-yml imports each source once */
	if (++im->count > CONFIG_MAX_IMPORTS) {
		err = err_set(FY_EINVALID, "too many imports (more than %d)",
			      CONFIG_MAX_IMPORTS);
		goto out;
	}
	err = fetch_part(im, &r, source, &text);
	if (err < 0)
		goto out;
	err = loader_load(&raw, text.ptr, text.len, source, im->msgs,
			  im->anchors);
	if (err < 0) {
		char *chain = chain_text(&im->chain, source);

		err = err_wrap(err, "import %s", chain);
		free(chain);
		goto out;
	}
	add_part(im, source, mode, raw);
	svec_push(&im->chain, source);
	err = collect(im, raw, r.path, r.repo, r.ref);
	svec_pop(&im->chain);
out:
	free(source);
	buf_release(&text);
	import_ref_release(&r);
	return err;
}

/* Fetch the imports of `raw` (already added as a part), depth first. */
static int collect(struct importer *im, struct val *raw, const char *path,
		   const char *repo, const char *ref)
{
	struct val *imports = val_map_take(raw, "import");
	int err = 0;

	if (!imports)
		return 0;
	if (imports->type == VAL_SEQ) {
		for (size_t i = 0; i < imports->seq.n && !err; i++)
			err = import_one(im, imports->seq.v[i], path, repo,
					 ref);
	} else if (imports->type != VAL_NULL) {
		err = import_one(im, imports, path, repo, ref);
	}
	val_free(imports);
	return err;
}

/* The merge mode a YAML tag asks for: "!map+deep_merge+append" ... */
static const char *tag_mode(const struct val *v, char *tmp, size_t size)
{
	const char *t = v ? v->tag : NULL;

	if (!t)
		return NULL;
	if (*t == '!')
		t++;
	if (!strncmp(t, "map+", 4) || !strncmp(t, "seq+", 4))
		t += 4;
	snprintf(tmp, size, "%s", t);
	for (char *p = tmp; *p; p++)
		if (*p == '+' || *p == '-')
			*p = '_';
	if (!strcmp(tmp, "replace") || !strcmp(tmp, "merge") ||
	    !strcmp(tmp, "deep_merge") || !strcmp(tmp, "deep_merge_append") ||
	    !strcmp(tmp, "deep_merge_prepend") || !strcmp(tmp, "append") ||
	    !strcmp(tmp, "prepend"))
		return tmp;
	return NULL;
}

static void merge_seqs(struct val *lft, struct val *rgt, bool append)
{
	/* append: imported (rgt) items first; prepend: importing first. */
	if (append) {
		for (size_t i = rgt->seq.n; i-- > 0;)
			val_seq_insert(lft, 0, val_seq_take(rgt, i));
	} else {
		while (rgt->seq.n)
			val_seq_push(lft, val_seq_take(rgt, 0));
	}
	val_free(rgt);
}

static int merge_maps(struct val *lft, struct val *rgt, const char *mode);

/* Merge one key's values; `lv` is in `lft`, `rv` (consumed) is not. */
static int merge_values(struct val *lft, size_t i, struct val *rv,
			const char *mode)
{
	struct val *lv = lft->map.v[i].v;
	char tmp[64];
	const char *sub = tag_mode(lv, tmp, sizeof(tmp));

	if (lv && lv->type == VAL_MAP && rv->type == VAL_MAP) {
		if (!sub)
			sub = !strcmp(mode, "deep_merge") ? "deep_merge" : mode;
		return merge_maps(lv, rv, sub);
	}
	if (lv && lv->type == VAL_SEQ && rv->type == VAL_SEQ) {
		if (!sub && !strcmp(mode, "deep_merge_append"))
			sub = "append";
		if (!sub && !strcmp(mode, "deep_merge_prepend"))
			sub = "prepend";
		if (sub &&
		    (!strcmp(sub, "append") || !strcmp(sub, "prepend"))) {
			merge_seqs(lv, rv, !strcmp(sub, "append"));
			return 0;
		}
	}
	val_free(rv);
	return 0;
}

static int merge_maps(struct val *lft, struct val *rgt, const char *mode)
{
	int err = 0;

	if (!strcmp(mode, "replace")) {
		val_free(rgt);
		return 0;
	}
	while (rgt->map.n && !err) {
		struct val_pair *p = &rgt->map.v[0];
		ptrdiff_t i = val_map_index(lft, p->key);
		char *key = xstrdup(p->key);
		int line = p->line, col = p->col;
		struct val *rv = val_map_take(rgt, key);

		if (i < 0)
			val_map_set_at(lft, key, line, col, rv);
		else if (!strcmp(mode, "merge"))
			val_free(rv);
		else
			err = merge_values(lft, (size_t)i, rv, mode);
		free(key);
	}
	val_free(rgt);
	return err;
}

int config_merge(struct val *lft, struct val *rgt, const char *mode)
{
	char tmp[64];
	const char *m = tag_mode(lft, tmp, sizeof(tmp));

	if (!m)
		m = mode ? mode : "deep_merge_append";
	if (lft->type != VAL_MAP || rgt->type != VAL_MAP) {
		val_free(rgt);
		return 0;
	}
	return merge_maps(lft, rgt, m);
}

static void importer_release(struct importer *im)
{
	for (size_t i = 0; i < im->nparts; i++) {
		free(im->parts[i].source);
		free(im->parts[i].mode);
		val_free(im->parts[i].raw);
	}
	free(im->parts);
	svec_release(&im->chain);
}

/* Merge the parts from the last upwards (earlier parts win). */
static struct val *merge_parts(struct importer *im)
{
	struct val *acc = im->parts[im->nparts - 1].raw;

	im->parts[im->nparts - 1].raw = NULL;
	for (size_t i = im->nparts - 1; i-- > 0;) {
		struct val *lft = im->parts[i].raw;

		im->parts[i].raw = NULL;
		config_merge(lft, acc, im->parts[i + 1].mode);
		acc = lft;
	}
	return acc;
}

int config_load_text(struct travis_config **out, const char *name,
		     const char *text, size_t len,
		     const struct config_opts *opts)
{
	static const struct config_opts no_opts;
	struct travis_config *c = xcalloc(1, sizeof(*c));
	struct importer im = { 0 };
	struct svec anchors = SVEC_INIT;
	struct val *raw = NULL;
	int err;

	if (!opts)
		opts = &no_opts;
	c->path = xstrdup(name);
	err = loader_load(&raw, text, len, name, &c->msgs, &anchors);
	if (err < 0)
		goto out;
	if (!opts->no_imports) {
		im.opts = opts;
		im.msgs = &c->msgs;
		im.anchors = &anchors;
		add_part(&im, name, NULL, raw);
		svec_push(&im.chain, name);
		err = collect(&im, raw, NULL, NULL, NULL);
		if (err < 0)
			goto out;
		for (size_t i = 0; i < im.nparts; i++)
			svec_push(&c->sources, im.parts[i].source);
		raw = merge_parts(&im);
	} else {
		svec_push(&c->sources, name);
	}
	c->config = norm_apply(raw, &anchors, &c->msgs);
	raw = NULL;
	*out = c;
	c = NULL;
out:
	if (!opts->no_imports && im.nparts)
		importer_release(&im);
	else
		val_free(raw);
	svec_release(&anchors);
	config_free(c);
	return err;
}

int config_load(struct travis_config **out, const char *path,
		const struct config_opts *opts)
{
	struct buf b = BUF_INIT;
	int err = loader_read_file(&b, path);

	if (!err)
		err = config_load_text(out, path, b.ptr, b.len, opts);
	buf_release(&b);
	return err;
}

void config_free(struct travis_config *c)
{
	if (!c)
		return;
	free(c->path);
	val_free(c->config);
	msgs_release(&c->msgs);
	svec_release(&c->sources);
	free(c);
}
