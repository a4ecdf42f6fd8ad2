#include "capwarn.h"

int
capwarn_show(struct capwarn *c)
{
	return ++c->count <= CAPWARN_SHOWN;
}

size_t
capwarn_hidden(const struct capwarn *c)
{
	return c->count > CAPWARN_SHOWN ? c->count - CAPWARN_SHOWN : 0;
}
