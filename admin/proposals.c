/* proposals.c: samvaer-admin commands (being written; see admin.h). */
#include "admin/admin.h"

int admin_cmd_proposal(struct admin *a, int argc, char **argv)
{
	return admin_fail("this command is not available in this build yet");
}

int admin_cmd_pause(struct admin *a, int argc, char **argv)
{
	return admin_fail("this command is not available in this build yet");
}
