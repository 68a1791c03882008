/*
 * json.c: the only file that includes <jansson.h>.  Converts between
 * jansson's json_t and our val trees.
 */
#include "compat.h"

#include <errno.h>
#include <math.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "val.h"
#include "xalloc.h"

#define JSON_MAX_DEPTH 512

static struct val *from_json(const json_t *j, unsigned flags, int depth);

static struct val *real_val(double d)
{
	char tmp[40];

	if (!isfinite(d))
		return val_null();
	snprintf(tmp, sizeof(tmp), "%.15g", d);
	if (strtod(tmp, NULL) != d)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	return val_num(tmp);
}

static struct val *from_json(const json_t *j, unsigned flags, int depth)
{
	struct val *v;
	const char *key;
	json_t *item;
	size_t i;

	if (depth > JSON_MAX_DEPTH)
		return val_null();
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		if ((flags & JSON_SECURE) && json_object_size(j) == 1 &&
		    json_is_string(json_object_get(j, "secure")))
			return val_secure(json_string_value(
				json_object_get(j, "secure")));
		v = val_map();
		json_object_foreach((json_t *)j, key, item)
			val_map_set(v, key, from_json(item, flags, depth + 1));
		return v;
	case JSON_ARRAY:
		v = val_seq();
		json_array_foreach(j, i, item)
			val_seq_push(v, from_json(item, flags, depth + 1));
		return v;
	case JSON_STRING:
		return val_strn(json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		return val_numi((long long)json_integer_value(j));
	case JSON_REAL:
		return real_val(json_real_value(j));
	case JSON_TRUE:
		return val_bool(true);
	case JSON_FALSE:
		return val_bool(false);
	case JSON_NULL:
		return val_null();
	}
	return val_null();
}

int json_parse(struct val **out, const char *text, size_t len, unsigned flags)
{
	json_error_t e;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

	if (!j)
		return err_set(FY_EINVALID, "%d:%d: invalid JSON: %s", e.line,
			       e.column, e.text);
	*out = from_json(j, flags, 0);
	json_decref(j);
	return 0;
}

static json_t *num_json(const char *lit)
{
	char *end;
	long long n;
	double d;

	errno = 0;
	n = strtoll(lit, &end, 10);
	if (!errno && end != lit && !*end)
		return json_integer((json_int_t)n);
	errno = 0;
	d = strtod(lit, &end);
	if (!errno && end != lit && !*end && isfinite(d))
		return json_real(d);
	return json_string(lit);
}

static json_t *to_json(const struct val *v)
{
	json_t *j;

	if (!v)
		return json_null();
	switch (v->type) {
	case VAL_NULL:
		return json_null();
	case VAL_BOOL:
		return json_boolean(v->b);
	case VAL_NUM:
		return num_json(v->str.s);
	case VAL_STR:
		return json_stringn_nocheck(v->str.s, v->str.len);
	case VAL_SECURE:
		j = json_object();
		json_object_set_new_nocheck(
			j, "secure",
			json_stringn_nocheck(v->str.s, v->str.len));
		return j;
	case VAL_SEQ:
		j = json_array();
		for (size_t i = 0; i < v->seq.n; i++)
			json_array_append_new(j, to_json(v->seq.v[i]));
		return j;
	case VAL_MAP:
		j = json_object();
		for (size_t i = 0; i < v->map.n; i++)
			json_object_set_new_nocheck(j, v->map.v[i].key,
						    to_json(v->map.v[i].v));
		return j;
	}
	return json_null();
}

static int dump_cb(const char *data, size_t size, void *payload)
{
	buf_add(payload, data, size);
	return 0;
}

int json_write(struct buf *out, const struct val *v, unsigned flags)
{
	json_t *j = to_json(v);
	size_t jf = JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
	int err;

	if (flags & JSON_PRETTY)
		jf |= JSON_INDENT(2);
	else
		jf |= JSON_COMPACT;
	if (flags & JSON_SORTED)
		jf |= JSON_SORT_KEYS;
	err = json_dump_callback(j, dump_cb, out, jf);
	json_decref(j);
	if (err)
		return err_set(FY_EFAIL, "cannot write JSON");
	return buf_truncated(out) ? FY_ETOOBIG : 0;
}

char *json_dump(const struct val *v, unsigned flags)
{
	struct buf b = BUF_INIT;

	json_write(&b, v, flags);
	return buf_detach(&b, NULL);
}
