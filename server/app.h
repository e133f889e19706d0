/* app.h: wiring of the control thread — opens the store and caches, registers every feature's methods and
 * listeners with the session, and runs the timers (change polling, sweeps, media events). */
#ifndef SAMVAER_APP_H
#define SAMVAER_APP_H

#include <ev.h>
#include <stddef.h>

#include "server/session/state.h"

/* Open the store, load the caches, register the features and start the timers and hasher. 0, or -1 with err. */
int app_init(struct app *app, const struct config *cfg, struct ev_loop *loop, char *err, size_t errlen);
void app_free(struct app *app);
/* Check for changes made by other processes and push them to connected clients. */
void app_poll_changes(struct app *app);

#endif
