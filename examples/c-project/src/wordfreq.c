/* wordfreq: count how often each word occurs on standard input. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordfreq.h"

void wf_init(struct wordfreq *wf)
{
	wf->n = 0;
}

int wf_add(struct wordfreq *wf, const char *word)
{
	for (size_t i = 0; i < wf->n; i++) {
		if (!strcmp(wf->words[i].word, word)) {
			wf->words[i].count++;
			return 0;
		}
	}
	if (wf->n == WF_MAX || strlen(word) >= WF_WORD)
		return -1;
	strcpy(wf->words[wf->n].word, word);
	wf->words[wf->n].count = 1;
	wf->n++;
	return 0;
}

unsigned wf_count(const struct wordfreq *wf, const char *word)
{
	for (size_t i = 0; i < wf->n; i++)
		if (!strcmp(wf->words[i].word, word))
			return wf->words[i].count;
	return 0;
}

int wf_read(struct wordfreq *wf, FILE *in)
{
	char word[WF_WORD];
	size_t len = 0;
	int c;

	while ((c = fgetc(in)) != EOF) {
		if (isalnum(c) && len + 1 < sizeof(word)) {
			word[len++] = (char)tolower(c);
			continue;
		}
		if (len) {
			word[len] = '\0';
			if (wf_add(wf, word) < 0)
				return -1;
			len = 0;
		}
	}
	if (len) {
		word[len] = '\0';
		return wf_add(wf, word);
	}
	return 0;
}
