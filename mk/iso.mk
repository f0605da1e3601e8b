# Hybrid BIOS+UEFI ISO images made with grub-mkrescue.
#   build/exec-rt.iso        what `make run` boots (CMDLINE="...")
#   build/exec-rt-smoke.iso  same kernel, cmdline "smoke": boots, reports,
#                            and exits QEMU (used by the boot-smoke tests)
# grub-mkrescue silently makes a BIOS-only image when grub-efi-amd64-bin is
# missing, so both platforms are checked before and after.

CMDLINE ?=
GRUB_PLATFORMS := /usr/lib/grub/i386-pc /usr/lib/grub/x86_64-efi
ISO_MODULES := normal multiboot2 iso9660 part_msdos part_gpt serial terminal \
	all_video part_acorn part_amiga part_apple part_bsd part_dfly part_dvh \
	part_plan part_sun part_sunpc

iso: $(ISO) $(O)/exec-rt-smoke.iso

# $(1): kernel command line (the target is the ISO)
define make_iso
	@for d in $(GRUB_PLATFORMS); do \
		[ -d $$d ] || { echo "iso: GRUB platform $$d missing (run tools/setup.sh)" >&2; exit 1; }; done
	@rm -rf $@.d && mkdir -p $@.d/boot/grub
	@cp $(KERNEL) $@.d/boot/kernel.elf
	@cp $(O)/initrd.cpio $@.d/boot/initrd.cpio
	@sed -e 's|@CMDLINE@|$(1)|' \
		-e 's|@MODULES@|module2 /boot/initrd.cpio initrd|' \
		boot/grub.cfg.in > $@.d/boot/grub/grub.cfg
	@echo "  ISO     $@"
	$(Q)grub-mkrescue -o $@ --install-modules="$(ISO_MODULES)" \
		--fonts= --locales= --themes= $@.d > $@.log 2>&1 || \
		{ cat $@.log >&2; exit 1; }
	@xorriso -indev $@ -report_el_torito plain 2>/dev/null | grep -q 'UEFI' || \
		{ echo "iso: $@ has no UEFI boot image" >&2; exit 1; }
	@xorriso -indev $@ -report_el_torito plain 2>/dev/null | grep -q 'BIOS' || \
		{ echo "iso: $@ has no BIOS boot image" >&2; exit 1; }
	@rm -rf $@.d
endef

# The command line is part of the image: rebuild when it changes.
$(O)/cmdline.stamp: FORCE
	@mkdir -p $(O)
	@echo '$(CMDLINE)' | cmp -s - $@ || echo '$(CMDLINE)' > $@

$(ISO): $(KERNEL) $(O)/initrd.cpio boot/grub.cfg.in mk/iso.mk $(O)/cmdline.stamp
	$(call make_iso,$(CMDLINE))

$(O)/exec-rt-smoke.iso: $(KERNEL) $(O)/initrd.cpio boot/grub.cfg.in mk/iso.mk
	$(call make_iso,smoke)

.PHONY: FORCE
FORCE:
