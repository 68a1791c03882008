/*
 * fuzz_dockerstream: the decoder of Docker's multiplexed stdout/stderr
 * stream reads whatever the engine (or whoever answers on DOCKER_HOST)
 * sends.  The first input byte seeds a random chunking of the rest; fed
 * in those chunks, the decoder must deliver exactly what it delivers for
 * the whole input at once, fail at the same point with the same code,
 * pass on only streams 1, 2 and 3, and never deliver more payload bytes
 * than it was given.
 */
#include "compat.h"

#include "buf.h"
#include "docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct acc {
	struct buf text; /* stream byte, then its bytes, at each change */
	int last;
	size_t bytes;
};

static int take(int stream, const char *p, size_t len, void *payload)
{
	struct acc *a = payload;

	if (stream < 1 || stream > 3 || !len)
		abort();
	if (stream != a->last) {
		buf_addch(&a->text, stream);
		a->last = stream;
	}
	buf_add(&a->text, p, len);
	a->bytes += len;
	return 0;
}

/* Feed `data` in chunks of 1..max bytes from a tiny PRNG seeded by `seed`. */
static int feed(const uint8_t *data, size_t size, unsigned seed, size_t max,
		struct acc *a)
{
	struct docker_demux m = DOCKER_DEMUX_INIT;
	uint32_t x = seed * 2654435761u + 1;
	size_t off = 0;
	int err = 0;

	while (!err && off < size) {
		size_t n;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = max ? 1 + x % max : size - off;
		if (n > size - off)
			n = size - off;
		err = docker_demux_feed(&m, data + off, n, take, a);
		off += n;
	}
	if (!err)
		err = docker_demux_finish(&m);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acc whole = { BUF_INIT, 0, 0 }, cut = { BUF_INIT, 0, 0 };
	int e1, e2;

	if (!size)
		return 0;
	e1 = feed(data + 1, size - 1, 0, 0, &whole);
	e2 = feed(data + 1, size - 1, data[0], 1 + data[0] % 23, &cut);
	if (e1 != e2 || whole.text.len != cut.text.len ||
	    memcmp(whole.text.ptr, cut.text.ptr, cut.text.len) ||
	    whole.bytes > size)
		abort();
	buf_release(&whole.text);
	buf_release(&cut.text);
	return 0;
}
