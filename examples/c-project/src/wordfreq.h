#ifndef WORDFREQ_H
#define WORDFREQ_H

#include <stdio.h>

#define WF_MAX 1024
#define WF_WORD 64

struct wordfreq {
	struct {
		char word[WF_WORD];
		unsigned count;
	} words[WF_MAX];
	size_t n;
};

void wf_init(struct wordfreq *wf);
int wf_add(struct wordfreq *wf, const char *word);
unsigned wf_count(const struct wordfreq *wf, const char *word);
int wf_read(struct wordfreq *wf, FILE *in);

#endif
