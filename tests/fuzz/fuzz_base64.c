/*
 * fuzz_base64: the Base64 decoder takes untrusted text (secure: values
 * from any .travis.yml, PEM keys).  Decode arbitrary input; when it is
 * accepted, encoding the result and decoding that again must give the
 * same bytes.  Encoding the raw input and decoding it must give the
 * input back.  A cap must never be overrun.
 */
#include "compat.h"

#include "buf.h"
#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct buf *a, const void *b, size_t len)
{
	if (a->len != len || memcmp(a->ptr, b, len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf dec = BUF_INIT, enc = BUF_INIT, again = BUF_INIT;
	struct buf capped = BUF_INIT;

	if (!crypto_base64_decode(&dec, (const char *)data, size)) {
		if (crypto_base64_encode(&enc, dec.ptr, dec.len) ||
		    crypto_base64_decode(&again, enc.ptr, enc.len))
			abort();
		same_or_abort(&again, dec.ptr, dec.len);
		if (enc.len % 4 || dec.len > size)
			abort();
	}
	buf_reset(&enc);
	buf_reset(&again);
	if (crypto_base64_encode(&enc, data, size) ||
	    crypto_base64_decode(&again, enc.ptr, enc.len))
		abort();
	same_or_abort(&again, data, size);

	buf_set_limit(&capped, size / 2);
	crypto_base64_decode(&capped, (const char *)data, size);
	if (capped.len > size / 2)
		abort();

	buf_release(&dec);
	buf_release(&enc);
	buf_release(&again);
	buf_release(&capped);
	return 0;
}
