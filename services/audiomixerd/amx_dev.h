/* amx_dev: audiomixerd's side of /svc/audio (include/execrt/audio_proto.h):
 * connect, open a stream with a port for the period notices, map the
 * ring, start, stop, position, close. System calls only; the period logic
 * is amx_main.c. */
#pragma once
#include <stdint.h>

#include <execrt/audio_proto.h>
#include <execrt/types.h>

struct amx_dev {
	handle_t conn;	 /* the connection endpoint */
	handle_t ring_h; /* the ring grant */
	uint8_t *ring;	 /* mapped */
	struct audio_ring geo;
	struct audio_info info;
};

/* Looks /svc/audio up (waiting until deadline), connects and reads its
 * info. 0 or ERR_*. */
long amx_dev_connect(struct amx_dev *d, uint64_t deadline);
/* Opens a stream; notice: a send endpoint of our port (moved). */
long amx_dev_open(struct amx_dev *d, const struct audio_fmt *fmt,
		  handle_t notice);
long amx_dev_cmd(struct amx_dev *d, uint32_t op);
long amx_dev_position(struct amx_dev *d, struct audio_pos *pos);
/* Unmaps the ring, closes the stream and the connection. */
void amx_dev_close(struct amx_dev *d);
