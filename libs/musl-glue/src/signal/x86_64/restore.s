/* exec-rt: there are no signal frames to return from; never reached. */
.text
.global __restore_rt
.hidden __restore_rt
.type __restore_rt,@function
__restore_rt:
	ud2
.size __restore_rt,.-__restore_rt
