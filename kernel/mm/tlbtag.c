/* TLB tag slots (kern/tlbtag.h). A space keeps its slot until NPCID
 * other spaces have run on this CPU since; there is no cross-CPU state, so
 * no lock and no generation roll-over to handle (a 64-bit space id and
 * generation never wrap). */
#include <kern/tlbtag.h>

unsigned tlbtag_pick(struct tlbtag_cpu *c, uint64_t space_id, uint64_t gen,
		     bool *flush)
{
	unsigned i;
	for (i = 0; i < TLBTAG_SLOTS; i++)
		if (c->slot[i].space_id == space_id)
			break;
	if (i == TLBTAG_SLOTS) {
		i = c->victim;
		c->victim = (c->victim + 1) % TLBTAG_SLOTS;
		c->slot[i].space_id = space_id;
		*flush = true; /* whatever the tag held goes */
	} else {
		*flush = c->slot[i].gen != gen;
	}
	c->slot[i].gen = gen;
	return i + 1;
}
