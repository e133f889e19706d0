/* seed_history.c: past contact for the demo family (being written; see admin.h). */
#include "admin/admin.h"

int admin_seed_demo_history(struct admin *a)
{
	return STORE_OK;
}
