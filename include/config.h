#ifndef FY_CONFIG_H
#define FY_CONFIG_H

#include "compat.h"

#include "msg.h"
#include "svec.h"

struct buf;
struct val;

/*
 * The config pipeline: load a .travis.yml (loader.h), resolve its
 * `import:`s, merge the parts as travis-yml does, and normalise the
 * result (norm.h).  Jobs come from matrix.h.
 *
 * Imports: `import:` takes a source or a list of sources, each a string
 * or a map {source, mode, if}.  Sources are `path.yml[@ref]` in the same
 * repository (`./x.yml` relative to the importing file, else to the
 * repository root) or `owner/repo:path.yml[@ref]`.  Parts are ordered
 * depth-first (the importing file, then each import followed by its own
 * imports), duplicates are dropped, earlier parts win, and each part is
 * merged with the mode of the import that brought it (deep_merge_append
 * by default; also deep_merge_prepend, deep_merge, merge).  An import
 * whose `if:` is false (against `request`) is skipped with a message.
 * Missing files, cycles, more than CONFIG_MAX_IMPORTS imports and remote
 * sources without a fetcher are errors naming the import chain.
 */
#define CONFIG_MAX_IMPORTS 25

/*
 * Fetch the text of `path` in `repo` ("owner/name", or NULL for the
 * repository being built) at `ref` (NULL: the current commit, or the
 * default branch for other repositories).  FY_ENOTFOUND when missing.
 */
struct config_fetcher {
	int (*fetch)(void *payload, const char *repo, const char *path,
		     const char *ref, struct buf *out);
	void *payload;
};

struct config_opts {
	const char *root_dir; /* repository root for local imports */
	const char *repo;     /* slug of the repository being built */
	const struct config_fetcher *fetcher; /* NULL: local files only */
	const struct val *request; /* condition data for import if:; NULL */
	bool no_imports;	   /* keep `import:` unresolved */
};

struct travis_config {
	char *path;	     /* the file as named */
	struct val *config;  /* the normalised config */
	struct msgs msgs;    /* loader, import and normaliser messages */
	struct svec sources; /* the parts merged, in precedence order */
};

/* Load, import, merge and normalise `path`. */
int config_load(struct travis_config **out, const char *path,
		const struct config_opts *opts);
/* The same from text already in memory (`name` for messages). */
int config_load_text(struct travis_config **out, const char *name,
		     const char *text, size_t len,
		     const struct config_opts *opts);
void config_free(struct travis_config *c);

/* Merge `rgt` (lower precedence, consumed) into `lft` with `mode`. */
int config_merge(struct val *lft, struct val *rgt, const char *mode);

#endif
