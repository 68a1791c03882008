#include <stdio.h>

#include "wordfreq.h"

int main(void)
{
	static struct wordfreq wf;

	wf_init(&wf);
	if (wf_read(&wf, stdin) < 0) {
		fprintf(stderr, "wordfreq: too many words\n");
		return 1;
	}
	for (size_t i = 0; i < wf.n; i++)
		printf("%u %s\n", wf.words[i].count, wf.words[i].word);
	return 0;
}
