#include <stdio.h>
#include <string.h>

#include "../src/wordfreq.h"

static int failures;

#define CHECK(cond)                                                     \
	do {                                                            \
		if (!(cond)) {                                          \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                     \
		}                                                       \
	} while (0)

int main(void)
{
	static struct wordfreq wf;
	const char *text = "The cat and the hat. THE end";
	FILE *in = fmemopen((void *)text, strlen(text), "r");

	wf_init(&wf);
	CHECK(wf_read(&wf, in) == 0);
	fclose(in);
	CHECK(wf_count(&wf, "the") == 3);
	CHECK(wf_count(&wf, "cat") == 1);
	CHECK(wf_count(&wf, "dog") == 0);
	CHECK(wf.n == 5);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures != 0;
}
