/* cop_run: the interpreter (cop_prog.h). A program runs in frames: each
 * call runs it from where it waits until its next WAIT (or FENCE that
 * waits), its end, or the watchdog. Only memory and arithmetic: it runs
 * in copperd's DL thread, which makes no libc calls. */
#include "cop_prog.h"

#include "comp_regs.h"

#define DEFAULT_PERIOD_NS 16666667ull

void cop_prog_reset(struct cop_prog *p, uint64_t frame)
{
	p->pc = 0;
	p->wake = frame;
	p->origin = frame;
	p->error[0] = 0;
	for (uint32_t i = 0; i < p->nops; i++)
		if (p->ops[i].code == COP_LOOP)
			p->loop_left[p->ops[i].arg] = p->ops[i].count;
}

/* The shadow keeps fractions of x/y/z (compositord rounds what it gets),
 * so ADD 0.5 per frame moves one pixel every two frames; every other
 * register is clamped exactly as compositord clamps it. */
static double shadow_clamp(uint32_t reg, double v)
{
	double lo, hi;
	switch (reg) {
	case COMP_REG_X:
	case COMP_REG_Y:
		lo = -COMP_POS_MAX;
		hi = COMP_POS_MAX;
		break;
	case COMP_REG_Z:
		lo = (double)INT32_MIN;
		hi = (double)INT32_MAX;
		break;
	default:
		return comp_reg_clamp(reg, v);
	}
	if (v != v)
		return comp_reg_default(reg);
	return v < lo ? lo : v > hi ? hi : v;
}

static void copy_str(char *dst, const char *src, size_t cap)
{
	size_t i = 0;
	for (; i + 1 < cap && src[i]; i++)
		dst[i] = src[i];
	dst[i] = 0;
}

void cop_prog_step(struct cop_prog *p, uint64_t frame, uint64_t period_ns,
		   struct cop_step *st)
{
	st->state = COP_RUNNING;
	st->ops = 0;
	st->nirq = st->irq_lost = 0;
	st->watchdog = false;
	if (frame < p->wake)
		return;
	if (!period_ns)
		period_ns = DEFAULT_PERIOD_NS;
	uint32_t n = 0;
	for (;;) {
		if (p->pc >= p->nops) {
			st->state = COP_STOPPED; /* ran off its end */
			break;
		}
		if (n >= COP_WATCHDOG_OPS) {
			st->state = COP_ERROR;
			st->watchdog = true;
			copy_str(p->error, "watchdog: 4096 ops without a WAIT",
				 sizeof(p->error));
			break;
		}
		const struct cop_op *o = &p->ops[p->pc];
		n++;
		switch (o->code) {
		case COP_MOVE:
		case COP_ADD: {
			struct cop_reg *r = &p->regs[o->shadow];
			double v = o->code == COP_MOVE ? o->value
						       : r->value + o->value;
			r->value = shadow_clamp(o->reg, v);
			r->dirty = true;
			p->pc++;
			break;
		}
		case COP_WAIT_VSYNC:
			p->pc++;
			p->wake = frame + 1;
			goto wait;
		case COP_WAIT_US: {
			/* The first frame whose start is >= now + usec: at
			 * least the next one. */
			uint64_t ns = (uint64_t)o->arg * 1000;
			uint64_t k = (ns + period_ns - 1) / period_ns;
			p->pc++;
			p->wake = frame + (k ? k : 1);
			goto wait;
		}
		case COP_FENCE_GE:
			p->pc++;
			if (frame - p->origin >= o->arg)
				break; /* already there: no wait */
			p->wake = p->origin + o->arg;
			goto wait;
		case COP_IRQ:
			if (st->nirq < COP_STEP_IRQS)
				st->irq[st->nirq++] = o->arg;
			else
				st->irq_lost++;
			p->pc++;
			break;
		case COP_JUMP:
			p->pc = (uint32_t)o->target;
			break;
		case COP_LOOP: {
			int32_t *left = &p->loop_left[o->arg];
			if (o->count < 0) {
				p->pc = (uint32_t)o->target;
			} else if (*left > 1) {
				(*left)--;
				p->pc = (uint32_t)o->target;
			} else { /* done: fall through, re-armed for later */
				*left = o->count;
				p->pc++;
			}
			break;
		}
		default: /* NOP, LABEL */
			p->pc++;
			break;
		}
	}
	st->ops = n;
	p->ops_run += n;
	return;
wait:
	st->ops = n;
	p->ops_run += n;
}
