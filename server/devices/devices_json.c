/* devices_json.c: the JSON views the WebSocket methods and the admin API share — a device, a new pairing code
 * with its link and QR image. */
#include <stdlib.h>
#include <string.h>

#include "server/base/qr_svg.h"
#include "server/devices/devices.h"

json_t *devices_device_json(const struct device *d)
{
	return json_pack("{s:I,s:s,s:I,s:I}", "id", (json_int_t)d->id, "name", d->name, "created_at",
			 (json_int_t)d->created_at, "last_seen_at", (json_int_t)d->last_seen_at);
}

/* An http(s) address of the family app without characters that would need escaping in a link. */
static int usable_url(const char *url)
{
	if (!url || strlen(url) > 200 || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
		return 0;
	for (const char *p = url; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '\\' || *p == '#' ||
		    (unsigned char)*p > 126)
			return 0;
	return 1;
}

json_t *devices_code_json(const struct devices_code *code, int64_t account, const char *app_url)
{
	char link[300];
	char *svg = NULL;
	size_t svg_len = 0;
	json_t *o = json_pack("{s:I,s:I,s:s,s:I}", "pairing_id", (json_int_t)code->pairing_id, "account_id",
			      (json_int_t)account, "code", code->code.text, "expires_at", (json_int_t)code->expires_at);
	if (usable_url(app_url)) {
		snprintf(link, sizeof(link), "%s#pair=%s", app_url, code->code.text);
		json_object_set_new(o, "link", json_string(link));
	}
	/* A camera opens the link; without one the QR holds the code itself (the app's pairing screen reads it). */
	if (qr_svg(usable_url(app_url) ? link : code->code.text, &svg, &svg_len) == 0)
		json_object_set_new(o, "qr_svg", json_stringn(svg, svg_len));
	free(svg);
	return o;
}
