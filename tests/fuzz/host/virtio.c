/* libvirtio against a hostile device (libs/virtio). The input is:
 *  - 256 bytes of PCI configuration space: the capability walk
 *    (virtio_pci_parse_caps) must end, and what it accepts must make
 *    sense (each region on a BAR 0-5, the common region long enough);
 *  - then a program of 4-byte steps run on a queue of a well-formed fake
 *    device (tests/host/virtio_fake.c), where the device side writes
 *    arbitrarily: used-ring entries with any id and length, any used
 *    index, avail_event, the used flags, and any byte anywhere in the
 *    queue's DMA block (descriptor table and available ring included: a
 *    device can DMA there too, review 14 M1); and the driver adds chains,
 *    drains, kicks, switches callbacks.
 * Checked: no crash or sanitizer report; virtq_get returns only tokens
 * that were added and not yet returned, each once, with a length no
 * larger than the chain's writable bytes; the free count and the
 * outstanding chains always add up to the ring, and every descriptor is
 * on the free list or in one outstanding chain, once; a chain just added
 * reads back from the ring as the driver meant it, whatever was there
 * before; a broken queue stays broken (NULL, ERR_BAD_STATE) and never
 * hands anything out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>

#include "virtio_fake.h"

static struct fk_dev F;

static void check(int ok)
{
	if (!ok)
		abort();
}

static void caps(const uint8_t *cfg)
{
	memset(&F, 0, sizeof(F));
	memcpy(F.cfg, cfg, 256);
	struct virtio_pci_caps c;
	int r = virtio_pci_parse_caps(&fk_ops, &F, &c);
	check(r == 0 || r == ERR_NOT_SUPPORTED || r == ERR_INVALID_ARGS);
	if (r)
		return;
	check(c.common.bar >= 0 && c.common.bar <= 5 &&
	      c.common.length >= 0x38);
	check(c.notify.bar >= 0 && c.notify.bar <= 5);
	check(c.isr.bar >= 0 && c.isr.bar <= 5);
	check(c.device.bar >= -1 && c.device.bar <= 5);
	check(!c.msix_cap || (c.msix_cap >= 0x40 && c.msix_count >= 1 &&
			      c.msix_count <= 2048));
}

#define QSIZE  8
#define TOKENS 256

/* Every descriptor is either on the free list or in exactly one
 * outstanding chain (walked from the heads that hold a token). */
static void consistent(const struct virtq *q)
{
	uint8_t seen[QSIZE] = {0};
	unsigned n = 0;
	uint16_t i = q->free_head;
	for (unsigned k = 0; k < q->num_free; k++) {
		check(i < QSIZE && !seen[i]);
		seen[i] = 1;
		n++;
		i = q->shadow[i].next;
	}
	for (unsigned h = 0; h < QSIZE; h++) {
		if (!q->token[h])
			continue;
		i = (uint16_t)h;
		for (unsigned k = 0; k < q->chain_len[h]; k++) {
			check(i < QSIZE && !seen[i]);
			seen[i] = 1;
			n++;
			i = q->shadow[i].next;
		}
	}
	check(n == QSIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 256)
		return 0;
	caps(data);
	data += 256;
	size -= 256;

	fk_init(&F, 2, 1, QSIZE);
	struct virtio_dev d;
	struct virtq *q;
	check(fk_bringup(&F, &d, 0, QSIZE, &q) == 0);
	static uint8_t state[TOKENS]; /* 1: added, not returned */
	static unsigned chain[TOKENS];
	static uint32_t wcap[TOKENS]; /* writable bytes offered */
	memset(state, 0, sizeof(state));
	unsigned outstanding = 0, next = 1;
	uint8_t *used = (uint8_t *)q->used;
	struct virtq_buf b[4] = {{0x1000, 8, false},
				 {0x2000, 8, false},
				 {0x3000, 8, true},
				 {0x4000, 8, true}};
	for (size_t i = 0; i + 4 <= size; i += 4) {
		uint8_t op = data[i], a = data[i + 1];
		uint16_t v = (uint16_t)(data[i + 2] | data[i + 3] << 8);
		switch (op % 10) {
		case 0: { /* driver: add a chain of 1-4 */
			unsigned n = 1 + a % 4,
				 tok = next % TOKENS ? next % TOKENS : 1;
			if (state[tok])
				break;
			unsigned before = virtq_free(q);
			uint16_t head = q->free_head;
			const struct virtq_buf *bs = b + (4 - n) * (a / 4 % 2);
			int r = virtq_add(q, bs, n, (void *)(uintptr_t)tok);
			if (q->broken) {
				check(r == ERR_BAD_STATE);
			} else if (n > before) {
				check(r == ERR_SHOULD_WAIT &&
				      virtq_free(q) == before);
			} else {
				check(r == 0 && virtq_free(q) == before - n);
				/* The device sees the chain as given. */
				uint16_t j = head;
				wcap[tok] = 0;
				for (unsigned k = 0; k < n; k++) {
					check(j < QSIZE);
					const struct virtq_desc *e =
						&q->desc[j];
					uint16_t fl =
						(uint16_t)((bs[k].write
								    ? VIRTQ_DESC_F_WRITE
								    : 0) |
							   (k + 1 < n
								    ? VIRTQ_DESC_F_NEXT
								    : 0));
					check(e->addr == bs[k].phys &&
					      e->len == bs[k].len &&
					      e->flags == fl);
					wcap[tok] +=
						bs[k].write ? bs[k].len : 0;
					j = e->next;
				}
				state[tok] = 1;
				chain[tok] = n;
				outstanding += n;
				next++;
			}
			break;
		}
		case 1: { /* driver: drain */
			void *t;
			uint32_t len;
			while ((t = virtq_get(q, &len))) {
				uintptr_t tok = (uintptr_t)t;
				check(!q->broken && tok < TOKENS &&
				      state[tok] && len <= wcap[tok]);
				state[tok] = 0;
				outstanding -= chain[tok];
			}
			break;
		}
		case 2: /* device: a used entry, anything */
			memcpy(used + 4 + 8 * (a % QSIZE), &v, 2);
			memcpy(used + 4 + 8 * (a % QSIZE) + 4, data + i, 4);
			break;
		case 3: /* device: the used index */
			__atomic_store_n(&q->used->idx, v, __ATOMIC_RELEASE);
			break;
		case 4: /* device: avail_event, used flags */
			fk_set_avail_event(&F, 0, v);
			fk_set_no_notify(&F, 0, a & 1);
			break;
		case 5:
			virtq_kick(q);
			break;
		case 6:
			virtq_disable_cb(q);
			break;
		case 7:
			virtq_enable_cb(q);
			break;
		case 8: /* device: any byte of the DMA block */
			((uint8_t *)q->mem.va)[v % q->mem.size] = a;
			break;
		default: /* device: a descriptor's next link or flags */
			if (a & 1)
				q->desc[a / 2 % QSIZE].next = v;
			else
				q->desc[a / 2 % QSIZE].flags = v;
			break;
		}
		/* The free descriptors and the outstanding chains fill the
		 * ring. */
		if (!q->broken) {
			check(virtq_free(q) + outstanding == QSIZE);
			consistent(q);
		} else
			check(virtq_get(q, NULL) == NULL);
	}
	virtio_close(&d);
	check(F.dma_live == 0 && F.priv_live == 0);
	fk_fini(&F);
	return 0;
}
