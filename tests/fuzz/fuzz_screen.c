/* fuzz_screen.c: libFuzzer target for text screening (server/policy/screen.c, wordlist.c) over any bytes a sender
 * can put in a message. Rules: never crash or read out of bounds; the answers are deterministic; a word-list hit
 * names one of the five languages and a line; text that holds is still held with spaces around it (screening reads
 * words, so padding cannot hide one). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/policy/screen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	const char *text = (const char *)data;
	int line = 0, line2 = 0;
	enum screen_hit h = screen_contact_details(text, size);
	const char *lang = screen_words(text, size, &line);
	if (screen_contact_details(text, size) != h || screen_words(text, size, &line2) != lang || line != line2)
		abort();
	if (lang && (!strstr("|en|ro|da|it|es|", lang) || strlen(lang) != 2 || line <= 0))
		abort();
	if (lang) {
		char *padded = malloc(size + 2);
		padded[0] = ' ';
		memcpy(padded + 1, data, size);
		padded[size + 1] = ' ';
		if (!screen_words(padded, size + 2, NULL))
			abort();
		free(padded);
	}
	return 0;
}
