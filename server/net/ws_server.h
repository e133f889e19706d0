/* ws_server.h: the HTTP + WebSocket front door (the only module that sees libwebsockets). */
#ifndef SAMVAER_WS_SERVER_H
#define SAMVAER_WS_SERVER_H

struct app;
struct ws_server;

/* Listen on app->cfg.listen:port with the app's libev loop. NULL on failure (logged). */
struct ws_server *ws_server_start(struct app *app);
/* Stop accepting; close every WebSocket with 1001 after flushing what is queued. */
void ws_server_drain(struct ws_server *w);
/* Connections still open. */
unsigned ws_server_connections(struct ws_server *w);
void ws_server_destroy(struct ws_server *w);

#endif
