/* Damage rectangles (drivers/display/damage.c): clipping, merging, and
 * that merging never loses a damaged pixel. */
#include <stdlib.h>

#include "harness.h"
#include "damage.h"

#define R(x, y, w, h) ((struct disp_rect){x, y, w, h})

TEST(damage_clips_to_the_mode)
{
	struct disp_rect o;
	CHECK(damage_clip(&R(-10, -5, 20, 10), 100, 50, &o));
	CHECK(o.x == 0 && o.y == 0 && o.w == 10 && o.h == 5);
	CHECK(damage_clip(&R(90, 45, 4000000000u, 4000000000u), 100, 50, &o));
	CHECK(o.x == 90 && o.y == 45 && o.w == 10 && o.h == 5);
	CHECK(!damage_clip(&R(100, 0, 5, 5), 100, 50, &o));
	CHECK(!damage_clip(&R(0, 0, 0, 5), 100, 50, &o));
	CHECK(!damage_clip(&R(-2147483647 - 1, 0, 5, 5), 100, 50, &o));
	CHECK(damage_clip(&R(2147483600, 0, 5, 5), 100, 50, &o) == false);
}

TEST(damage_merges_neighbours_and_keeps_distant_ones_apart)
{
	struct damage d;
	damage_clear(&d);
	damage_add(&d, &R(0, 0, 100, 10), 1000, 1000);
	damage_add(&d, &R(0, 10, 100, 10), 1000, 1000); /* below: one box */
	CHECK_EQ(d.n, 1);
	CHECK(d.r[0].w == 100 && d.r[0].h == 20);
	damage_add(&d, &R(10, 5, 20, 5), 1000, 1000); /* inside: absorbed */
	CHECK_EQ(d.n, 1);
	damage_add(&d, &R(900, 900, 10, 10), 1000, 1000); /* far: apart */
	CHECK_EQ(d.n, 2);
	CHECK_EQ(damage_area(&d), 100 * 20 + 100);
	damage_add(&d, &R(-50, -50, 2000, 2000), 1000, 1000); /* all */
	CHECK_EQ(d.n, 1);
	CHECK_EQ(damage_area(&d), 1000 * 1000);
	damage_full(&d, 64, 32);
	CHECK(d.n == 1 && d.r[0].w == 64 && d.r[0].h == 32);
}

TEST(damage_crossing_bars_stay_two_rectangles)
{
	struct damage d;
	damage_clear(&d);
	damage_add(&d, &R(0, 495, 1000, 10), 1000, 1000);
	damage_add(&d, &R(495, 0, 10, 1000), 1000, 1000);
	CHECK_EQ(d.n, 2); /* a bounding box would move 100x the pixels */
}

TEST(damage_never_loses_a_pixel_and_stays_bounded)
{
	srand(7);
	enum { W = 200, H = 120 };
	static uint8_t want[H][W];
	for (int round = 0; round < 300; round++) {
		struct damage d;
		damage_clear(&d);
		memset(want, 0, sizeof(want));
		int n = 1 + rand() % 60;
		for (int k = 0; k < n; k++) {
			struct disp_rect r =
				R(rand() % 260 - 30, rand() % 160 - 20,
				  (uint32_t)(rand() % 40),
				  (uint32_t)(rand() % 40));
			damage_add(&d, &r, W, H);
			for (int y = r.y; y < r.y + (int)r.h; y++)
				for (int x = r.x; x < r.x + (int)r.w; x++)
					if (x >= 0 && y >= 0 && x < W && y < H)
						want[y][x] = 1;
			CHECK(d.n <= DAMAGE_MAX);
		}
		for (uint32_t i = 0; i < d.n; i++) {
			CHECK(d.r[i].x >= 0 && d.r[i].y >= 0 && d.r[i].w &&
			      d.r[i].h);
			CHECK(d.r[i].x + d.r[i].w <= W);
			CHECK(d.r[i].y + d.r[i].h <= H);
		}
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++)
				if (want[y][x])
					CHECK(damage_covers(&d, (uint32_t)x,
							    (uint32_t)y));
	}
}

TEST(damage_union_adds_every_rectangle)
{
	struct damage a, b;
	damage_clear(&a);
	damage_clear(&b);
	damage_add(&a, &R(0, 0, 10, 10), 100, 100);
	damage_add(&b, &R(50, 50, 10, 10), 100, 100);
	damage_add(&b, &R(80, 0, 10, 10), 100, 100);
	damage_union(&a, &b, 100, 100);
	CHECK_EQ(a.n, 3);
	CHECK(damage_covers(&a, 55, 55) && damage_covers(&a, 85, 5) &&
	      damage_covers(&a, 0, 0) && !damage_covers(&a, 30, 30));
}
