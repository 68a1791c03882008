/*
 * fuzz_appspec: the AppSpec reader on arbitrary bytes.  Every input gives
 * a struct appspec (never a crash); it aborts when a problem has no code
 * or message, when a valid appspec breaks the agent's rules (a script
 * without a location or with a timeout <= 0, a file without a source or
 * destination, a mode that is not 3 or 4 octal digits, a permission with
 * no type), or when an ACL entry does not read back as itself.
 */
#include "compat.h"

#include "appspec.h"
#include "json.h"
#include "val.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_perm(const struct appspec_permission *p)
{
	if (!p->object[0] || !p->pattern || (!p->type_file && !p->type_dir))
		abort();
	if (p->mode && (strlen(p->mode) < 3 || strlen(p->mode) > 4 ||
			strspn(p->mode, "01234567") != strlen(p->mode)))
		abort();
	for (size_t i = 0; i < p->nacls; i++) {
		char *text = appspec_ace_format(&p->acls[i]);
		struct appspec_ace back;

		if (appspec_ace_parse(&back, text, true) < 0 ||
		    back.is_default != p->acls[i].is_default ||
		    strcmp(back.type, p->acls[i].type) ||
		    strcmp(back.name, p->acls[i].name))
			abort();
		free(back.name);
		free(text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct appspec *spec = NULL;
	struct val *v;
	char *json;

	appspec_load(&spec, (const char *)data, size, "fuzz.yml");
	for (size_t i = 0; i < spec->nproblems; i++)
		if (!spec->problems[i].code[0] || !spec->problems[i].message[0])
			abort();
	if (!appspec_error(spec)) {
		for (size_t i = 0; i < spec->nhooks; i++)
			for (size_t k = 0; k < spec->hooks[i].n; k++)
				if (!spec->hooks[i].scripts[k].location[0] ||
				    spec->hooks[i].scripts[k].timeout <= 0)
					abort();
		for (size_t i = 0; i < spec->nfiles; i++)
			if (!spec->files[i].source ||
			    !spec->files[i].destination)
				abort();
		for (size_t i = 0; i < spec->nperms; i++)
			check_perm(&spec->perms[i]);
	}
	v = appspec_to_val(spec);
	json = json_dump(v, 0);
	free(json);
	val_free(v);
	appspec_free(spec);
	return 0;
}
