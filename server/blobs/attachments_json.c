/* attachments_json.c: an attachment's wire object (PROTOCOL.md "attachment"), as a jansson tree and, for the hot
 * message frames, written straight into a buffer with the same bytes. */
#include "server/blobs/attachments.h"

#include <stdio.h>
#include <string.h>

json_t *attachment_json(const struct attachment *a)
{
	char url[64];
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_string(a->id));
	json_object_set_new(o, "kind", json_string(attachment_kind_name(a->kind)));
	json_object_set_new(o, "mime", json_string(a->mime));
	if (a->width > 0 && a->height > 0) {
		json_object_set_new(o, "width", json_integer(a->width));
		json_object_set_new(o, "height", json_integer(a->height));
	}
	if (a->duration_ms > 0)
		json_object_set_new(o, "duration_ms", json_integer(a->duration_ms));
	if (a->waveform_len > 0) {
		json_t *w = json_array();
		for (int i = 0; i < a->waveform_len && i < ATTACHMENT_WAVEFORM_POINTS; i++)
			json_array_append_new(w, json_integer(a->waveform[i]));
		json_object_set_new(o, "waveform", w);
	}
	json_object_set_new(o, "bytes", json_integer(a->bytes));
	snprintf(url, sizeof(url), "/media/%s", a->id);
	json_object_set_new(o, "url", json_string(url));
	if (a->thumb[0]) {
		snprintf(url, sizeof(url), "/media/%s/thumb", a->id);
		json_object_set_new(o, "thumb", json_string(url));
	}
	if (a->poster[0]) {
		snprintf(url, sizeof(url), "/media/%s/poster", a->id);
		json_object_set_new(o, "poster", json_string(url));
	}
	return o;
}

/* "/media/<id><suffix>": the id is base64url, so it needs no escaping. */
static void media_url(struct jsonw *w, const char *key, const char *id, const char *suffix)
{
	jsonw_raw(w, key, strlen(key));
	JSONW_LIT(w, "\"/media/");
	jsonw_raw(w, id, strlen(id));
	jsonw_raw(w, suffix, strlen(suffix));
	JSONW_LIT(w, "\"");
}

void attachment_jsonw(struct jsonw *w, const struct attachment *a)
{
	JSONW_LIT(w, "{\"id\":");
	jsonw_str(w, a->id, strlen(a->id));
	JSONW_LIT(w, ",\"kind\":");
	const char *kind = attachment_kind_name(a->kind);
	jsonw_str(w, kind, strlen(kind));
	JSONW_LIT(w, ",\"mime\":");
	jsonw_str(w, a->mime, strlen(a->mime));
	if (a->width > 0 && a->height > 0) {
		JSONW_LIT(w, ",\"width\":");
		jsonw_int(w, a->width);
		JSONW_LIT(w, ",\"height\":");
		jsonw_int(w, a->height);
	}
	if (a->duration_ms > 0) {
		JSONW_LIT(w, ",\"duration_ms\":");
		jsonw_int(w, a->duration_ms);
	}
	if (a->waveform_len > 0) {
		JSONW_LIT(w, ",\"waveform\":[");
		for (int i = 0; i < a->waveform_len && i < ATTACHMENT_WAVEFORM_POINTS; i++) {
			if (i)
				JSONW_LIT(w, ",");
			jsonw_int(w, a->waveform[i]);
		}
		JSONW_LIT(w, "]");
	}
	JSONW_LIT(w, ",\"bytes\":");
	jsonw_int(w, a->bytes);
	media_url(w, ",\"url\":", a->id, "");
	if (a->thumb[0])
		media_url(w, ",\"thumb\":", a->id, "/thumb");
	if (a->poster[0])
		media_url(w, ",\"poster\":", a->id, "/poster");
	JSONW_LIT(w, "}");
}
